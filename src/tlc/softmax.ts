/**
 * The soft assignment's posteriors and entropy from squared distances, row by row:
 * p_q ∝ exp(-(d_q - d_min) / (2 sigma^2)) and H = -sum p log p / log K.
 *
 * exp and log are the project's own rather than Math.exp / Math.log, so that the native kernel
 * (native/src/softmax_kernels.cc, four rows at a time) gives the same bits as this file: each
 * is a fixed sequence of IEEE double operations (no fused multiply-add), performed in the same
 * order on both sides. Accuracy: within 2 units in the last place of the correctly rounded
 * value (tested against Math.exp / Math.log).
 */
import { explainKernels } from "./native-kernels.js";

const LOG2E = 1.4426950408889634;
// ln 2 in two parts; k * LN2_HI is exact for the |k| <= 1077 used here (32 significant bits).
const LN2_HI = 6.9314718036912382e-1;
const LN2_LO = 1.9082149292705877e-10;
const SQRT2 = 1.4142135623730951;
const MIN_NORMAL = 2.2250738585072014e-308;
/** 1 / n! for n = 2..13: exp(r) = 1 + r + r^2 (1/2! + r/3! + ...). */
const EXP_C = [
  1 / 2,
  1 / 6,
  1 / 24,
  1 / 120,
  1 / 720,
  1 / 5040,
  1 / 40320,
  1 / 362880,
  1 / 3628800,
  1 / 39916800,
  1 / 479001600,
  1 / 6227020800,
];
/** 2 / (2n + 1) for n = 1..11: log((1 + s) / (1 - s)) = 2s + s R(s^2). */
const LOG_C = [2 / 3, 2 / 5, 2 / 7, 2 / 9, 2 / 11, 2 / 13, 2 / 15, 2 / 17, 2 / 19, 2 / 21, 2 / 23];

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer); // little-endian: u32[1] holds sign, exponent, top mantissa

/** 2^n for -1022 <= n <= 1023, exactly. */
function pow2(n: number): number {
  u32[0] = 0;
  u32[1] = (n + 1023) << 20;
  return f64[0];
}

const TWO_M60 = pow2(-60);

/** exp(x) for -746 <= x <= 0: reduction x = k ln 2 + r, |r| <= ln 2 / 2, Taylor to r^13. */
export function expNonPositive(x: number): number {
  if (Number.isNaN(x)) return x;
  const kf = Math.floor(x * LOG2E + 0.5);
  const r = x - kf * LN2_HI - kf * LN2_LO;
  let q = EXP_C[11];
  for (let n = 10; n >= 0; n--) q = q * r + EXP_C[n];
  const e = 1 + (r + r * r * q);
  // Results below 2^-1022 are scaled in two steps (one rounding into the subnormal range).
  return kf >= -1022 ? e * pow2(kf) : e * pow2(kf + 60) * TWO_M60;
}

/** log(p) for 0 < p < 1: p = 2^e m with m in (sqrt 2 / 2, sqrt 2], log m by the atanh series. */
export function logUnit(p: number): number {
  let e0 = 0;
  if (p < MIN_NORMAL) {
    p = p * 18014398509481984; // 2^54: subnormals into the normal range
    e0 = -54;
  }
  f64[0] = p;
  const hi = u32[1];
  let e = (hi >>> 20) - 1023 + e0;
  u32[1] = (hi & 0xfffff) | 0x3ff00000;
  let m = f64[0];
  if (m > SQRT2) {
    m = m * 0.5;
    e = e + 1;
  }
  const f = m - 1;
  const s = f / (2 + f);
  const z = s * s;
  let R = LOG_C[10];
  for (let n = 9; n >= 0; n--) R = R * z + LOG_C[n];
  R = R * z;
  const hfsq = 0.5 * (f * f);
  return e * LN2_HI - (hfsq - (s * (hfsq + R) + e * LN2_LO) - f);
}

/**
 * Rows of `d` (rows x k squared distances) into posteriors in place, with each row's nearest
 * centroid in `labels` and normalised entropy in [0, 1] in `entropy`. A row flagged in
 * `repeats` takes the row before's values (its distances are not read).
 */
export function softmaxRows(
  d: Float64Array,
  repeats: Uint8Array,
  rows: number,
  k: number,
  sigma2: number,
  labels: Int32Array,
  entropy: Float64Array,
): void {
  const logK = Math.log(k);
  const native = explainKernels();
  if (native) {
    native.tlcSoftmaxRows(d, repeats, rows, k, sigma2, logK, labels, entropy);
    return;
  }
  const s2 = 2 * sigma2;
  for (let r = 0; r < rows; r++) {
    const b = r * k;
    if (repeats[r]) {
      // The same vector as the row before (a coarser tap's step spans several fine steps).
      d.copyWithin(b, b - k, b);
      labels[r] = labels[r - 1];
      entropy[r] = entropy[r - 1];
      continue;
    }
    let best = 0;
    for (let q = 1; q < k; q++) if (d[b + q] < d[b + best]) best = q;
    labels[r] = best;
    // Shifted by the nearest distance, so that exp never underflows to all zeros.
    const dBest = d[b + best];
    for (let q = 0; q < k; q++) {
      const a = -(d[b + q] - dBest) / s2;
      d[b + q] = a === 0 ? 1 : a < -746 ? 0 : expNonPositive(a);
    }
    let z = 0;
    for (let q = 0; q < k; q++) z += d[b + q];
    for (let q = 0; q < k; q++) d[b + q] = d[b + q] / z;
    let h = 0;
    for (let q = 0; q < k; q++) {
      const p = d[b + q];
      h -= p > 0 && p !== 1 ? p * logUnit(p) : 0;
    }
    entropy[r] = k > 1 ? Math.min(1, Math.max(0, h / logK)) : 0;
  }
}
