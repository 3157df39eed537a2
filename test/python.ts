import { spawnSync } from "node:child_process";

/**
 * A Python interpreter that can import `modules`: Debian's /usr/bin/python3 (python3-sklearn,
 * python3-numpy) first, then whatever `python3` is on PATH (it may be a pyenv without sklearn).
 */
export function pythonWith(...modules: string[]): string | null {
  for (const py of ["/usr/bin/python3", "python3"]) {
    const r = spawnSync(py, ["-c", `import ${modules.join(", ")}`]);
    if (r.status === 0) return py;
  }
  return null;
}
