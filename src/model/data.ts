/**
 * From a dataset (src/io's openDataset) to the arrays training and evaluation use: every record
 * goes through the model's preprocessing (the same replay `Model.prepare` does at inference).
 */
import { createHash, randomUUID } from "node:crypto";
import { closeSync, openSync, readSync, rmSync, writeSync } from "node:fs";
import { tmpdir, totalmem } from "node:os";
import { join } from "node:path";
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
  /** The signals in memory (empty when `rows` holds them in a file). */
  x: Float32Array;
  y: Float32Array;
  n: number;
  outputs: number;
  /** The signals when they did not fit the memory budget (see loadLabelledSet). */
  rows?: SignalRows;
}

/** Prepared signals, one row (leads x length) per ECG. */
export interface SignalRows {
  readonly n: number;
  readonly per: number;
  /** Rows [a, b) as one array (in memory: a view; on disk: read into a fresh array). */
  range(a: number, b: number): Float32Array;
  close(): void;
}

/** The signals of `set`, wherever they are. */
export function rowsOf(set: LabelledSet): SignalRows {
  if (set.rows) return set.rows;
  const per = set.n ? set.x.length / set.n : 0;
  return {
    n: set.n,
    per,
    range: (a, b) => set.x.subarray(a * per, b * per),
    close: () => {},
  };
}

/** Rows in a scratch file (float32, row after row), read with positioned reads; removed on close. */
class FileRows implements SignalRows {
  private fd: number | null;
  n = 0;
  constructor(
    private readonly path: string,
    readonly per: number,
  ) {
    this.fd = openSync(path, "w+");
  }
  append(row: Float32Array): void {
    const b = Buffer.from(row.buffer, row.byteOffset, row.byteLength);
    writeSync(this.fd!, b, 0, b.length, this.n * this.per * 4);
    this.n++;
  }
  range(a: number, b: number): Float32Array {
    if (this.fd === null) throw new Error(`${this.path}: signal rows already closed`);
    const out = new Float32Array((b - a) * this.per);
    readSync(this.fd, new Uint8Array(out.buffer), 0, out.byteLength, a * this.per * 4);
    return out;
  }
  close(): void {
    if (this.fd === null) return;
    closeSync(this.fd);
    this.fd = null;
    rmSync(this.path, { force: true });
  }
}

/** Default memory budget of a training set's signals: a third of the machine's memory. */
export const DEFAULT_MEMORY_BUDGET = Math.floor(totalmem() / 3);

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
  opts: { memoryBudget?: number; scratchDir?: string } = {},
): Promise<LabelledSet> {
  const usable = entries.filter((e) => targetOf(e, task, classes) !== null);
  const per = spec.leads.length * spec.length;
  const k = classes.length;
  // Over the budget, the prepared signals go to a scratch file and training reads its batches
  // from there (the targets stay in memory: a few values per ECG).
  const onDisk = usable.length * per * 4 > (opts.memoryBudget ?? DEFAULT_MEMORY_BUDGET);
  const file = onDisk
    ? new FileRows(
        join(opts.scratchDir ?? tmpdir(), `ecg-tlc-signals-${process.pid}-${randomUUID()}.f32`),
        per,
      )
    : undefined;
  const x = new Float32Array(onDisk ? 0 : usable.length * per);
  const y = new Float32Array(usable.length * k);
  try {
    for (let i = 0; i < usable.length; i++) {
      const prepared = preprocess(await dataset.read(usable[i]), spec);
      if (file) file.append(prepared.signal);
      else x.set(prepared.signal, i * per);
      y.set(targetOf(usable[i], task, classes)!, i * k);
      onRecord?.(i + 1, usable.length);
    }
  } catch (err) {
    file?.close();
    throw err;
  }
  return { ids: usable.map((e) => e.id), x, y, n: usable.length, outputs: k, rows: file };
}
