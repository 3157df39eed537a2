/**
 * The native versions of the loops that explain one ECG after the network (composite vectors,
 * the soft assignment's squared distances): the same arithmetic in the same order, so their
 * results equal the TypeScript loops' bit for bit, about ten times faster. Used when the native
 * addon is built; the TypeScript loops otherwise (and when switched off, as the tests do to
 * compare the two).
 */
import { loadNative } from "../native.js";

export interface ExplainKernels {
  /** rows x k squared distances into d2; repeats[r] = 1 when row r equals row r - 1 (unset d2). */
  tlcSquaredDistances(
    x: Float32Array,
    rows: number,
    stride: number,
    c0: number,
    w: number,
    centroids: Float64Array,
    k: number,
    d2: Float64Array,
    repeats: Uint8Array,
  ): void;
  /** One tap (channels x steps at `base`) upsampled into columns [off, off + C) of out. */
  tlcRawTap(
    data: Float32Array,
    base: number,
    C: number,
    Tb: number,
    T: number,
    first: number,
    rows: number,
    out: Float32Array,
    D: number,
    off: number,
    sums: Float64Array | null,
  ): void;
  /** x = float32(x - mean); ss += x^2 per column. */
  tlcCentreSquares(
    x: Float32Array,
    rows: number,
    D: number,
    mean: Float64Array,
    ss: Float64Array,
  ): void;
  /** Posteriors in place of rows x k squared distances, labels, entropy (src/tlc/softmax.ts). */
  tlcSoftmaxRows(
    d: Float64Array,
    repeats: Uint8Array,
    rows: number,
    k: number,
    sigma2: number,
    logK: number,
    labels: Int32Array,
    entropy: Float64Array,
  ): void;
  /** The kernel's exp (which 0: of x <= 0) or p log p (which 1: of 0 < p < 1), for the tests. */
  tlcMathCheck(x: Float64Array, out: Float64Array, which: 0 | 1, vector: boolean): void;
  /**
   * Squared distances of rows float32(float32(x a) t) to each centroid set (x: the centred
   * composite, rows x D), a tile of rows at a time; repeats as tlcSquaredDistances flags them.
   */
  tlcScaledDistances(
    x: Float32Array,
    rows: number,
    D: number,
    a: Float64Array,
    t: Float64Array,
    sets: {
      c0: number;
      w: number;
      k: number;
      centroids: Float64Array;
      d2: Float64Array;
      repeats: Uint8Array;
    }[],
  ): void;
  /** True when the AVX2 versions run (the CPU has AVX2 and ECG_TLC_KMEANS_SCALAR is not set). */
  tlcKernelsAvx2: boolean;
  /** x = float32(float32(x a) t) per column. */
  tlcScaleTwice(x: Float32Array, rows: number, D: number, a: Float64Array, t: Float64Array): void;
}

let kernels: ExplainKernels | null | undefined;
let enabled = true;

/** The native kernels, or null when the addon is not built (or they are switched off). */
export function explainKernels(): ExplainKernels | null {
  if (!enabled) return null;
  if (kernels === undefined) {
    try {
      const m = loadNative<Partial<ExplainKernels>>();
      kernels =
        typeof m.tlcSquaredDistances === "function" &&
        typeof m.tlcSoftmaxRows === "function" &&
        typeof m.tlcScaledDistances === "function"
          ? (m as ExplainKernels)
          : null;
    } catch {
      kernels = null;
    }
  }
  return kernels;
}

/** Switches the native kernels on (the default) or off; returns the previous setting. */
export function useExplainKernels(on: boolean): boolean {
  const was = enabled;
  enabled = on;
  return was;
}
