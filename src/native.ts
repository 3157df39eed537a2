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
  try {
    cached = createRequire(import.meta.url)(path);
  } catch (err) {
    throw new MissingDependencyError(
      `cannot load the native engine ${path}: ${(err as Error).message.split("\n")[0]}; ${INSTALL_HINT}`,
    );
  }
  return cached as T;
}
