/**
 * Writes synthetic ECGs in the CODE-15% layout (Ribeiro et al. 2021), so that the CODE-15% reader
 * reads them unchanged and every large-scale path can be tested without the real data:
 * `exams.csv` (CODE-15%'s columns: exam_id, age, is_male, nn_predicted_age, the six
 * abnormalities, patient_id, death, timey, normal_ecg, trace_file) and `exams_partK.hdf5` files
 * holding `tracings` (exams x 4,096 x 12, float32, mV, 400 Hz: 10 s centred in 4,096 samples
 * with zeros either side, as the real files pad) and `exam_id` (int64).
 *
 * Morphology carries the labels: 1dAVb prolongs PR by 80-140 ms, RBBB and LBBB are the
 * generator's bundle-branch blocks, SB draws 38-56 bpm, ST 102-135 bpm, AF removes P waves, makes
 * RR irregular and adds fibrillatory waves; age shifts voltages and intervals (synth.ts). Each
 * abnormality is far more frequent than in CODE-15% (about 6 % instead of 1.5-2.5 %) so that a
 * few thousand ECGs hold enough of each. Exams are generated and written a batch at a time: the
 * writer's memory does not grow with `n`.
 */
import { closeSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { join } from "node:path";
import { EcgTlcError, MissingDependencyError } from "../errors.js";
import { csvField } from "../io/csv.js";
import { CODE15_CLASSES } from "../io/datasets/code15.js";
import { Random } from "./random.js";
import { synthesizeOne, type SynthClass, type SynthOverrides } from "./synth.js";

export const CODE15_SAMPLES = 4096;
const FS = 400;
const SECONDS = 10;
/** Exams per HDF5 file (the real files hold about 19,200). */
export const CODE15_EXAMS_PER_FILE = 20_000;
const FIRST_EXAM_ID = 1_000_001;

const COLUMNS = [
  "exam_id", "age", "is_male", "nn_predicted_age", ...CODE15_CLASSES, "patient_id", "death",
  "timey", "normal_ecg", "trace_file",
]; // prettier-ignore

export interface Code15Options {
  n: number;
  seed: number;
  /** Exams per exams_partK.hdf5 (default 20,000). */
  perFile?: number;
  /** Add noise and baseline wander (default true). */
  noise?: boolean;
  /** Called after each written batch. */
  onProgress?: (done: number, total: number) => void;
}

export interface Code15Summary {
  dir: string;
  layout: "code15";
  records: number;
  fs: number;
  samples: number;
  files: string[];
  /** Exams per abnormality. */
  classes: Record<string, number>;
}

/** The CODE-15% abnormalities of exam `index` and how the generator renders them. */
export function code15Labels(
  seed: number,
  index: number,
): { labels: string[]; overrides: SynthOverrides } {
  const rng = new Random(((seed >>> 0) ^ 0xc0de15) + index * 0x9e3779b1);
  const labels: string[] = [];
  const o: SynthOverrides = {};
  const p = 0.06;
  const rhythm = rng.next();
  if (rhythm < p) {
    labels.push("AF");
    o.atrialFibrillation = true;
    o.heartRate = [75, 130];
  } else if (rhythm < 2 * p) {
    labels.push("SB");
    o.heartRate = [38, 56];
  } else if (rhythm < 3 * p) {
    labels.push("ST");
    o.heartRate = [102, 135];
  }
  // First-degree AV block needs a P wave to be first-degree.
  if (rng.chance(p) && !o.atrialFibrillation) {
    labels.push("1dAVb");
    o.prExtra = rng.uniform(0.08, 0.14);
  }
  const bbb = rng.next();
  if (bbb < p) o.bundle = "R";
  else if (bbb < 2 * p) o.bundle = "L";
  if (o.bundle) labels.push(o.bundle === "R" ? "RBBB" : "LBBB");
  // The rest of the morphology: the generator's classes (CD for a block), mostly normal.
  const other: SynthClass = rng.chance(0.8) ? "NORM" : rng.pick(["MI", "STTC", "HYP"] as const);
  o.labels = o.bundle ? ["CD"] : [other];
  return { labels: CODE15_CLASSES.filter((c) => labels.includes(c)), overrides: o };
}

type H5 = typeof import("h5wasm/node").default;
async function loadH5(): Promise<H5> {
  try {
    const mod = (await import("h5wasm/node")).default;
    await mod.ready;
    return mod;
  } catch (err) {
    throw new MissingDependencyError(
      `cannot load h5wasm (${(err as Error).message}); run 'npm ci'`,
    );
  }
}

/** Generates and writes `n` exams as a CODE-15% folder (files appear only once complete). */
export async function writeCode15Dataset(dir: string, opts: Code15Options): Promise<Code15Summary> {
  const { n, seed } = opts;
  const perFile = opts.perFile ?? CODE15_EXAMS_PER_FILE;
  if (!(Number.isInteger(n) && n >= 1)) throw new EcgTlcError(`n: expected >= 1 exams, got ${n}`);
  if (!(Number.isInteger(perFile) && perFile >= 1))
    throw new EcgTlcError(`perFile: expected >= 1 exams per file, got ${perFile}`);
  try {
    if (!statSync(dir).isDirectory()) throw new EcgTlcError(`${dir}: exists and is not a folder`);
  } catch (err) {
    if (err instanceof EcgTlcError) throw err;
  }
  mkdirSync(dir, { recursive: true });
  const H5 = await loadH5();
  const tmp = (f: string) => join(dir, `${f}.tmp-${process.pid}`);
  const files: string[] = [];
  // The CSV is streamed too (2.3 million rows would hold 200 MB).
  const csv = openSync(tmp("exams.csv"), "w");
  writeSync(csv, COLUMNS.join(",") + "\n");
  const counts = Object.fromEntries(CODE15_CLASSES.map((c) => [c, 0]));
  const pad = (CODE15_SAMPLES - FS * SECONDS) / 2;
  const batch = 64;
  try {
    for (let part = 0, first = 0; first < n; part++, first += perFile) {
      const name = `exams_part${part}.hdf5`;
      const count = Math.min(perFile, n - first);
      const file = new H5.File(tmp(name), "w");
      try {
        const tracings = file.create_dataset({
          name: "tracings",
          data: new Float32Array(0),
          shape: [0, CODE15_SAMPLES, 12],
          maxshape: [null, CODE15_SAMPLES, 12],
          chunks: [16, CODE15_SAMPLES, 12],
        });
        const ids = file.create_dataset({
          name: "exam_id",
          data: new BigInt64Array(0),
          shape: [0],
          maxshape: [null],
          chunks: [Math.min(4096, perFile)],
        });
        for (let a = 0; a < count; a += batch) {
          const b = Math.min(count, a + batch);
          const block = new Float32Array((b - a) * CODE15_SAMPLES * 12);
          const blockIds = new BigInt64Array(b - a);
          const rows: string[] = [];
          for (let k = a; k < b; k++) {
            const index = first + k;
            const { labels, overrides } = code15Labels(seed, index);
            const ecg = synthesizeOne(seed, index, {
              fs: FS,
              seconds: SECONDS,
              noise: opts.noise,
              overrides,
              waves: false,
            });
            const L = ecg.record.samples;
            // ecg-tlc signals are lead-major; CODE-15% rows are sample-major (4096 x 12).
            const base = (k - a) * CODE15_SAMPLES * 12;
            for (let i = 0; i < L; i++)
              for (let l = 0; l < 12; l++)
                block[base + (pad + i) * 12 + l] = ecg.record.signal[l * L + i];
            const id = FIRST_EXAM_ID + index;
            blockIds[k - a] = BigInt(id);
            for (const c of labels) counts[c]++;
            const row: Record<string, string | number> = {
              exam_id: id,
              age: ecg.age,
              is_male: ecg.sex === "M" ? "True" : "False",
              patient_id: 500_000 + index,
              normal_ecg: labels.length ? "False" : "True",
              trace_file: name,
            };
            for (const c of CODE15_CLASSES) row[c] = labels.includes(c) ? "True" : "False";
            rows.push(COLUMNS.map((c) => csvField(row[c] ?? "")).join(","));
          }
          writeSync(csv, rows.join("\n") + "\n");
          tracings.resize([b, CODE15_SAMPLES, 12]);
          tracings.write_slice([[a, b], [], []], block);
          ids.resize([b]);
          ids.write_slice([[a, b]], blockIds);
          opts.onProgress?.(first + b, n);
          if ((a / batch) % 4 === 3) await new Promise((r) => setImmediate(r));
        }
      } finally {
        file.close();
      }
      files.push(name);
    }
    closeSync(csv);
    // The files appear together, the CSV last: a reader never sees a half-written dataset.
    for (const f of files) renameSync(tmp(f), join(dir, f));
    renameSync(tmp("exams.csv"), join(dir, "exams.csv"));
  } catch (err) {
    try {
      closeSync(csv);
    } catch {
      // already closed
    }
    for (const f of [...files, `exams_part${files.length}.hdf5`, "exams.csv"])
      rmSync(tmp(f), { force: true });
    throw err;
  }
  return {
    dir,
    layout: "code15",
    records: n,
    fs: FS,
    samples: CODE15_SAMPLES,
    files,
    classes: counts,
  };
}
