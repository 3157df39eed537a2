/**
 * CODE-15% (Ribeiro et al. 2020/2021): `exams.csv` (exam_id, age, is_male, the 6 abnormalities,
 * patient_id, trace_file) and `exams_part*.hdf5` files holding `tracings` (N x 4096 x 12, float32,
 * 400 Hz, mV, zero-padded to 4096 samples) and `exam_id` (N). Tracings are read lazily with h5wasm,
 * one slice per contiguous run of exams, never the whole file. Folds 1-10 come from the patient
 * (patientFold): CODE-15% has none.
 */
import { closeSync, openSync, readSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { EcgFormatError, MissingDependencyError } from "../../errors.js";
import { STANDARD_LEADS, type EcgRecord } from "../../types.js";
import { readCsvObjects } from "../csv.js";
import { normalizeSex, parseAge, type Dataset, type DatasetEntry } from "./types.js";

export const CODE15_CLASSES = ["1dAVb", "RBBB", "LBBB", "SB", "ST", "AF"];
export const CODE15_FS = 400;

type H5 = typeof import("h5wasm/node").default;
type H5File = InstanceType<H5["File"]>;
type H5Dataset = InstanceType<H5["Dataset"]>;

let h5: H5 | undefined;
async function loadH5(): Promise<H5> {
  if (h5) return h5;
  try {
    const mod = (await import("h5wasm/node")).default;
    await mod.ready;
    h5 = mod;
    return mod;
  } catch (err) {
    throw new MissingDependencyError(
      `cannot load h5wasm (${(err as Error).message}); run 'npm ci'`,
    );
  }
}

function dataset(file: H5File, name: string, path: string): H5Dataset {
  const d = file.get(name);
  if (!d || !(d instanceof (h5 as H5).Dataset))
    throw new EcgFormatError(path, `no '${name}' dataset`);
  return d as H5Dataset;
}

/** HDF5 files start with a signature at byte 0 (or 512, 1024, ... after a user block). */
function isHdf5(path: string): boolean {
  const sig = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
  const fd = openSync(path, "r");
  try {
    const buf = new Uint8Array(8);
    for (const at of [0, 512, 1024, 2048]) {
      if (readSync(fd, buf, 0, 8, at) === 8 && sig.every((b, k) => buf[k] === b)) return true;
    }
    return false;
  } finally {
    closeSync(fd);
  }
}

/**
 * CODE-15% has no cross-validation folds: folds 1-10 from a hash of the patient (FNV-1a), so that
 * every exam of a patient falls in one fold and the split does not depend on the files' order.
 */
export function patientFold(patient: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < patient.length; i++) h = Math.imul(h ^ patient.charCodeAt(i), 0x01000193);
  return ((h >>> 0) % 10) + 1;
}

export async function openCode15(root: string): Promise<Dataset> {
  const H5 = await loadH5();
  const parts = readdirSync(root)
    .filter((f) => /^exams_part\d+\.hdf5$/.test(f))
    .sort((a, b) => Number(a.match(/\d+/)![0]) - Number(b.match(/\d+/)![0]));
  const files = new Map<
    string,
    { file: H5File; tracings: H5Dataset; samples: number; leads: number }
  >();
  const where = new Map<string, { path: string; index: number }>();
  try {
    for (const p of parts) {
      const path = join(root, p);
      if (!isHdf5(path))
        throw new EcgFormatError(path, "not a readable HDF5 file (no HDF5 signature)");
      let file: H5File;
      try {
        file = new H5.File(path, "r");
      } catch (err) {
        throw new EcgFormatError(path, `not a readable HDF5 file (${(err as Error).message})`);
      }
      const tracings = dataset(file, "tracings", path);
      const shape = tracings.shape ?? [];
      if (shape.length !== 3)
        throw new EcgFormatError(
          path,
          `'tracings' has shape [${shape}], expected N x samples x 12`,
        );
      const ids = dataset(file, "exam_id", path).value as ArrayLike<number | bigint>;
      if (ids.length !== shape[0]) {
        throw new EcgFormatError(path, `'exam_id' has ${ids.length} rows, 'tracings' ${shape[0]}`);
      }
      for (let i = 0; i < ids.length; i++) {
        const id = String(ids[i]);
        if (id !== "0") where.set(id, { path, index: i }); // exam_id 0 rows are padding
      }
      files.set(path, { file, tracings, samples: shape[1], leads: shape[2] });
    }
  } catch (err) {
    for (const f of files.values()) f.file.close();
    throw err;
  }
  const { rows } = readCsvObjects(join(root, "exams.csv"));
  const entries: DatasetEntry[] = [];
  for (const r of rows) {
    const id = (r.exam_id ?? "").trim();
    const at = where.get(id);
    if (!at) continue;
    const entry: DatasetEntry = {
      id,
      path: at.path,
      index: at.index,
      labels: CODE15_CLASSES.filter((c) => /^(true|1|1\.0)$/i.test((r[c] ?? "").trim())),
    };
    entry.fold = patientFold((r.patient_id ?? "").trim() || id);
    const age = parseAge(r.age);
    if (age !== undefined) entry.age = age;
    const male = (r.is_male ?? "").trim().toLowerCase();
    const sex = normalizeSex(
      male === "true" || male === "1" ? "M" : male === "false" || male === "0" ? "F" : undefined,
    );
    if (sex !== undefined) entry.sex = sex;
    entries.push(entry);
  }

  /** Reads rows [a, b) of one file and splits them into records. */
  const readRun = (path: string, a: number, b: number, ids: string[]): EcgRecord[] => {
    const f = files.get(path);
    if (!f) throw new EcgFormatError(path, "not an HDF5 file of this dataset");
    const data = f.tracings.slice([[a, b], [], []]) as Float32Array | Float64Array | null;
    if (!data) throw new EcgFormatError(path, `cannot read tracings ${a}-${b}`);
    const n = f.samples;
    const L = f.leads;
    const out: EcgRecord[] = [];
    for (let k = 0; k < b - a; k++) {
      // HDF5 rows are sample-major (samples x leads); ecg-tlc signals are lead-major.
      const signal = new Float32Array(L * n);
      const base = k * n * L;
      for (let i = 0; i < n; i++)
        for (let l = 0; l < L; l++) signal[l * n + i] = data[base + i * L + l];
      out.push({
        name: ids[k],
        path: `${path}#${a + k}`,
        fs: CODE15_FS,
        samples: n,
        leads: L === 12 ? [...STANDARD_LEADS] : Array.from({ length: L }, (_, l) => `lead${l}`),
        units: new Array<string>(L).fill("mV"),
        signal,
      });
    }
    return out;
  };

  const readBatch = async (es: DatasetEntry[]): Promise<EcgRecord[]> => {
    const out = new Array<EcgRecord>(es.length);
    // Group by file, then read each contiguous run of rows with one slice.
    const order = es
      .map((e, k) => k)
      .sort((x, y) => es[x].path.localeCompare(es[y].path) || es[x].index! - es[y].index!);
    let s = 0;
    while (s < order.length) {
      let t = s + 1;
      const e0 = es[order[s]];
      if (e0.index === undefined)
        throw new EcgFormatError(e0.path, `entry ${e0.id} has no row index`);
      while (
        t < order.length &&
        es[order[t]].path === e0.path &&
        es[order[t]].index === e0.index + (t - s)
      )
        t++;
      const recs = readRun(
        e0.path,
        e0.index,
        e0.index + (t - s),
        order.slice(s, t).map((k) => es[k].id),
      );
      order.slice(s, t).forEach((k, j) => (out[k] = recs[j]));
      s = t;
    }
    return out;
  };

  return {
    kind: "code15",
    root,
    classes: [...CODE15_CLASSES],
    entries,
    read: async (e) => (await readBatch([e]))[0],
    readBatch,
    close: () => {
      for (const f of files.values()) f.file.close();
      files.clear();
    },
  };
}
