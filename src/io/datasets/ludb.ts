/**
 * LUDB (Kalyakulina et al. 2020): records `data/N` with per-lead wave annotations, and `ludb.csv`
 * with sex, age, rhythm and diagnoses (multi-line quoted cells, one finding per line). A record's
 * labels are those findings.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { EcgFormatError } from "../../errors.js";
import { readCsvObjects } from "../csv.js";
import { readRecord } from "../record.js";
import { normalizeSex, parseAge, type Dataset, type DatasetEntry } from "./types.js";

const NOT_LABELS = new Set(["ID", "Sex", "Age"]);

export function openLudb(root: string): Dataset {
  const csv = join(root, "ludb.csv");
  const { columns, rows } = readCsvObjects(csv);
  if (!columns.includes("ID")) throw new EcgFormatError(csv, "missing column 'ID'");
  const dataDir = existsSync(join(root, "data")) ? join(root, "data") : root;
  const entries: DatasetEntry[] = [];
  const all = new Set<string>();
  for (const r of rows) {
    const id = r.ID.trim();
    if (id === "") continue;
    const path = join(dataDir, id);
    if (!existsSync(`${path}.hea`) || !existsSync(`${path}.dat`)) continue;
    const labels: string[] = [];
    for (const c of columns) {
      if (NOT_LABELS.has(c)) continue;
      for (const line of (r[c] ?? "").split(/\r?\n/)) {
        const l = line.trim().replace(/\.$/, "");
        if (l !== "" && !labels.includes(l)) labels.push(l);
      }
    }
    labels.forEach((l) => all.add(l));
    const entry: DatasetEntry = { id, path, labels };
    const age = parseAge(r.Age?.replace(/[^\d.]/g, ""));
    if (age !== undefined) entry.age = age;
    const sex = normalizeSex(r.Sex);
    if (sex !== undefined) entry.sex = sex;
    entries.push(entry);
  }
  return {
    kind: "ludb",
    root,
    classes: [...all].sort(),
    entries,
    read: async (e) => readRecord(e.path),
    readBatch: async (es) => es.map((e) => readRecord(e.path)),
    close: () => {},
  };
}
