/**
 * Lead names: canonical spelling, aliases and selection/reordering of a record's leads by name.
 * Matching is case-insensitive ("AVR" = "aVR"). Aliases from other databases ("MLII" in MIT-BIH,
 * "DI".."DIII" in some European exports) are used only when no lead carries the standard name
 * and exactly one lead carries an alias, so that a Holter's MLII never shadows a real lead II.
 */
import { ModelMismatchError, clippedList } from "../errors.js";
import { STANDARD_LEADS, type EcgRecord } from "../types.js";

const CANONICAL = new Map<string, string>(STANDARD_LEADS.map((l) => [l.toLowerCase(), l]));

const ALIASES = new Map<string, string>([
  ["mli", "I"],
  ["mlii", "II"],
  ["mliii", "III"],
  ["ml2", "II"],
  ["di", "I"],
  ["dii", "II"],
  ["diii", "III"],
  ["lead i", "I"],
  ["lead ii", "II"],
  ["lead iii", "III"],
]);

/** The standard spelling of a lead name ("AVR" -> "aVR", "v1" -> "V1"); other names trimmed. */
export function canonicalLeadName(name: string): string {
  const key = name.trim().toLowerCase();
  return CANONICAL.get(key) ?? name.trim();
}

/** The standard lead an alias stands for ("MLII" -> "II"), or undefined. */
export function leadAlias(name: string): string | undefined {
  const key = name.trim().toLowerCase();
  return CANONICAL.get(key) ?? ALIASES.get(key);
}

/**
 * Index in `available` of each requested lead, or -1 when absent. Exact (case-insensitive)
 * names first, then a unique alias.
 */
export function matchLeads(available: readonly string[], wanted: readonly string[]): number[] {
  const canon = available.map((l) => canonicalLeadName(l).toLowerCase());
  const alias = available.map((l) => leadAlias(l)?.toLowerCase());
  return wanted.map((w) => {
    const target = canonicalLeadName(w).toLowerCase();
    const exact = canon.indexOf(target);
    if (exact >= 0) return exact;
    const viaAlias = alias.flatMap((a, i) => (a === target ? [i] : []));
    return viaAlias.length === 1 ? viaAlias[0] : -1;
  });
}

/**
 * A record holding exactly `names`, in that order (each lead copied). Throws ModelMismatchError
 * listing every missing lead and what the record has.
 */
export function selectLeads(record: EcgRecord, names: string[]): EcgRecord {
  const idx = matchLeads(record.leads, names);
  const missing = names.filter((_, i) => idx[i] < 0);
  if (missing.length > 0) {
    throw new ModelMismatchError(
      `${record.path ?? record.name}: missing lead${missing.length > 1 ? "s" : ""} ` +
        `${clippedList(missing)} (record has ${clippedList(record.leads) || "no leads"})`,
    );
  }
  const n = record.samples;
  const signal = new Float32Array(names.length * n);
  idx.forEach((src, dst) => signal.set(record.signal.subarray(src * n, (src + 1) * n), dst * n));
  return {
    ...record,
    leads: names.map(canonicalLeadName),
    units: idx.map((i) => record.units[i] ?? "mV"),
    signal,
  };
}
