/**
 * From a dataset (src/io's openDataset) to the arrays training and evaluation use: every record
 * goes through the model's preprocessing (the same replay `Model.prepare` does at inference).
 */
import { createHash } from "node:crypto";
import { preprocess, type Preprocessing } from "../signal/preprocess.js";
import type { EcgRecord } from "../types.js";
import type { TaskName } from "./presets.js";

/** The parts of io's DatasetEntry / Dataset this module uses (docs/CONTRACTS.md, "io"). */
export interface EntryLike {
  id: string;
  path: string;
  labels: string[];
  fold?: number;
  age?: number;
}
export interface DatasetLike<E extends EntryLike = EntryLike> {
  root: string;
  classes: string[];
  entries: E[];
  read(entry: E): Promise<EcgRecord>;
}

/** N prepared ECGs (N x leads x length, lead-major) and their targets (N x outputs). */
export interface LabelledSet {
  ids: string[];
  x: Float32Array;
  y: Float32Array;
  n: number;
  outputs: number;
}

/** PTB-XL codes ages over 89 as 300; such ages (and missing ones) are not usable targets. */
export function usableAge(age: number | undefined): age is number {
  return typeof age === "number" && Number.isFinite(age) && age >= 0 && age < 120;
}

/** The target row of one entry, or null when the entry has no usable target for the task. */
export function targetOf(entry: EntryLike, task: TaskName, classes: string[]): Float32Array | null {
  if (task === "age") return usableAge(entry.age) ? Float32Array.of(entry.age) : null;
  const y = new Float32Array(classes.length);
  for (const l of entry.labels) {
    const c = classes.indexOf(l);
    if (c >= 0) y[c] = 1;
  }
  return y;
}

/** Hash of which records (and labels) a model was trained on, stored in model.json. */
export function dataFingerprint(entries: EntryLike[]): string {
  const h = createHash("sha256");
  for (const e of [...entries].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
    h.update(`${e.id}\t${e.labels.join(",")}\t${e.fold ?? ""}\t${e.age ?? ""}\n`);
  }
  return h.digest("hex").slice(0, 16);
}

/**
 * Reads and prepares `entries` (skipping those without a target for the task), calling
 * `onRecord(done, total)` as it goes.
 */
export async function loadLabelledSet<E extends EntryLike>(
  dataset: DatasetLike<E>,
  entries: E[],
  spec: Preprocessing,
  task: TaskName,
  classes: string[],
  onRecord?: (done: number, total: number) => void,
): Promise<LabelledSet> {
  const usable = entries.filter((e) => targetOf(e, task, classes) !== null);
  const per = spec.leads.length * spec.length;
  const k = classes.length;
  const x = new Float32Array(usable.length * per);
  const y = new Float32Array(usable.length * k);
  for (let i = 0; i < usable.length; i++) {
    const prepared = preprocess(await dataset.read(usable[i]), spec);
    x.set(prepared.signal, i * per);
    y.set(targetOf(usable[i], task, classes)!, i * k);
    onRecord?.(i + 1, usable.length);
  }
  return { ids: usable.map((e) => e.id), x, y, n: usable.length, outputs: k };
}
