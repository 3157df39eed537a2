import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { MissingDependencyError } from "./errors.js";

const INSTALL_HINT =
  "install libtorch with 'apt-get install -y libtorch-dev libopenblas0-openmp', then run 'npm run build:native'";

/** Path of the compiled addon (native/build/Release/ecg_tlc_native.node from the project root). */
export function nativeAddonPath(): string {
  // dist/src/native.js -> project root is two levels up from dist/src
  const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
  return join(root, "native", "build", "Release", "ecg_tlc_native.node");
}

let cached: unknown;

/**
 * How long libtorch's OpenMP threads spin before they sleep, when the user has not chosen: libgomp
 * reads it once, as the addon loads it. Its default (300,000 spins at every barrier and between
 * parallel regions, as PyTorch runs) burns the cores other jobs need on a shared machine: 2.6x the
 * CPU time per training step and 1.7x the wall time of an epoch, measured on 2 cores under load.
 * 10,000 spins (tens of microseconds) still bridge the gaps between the ops of a step.
 */
export const DEFAULT_GOMP_SPINCOUNT = "10000";

function boundOpenMpSpinning(): void {
  if (process.env.OMP_WAIT_POLICY === undefined && process.env.GOMP_SPINCOUNT === undefined)
    process.env.GOMP_SPINCOUNT = DEFAULT_GOMP_SPINCOUNT;
}

/**
 * OpenBLAS threads, when the user has not chosen: one (the calling thread), read once as the addon
 * loads OpenBLAS. The engine's parallel work is OpenMP's (oneDNN and ATen); BLAS only multiplies
 * the head's small matrices. Debian's pthread OpenBLAS (the variant its alternatives pick when
 * both are installed) keeps a worker per core that spins on sched_yield after every call, beside
 * the OpenMP team: measured 0.4 ms of CPU per ECG in a forward pass and 1.2-1.7 ms while explain
 * works between forward calls, taken from the cores the network and the pipeline need.
 */
export const DEFAULT_OPENBLAS_THREADS = "1";

function boundBlasThreads(): void {
  if (process.env.OPENBLAS_NUM_THREADS === undefined)
    process.env.OPENBLAS_NUM_THREADS = DEFAULT_OPENBLAS_THREADS;
}

/**
 * Loads the libtorch addon once. Typed by the caller (each module declares the functions it uses).
 * Throws MissingDependencyError with the install command when the addon or libtorch is missing.
 */
export function loadNative<T>(): T {
  if (cached) return cached as T;
  const path = nativeAddonPath();
  if (!existsSync(path)) {
    throw new MissingDependencyError(
      `the native engine is not built (${path} missing): ${INSTALL_HINT}`,
    );
  }
  boundOpenMpSpinning();
  boundBlasThreads();
  try {
    cached = createRequire(import.meta.url)(path);
  } catch (err) {
    throw new MissingDependencyError(
      `cannot load the native engine ${path}: ${(err as Error).message.split("\n")[0]}; ${INSTALL_HINT}`,
    );
  }
  return cached as T;
}
