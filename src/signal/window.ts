/**
 * The network sees `length` samples at its own rate (10.24 s for ptbxl100). A longer record is
 * cropped to its centre by preprocessing, which training may do, but an explanation must not: it
 * would give every sample outside the window the cluster of the window's edge. So explaining a
 * record longer than the window is refused, saying how long a segment may be.
 */
import { ModelMismatchError } from "../errors.js";
import type { EcgRecord } from "../types.js";
import type { PreparedSignal, Preprocessing } from "./preprocess.js";
import { resampleFactors } from "./resample.js";

/** The most source samples at `fs` whose resampled length fits the window (Infinity: no window). */
export function windowSamples(fs: number, spec: Pick<Preprocessing, "fs" | "length">): number {
  if (!(spec.length > 0)) return Infinity;
  const [up, down] = resampleFactors(fs, spec.fs);
  return Math.floor((spec.length * down) / up);
}

function refuse(
  name: string,
  samples: number,
  fs: number,
  max: number,
  spec: Pick<Preprocessing, "fs" | "length">,
): never {
  const secs = (n: number, rate: number) => `${+(n / rate).toFixed(2)} s`;
  throw new ModelMismatchError(
    `${name}: ${samples} samples (${secs(samples, fs)} at ${fs} Hz) are longer than the ${secs(spec.length, spec.fs)} the network sees at once; explain a segment of at most ${max} samples (${secs(max, fs)}): from/to in seconds, or sampfrom/sampto when reading`,
  );
}

/** Refuses, before any preprocessing, a record longer than the network's window. */
export function checkWindow(
  record: Pick<EcgRecord, "name" | "path" | "fs" | "samples">,
  spec: Pick<Preprocessing, "fs" | "length"> | undefined,
): void {
  if (!spec || !(record.fs > 0) || !Number.isFinite(record.fs)) return; // preprocessing says why
  const max = windowSamples(record.fs, spec);
  if (record.samples > max)
    refuse(record.path ?? record.name, record.samples, record.fs, max, spec);
}

/** Refuses a prepared signal that preprocessing cropped (the same rule, after the fact). */
export function checkPreparedWindow(prepared: PreparedSignal, name: string): void {
  if (prepared.offset < 0) {
    const spec = { fs: prepared.fs, length: prepared.length };
    refuse(
      name,
      prepared.sourceSamples,
      prepared.sourceFs,
      windowSamples(prepared.sourceFs, spec),
      spec,
    );
  }
}
