/** Where the benchmarks' reference implementations (Python, run beside ours) live. */
import { join } from "node:path";
import { ROOT } from "../test/data.js";

export { pythonWith } from "../test/python.js";

/** Path of a reference script in bench/reference/. */
export function referenceScript(name: string): string {
  return join(ROOT, "bench", "reference", name);
}
