/**
 * PTB-XL (Wagner et al. 2020): `ptbxl_database.csv` lists every ECG with its SCP statements and
 * stratified fold; `scp_statements.csv` maps the diagnostic statements (diagnostic == 1) to the 5
 * super-classes. A record's labels are the super-classes of all its diagnostic statements, whatever
 * their likelihood, as in the dataset's reference code.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { EcgFormatError } from "../../errors.js";
import { parsePythonDict, readCsvObjects, readCsvRows } from "../csv.js";
import { readRecord } from "../record.js";
import {
  normalizeSex,
  parseAge,
  type Dataset,
  type DatasetEntry,
  type OpenDatasetOptions,
} from "./types.js";

export const PTBXL_SUPERCLASSES = ["NORM", "MI", "STTC", "CD", "HYP"];

/** Statement code -> diagnostic super-class, from scp_statements.csv. */
export function readScpStatements(file: string): Map<string, string> {
  const { columns, rows } = readCsvObjects(file);
  const codeCol = columns[0]; // the first column (unnamed) holds the statement code
  if (!columns.includes("diagnostic") || !columns.includes("diagnostic_class")) {
    throw new EcgFormatError(file, "missing 'diagnostic' or 'diagnostic_class' column");
  }
  const map = new Map<string, string>();
  for (const r of rows) {
    if (Number(r.diagnostic) === 1 && r.diagnostic_class.trim() !== "") {
      map.set(r[codeCol].trim(), r.diagnostic_class.trim());
    }
  }
  return map;
}

/** Files present under a records folder, as a set of paths without extension. */
function presentRecords(root: string, folder: string): Set<string> {
  const out = new Set<string>();
  const base = join(root, folder);
  if (!existsSync(base)) return out;
  for (const sub of readdirSync(base, { withFileTypes: true })) {
    if (!sub.isDirectory()) continue;
    const names = new Set(readdirSync(join(base, sub.name)));
    for (const f of names) {
      if (f.endsWith(".hea") && names.has(`${f.slice(0, -4)}.dat`)) {
        out.add(`${folder}/${sub.name}/${f.slice(0, -4)}`);
      }
    }
  }
  return out;
}

/**
 * The records folder to list: records100 or records500 as asked (default 100 when present), else
 * the one records{fs} folder there is (synthetic data at other rates uses the same layout).
 */
function recordsFolder(root: string, rate: number | undefined): string {
  if (rate !== undefined) return `records${rate}`;
  const folders = existsSync(root) ? readdirSync(root).filter((f) => /^records\d+$/.test(f)) : [];
  if (folders.includes("records100")) return "records100";
  if (folders.includes("records500")) return "records500";
  return folders.sort()[0] ?? "records100";
}

export function openPtbxl(root: string, opts: OpenDatasetOptions = {}): Dataset {
  const dbFile = join(root, "ptbxl_database.csv");
  const rows = readCsvRows(dbFile);
  const columns = rows[0].map((c) => c.trim());
  const col: Record<string, number> = {};
  for (const c of [
    "ecg_id",
    "scp_codes",
    "strat_fold",
    "filename_lr",
    "filename_hr",
    "age",
    "sex",
  ]) {
    col[c] = columns.indexOf(c);
    if (col[c] < 0) throw new EcgFormatError(dbFile, `missing column '${c}'`);
  }
  const scp = readScpStatements(join(root, "scp_statements.csv"));
  const present = presentRecords(root, recordsFolder(root, opts.rate));
  const entries: DatasetEntry[] = [];
  // 21,837 rows of which a subset may be on disk: build entries for present rows only.
  for (let k = 1; k < rows.length; k++) {
    const r = rows[k];
    // The row's file in the chosen records folder, whichever of the two columns names it.
    const rel = [r[col.filename_lr], r[col.filename_hr]]
      .map((f) => (f ?? "").trim().replace(/\\/g, "/"))
      .find((f) => present.has(f));
    if (rel === undefined) continue;
    const id = (r[col.ecg_id] ?? "").trim();
    const codes = parsePythonDict(r[col.scp_codes] ?? "", `${dbFile} (ecg_id ${id}, scp_codes)`);
    const classes = new Set<string>();
    for (const code of Object.keys(codes)) {
      const c = scp.get(code);
      if (c) classes.add(c);
    }
    const entry: DatasetEntry = {
      id,
      path: join(root, rel),
      labels: PTBXL_SUPERCLASSES.filter((c) => classes.has(c)),
      scpCodes: codes,
    };
    const foldText = (r[col.strat_fold] ?? "").trim();
    const fold = Number(foldText);
    if (foldText !== "" && Number.isInteger(fold)) entry.fold = fold;
    const age = parseAge(r[col.age]);
    // PTB-XL codes ages over 89 as 300 (HIPAA); 90 keeps them last without wrecking age tasks.
    if (age !== undefined) entry.age = age >= 300 ? 90 : age;
    const sex = normalizeSex(r[col.sex], true);
    if (sex !== undefined) entry.sex = sex;
    entries.push(entry);
  }
  const read = async (e: DatasetEntry) => readRecord(e.path);
  return {
    kind: "ptbxl",
    root,
    classes: [...PTBXL_SUPERCLASSES],
    entries,
    read,
    readBatch: async (es) => es.map((e) => readRecord(e.path)),
    close: () => {},
  };
}
