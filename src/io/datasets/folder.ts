/**
 * Folders of WFDB records: PhysioNet/CinC 2021 (labels are the SNOMED-CT codes of the `# Dx:`
 * header comment, with `# Age:` and `# Sex:`) and plain WFDB folders (no labels). Records are found
 * recursively; a record is listed only when its signal files exist.
 */
import { existsSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { EcgTlcError } from "../../errors.js";
import { readHeader, type WfdbHeader } from "../header.js";
import { readRecord } from "../record.js";
import {
  normalizeSex,
  parseAge,
  type Dataset,
  type DatasetEntry,
  type DatasetKind,
} from "./types.js";

/** Header files under `dir` (depth-limited, sorted), as record paths without extension. */
export function findHeaders(dir: string, maxDepth = 4): string[] {
  const out: string[] = [];
  const walk = (d: string, depth: number): void => {
    const items = readdirSync(d, { withFileTypes: true }).sort((a, b) =>
      a.name.localeCompare(b.name),
    );
    for (const it of items) {
      if (it.isDirectory() && depth < maxDepth && !it.name.startsWith("."))
        walk(join(d, it.name), depth + 1);
      else if (it.isFile() && it.name.endsWith(".hea")) out.push(join(d, it.name.slice(0, -4)));
    }
  };
  walk(dir, 0);
  return out;
}

/** Value of a `# Key: value` header comment (case-insensitive key). */
export function headerComment(header: WfdbHeader, key: string): string | undefined {
  const re = new RegExp(`^<?${key}>?\\s*:\\s*(.*)$`, "i");
  for (const c of header.comments) {
    const m = re.exec(c);
    if (m) return m[1].trim();
  }
  return undefined;
}

/** True when every signal file a single-segment header names exists. */
function signalsPresent(h: WfdbHeader): boolean {
  if (h.segments)
    return h.segments.every((s) => s.name === "~" || existsSync(join(h.dir, `${s.name}.hea`)));
  return h.signals.every((s) => s.fileName === "~" || existsSync(join(h.dir, s.fileName)));
}

export function openFolder(root: string, kind: Extract<DatasetKind, "cinc2021" | "wfdb">): Dataset {
  const entries: DatasetEntry[] = [];
  const all = new Set<string>();
  for (const path of findHeaders(root)) {
    let h: WfdbHeader;
    try {
      h = readHeader(path);
    } catch (err) {
      if (err instanceof EcgTlcError) continue; // not a record header: not listed
      throw err;
    }
    if (!signalsPresent(h)) continue;
    const entry: DatasetEntry = { id: relative(root, path), path, labels: [] };
    if (kind === "cinc2021") {
      const dx = headerComment(h, "Dx");
      entry.labels = dx
        ? [
            ...new Set(
              dx
                .split(",")
                .map((s) => s.trim())
                .filter((s) => s !== ""),
            ),
          ]
        : [];
      entry.labels.forEach((l) => all.add(l));
      const age = parseAge(headerComment(h, "Age"));
      if (age !== undefined) entry.age = age;
      const sex = normalizeSex(headerComment(h, "Sex"));
      if (sex !== undefined) entry.sex = sex;
    }
    entries.push(entry);
  }
  return {
    kind,
    root,
    classes: [...all].sort(),
    entries,
    read: async (e) => readRecord(e.path),
    readBatch: async (es) => es.map((e) => readRecord(e.path)),
    close: () => {},
  };
}
