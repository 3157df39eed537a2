/** openDataset: recognises a PTB-XL, LUDB, CinC 2021, CODE-15% or plain WFDB folder. */
import { existsSync, readdirSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { EcgFormatError, NotFoundError } from "../../errors.js";
import { readHeader } from "../header.js";
import { openCode15 } from "./code15.js";
import { findHeaders, headerComment, openFolder } from "./folder.js";
import { openLudb } from "./ludb.js";
import { openPtbxl } from "./ptbxl.js";
import type { Dataset, DatasetKind, OpenDatasetOptions } from "./types.js";

export * from "./types.js";
export { entriesInFolds } from "./folds.js";
export { PTBXL_SUPERCLASSES, readScpStatements } from "./ptbxl.js";
export { CODE15_CLASSES, CODE15_FS } from "./code15.js";
export { findHeaders, headerComment } from "./folder.js";

/** Which kind of dataset a folder holds, from its metadata files. */
export function detectDataset(dir: string): DatasetKind {
  if (existsSync(join(dir, "ptbxl_database.csv"))) return "ptbxl";
  if (existsSync(join(dir, "ludb.csv"))) return "ludb";
  const files = readdirSync(dir);
  if (files.includes("exams.csv") || files.some((f) => /^exams_part\d+\.hdf5$/.test(f)))
    return "code15";
  const headers = findHeaders(dir);
  if (headers.length === 0)
    throw new EcgFormatError(dir, "no ECG dataset here (no metadata files, no .hea headers)");
  for (const h of headers.slice(0, 20)) {
    try {
      if (headerComment(readHeader(h), "Dx") !== undefined) return "cinc2021";
    } catch {
      // an unreadable header says nothing about the folder's kind
    }
  }
  return "wfdb";
}

/** Opens a dataset folder; entries list only the records present on disk. */
export async function openDataset(dir: string, opts: OpenDatasetOptions = {}): Promise<Dataset> {
  let root = resolve(dir);
  if (!existsSync(root)) throw new NotFoundError(`${dir}: dataset folder not found`);
  if (!statSync(root).isDirectory()) throw new EcgFormatError(dir, "not a folder");
  // LUDB's records sit in data/ beside ludb.csv: accept either folder.
  if (!existsSync(join(root, "ludb.csv")) && existsSync(join(dirname(root), "ludb.csv")))
    root = dirname(root);
  // Likewise PTB-XL's records100/records500 beside ptbxl_database.csv (the folder picks the rate).
  const sub = /^records(100|500)$/.exec(basename(root));
  if (sub && existsSync(join(dirname(root), "ptbxl_database.csv"))) {
    root = dirname(root);
    opts = { ...opts, rate: opts.rate ?? (Number(sub[1]) as 100 | 500) };
  }
  const kind = detectDataset(root);
  switch (kind) {
    case "ptbxl":
      return openPtbxl(root, opts);
    case "ludb":
      return openLudb(root);
    case "code15":
      return openCode15(root);
    default:
      return openFolder(root, kind);
  }
}
