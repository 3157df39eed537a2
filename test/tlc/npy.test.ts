import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { NpyWriter, readNpy, writeNpy } from "../../src/io/npy.js";
import { pythonWith } from "../python.js";

test("npy: numpy reads what writeNpy and NpyWriter write (values, dtype, shape)", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "tlc-npy-"));
  try {
    const f = new Float32Array([1.5, -2.25, 3e-8, 1e30, 0, -0]);
    const i = new Int32Array([0, -1, 2147483647, -2147483648]);
    writeNpy(join(dir, "f.npy"), f, [2, 3]);
    writeNpy(join(dir, "i.npy"), i, [4]);
    const w = new NpyWriter(join(dir, "s.npy"), "float32", [3]);
    w.append(f.subarray(0, 3));
    w.append(f.subarray(3, 6));
    w.close();
    // Our reader round-trips exactly.
    assert.deepEqual(readNpy(join(dir, "f.npy")), { data: f, shape: [2, 3] });
    assert.deepEqual(readNpy(join(dir, "i.npy")), { data: i, shape: [4] });
    assert.deepEqual(readNpy(join(dir, "s.npy")), { data: f, shape: [2, 3] });
    // Data starts on a 64-byte boundary, as the format asks.
    assert.equal((readFileSync(join(dir, "f.npy")).length - 24) % 64, 0);
    const py = pythonWith("numpy");
    if (!py) {
      t.skip("numpy is not installed");
      return;
    }
    const script = `import numpy as np, sys
f = np.load(sys.argv[1] + "/f.npy"); i = np.load(sys.argv[1] + "/i.npy"); s = np.load(sys.argv[1] + "/s.npy")
print(f.dtype.str, f.shape, i.dtype.str, i.shape, s.shape, repr(f.tolist()), i.tolist(), bool((s == f).all()))`;
    const r = spawnSync(py, ["-c", script, dir], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(
      r.stdout.trim(),
      "<f4 (2, 3) <i4 (4,) (2, 3) [[1.5, -2.25, 2.999999892949745e-08], [1.0000000150474662e+30, 0.0, -0.0]] [0, -1, 2147483647, -2147483648] True",
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("npy: shape must hold the data", () => {
  assert.throws(
    () => writeNpy("/tmp/never.npy", new Float32Array(5), [2, 3]),
    /does not hold 5 values/,
  );
});
