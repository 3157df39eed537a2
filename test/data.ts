import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Project root (tests run from dist/test/, compiled from test/). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

/**
 * The shared real data (../shared/data beside the project). Tests that need it call this: it
 * fails with a message saying where it looked, never skips silently. ECG_TLC_DATA overrides it.
 */
export function sharedData(...parts: string[]): string {
  const base = process.env.ECG_TLC_DATA ?? resolve(ROOT, "..", "shared", "data");
  const p = join(base, ...parts);
  if (!existsSync(p)) {
    throw new Error(
      `shared test data not found at ${p}: clone ../shared beside the project or set ECG_TLC_DATA`,
    );
  }
  return p;
}
