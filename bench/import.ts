/**
 * Imported-model benchmark: the same network (ptbxl100 preset, seeded weights) run by the native
 * engine and, exported to ONNX (export-model) and imported (import-model), by ONNX Runtime (and,
 * scripted by PyTorch from bench/reference/script_native.py, as TorchScript by libtorch), side by
 * side in one run with the same batch and thread count: forward with every tap kept (Model.forward,
 * so each side includes its own glue). Then the import of a 30 MB ONNX network (ribeiro2020's
 * layout, wider): wall time of importModel (decode, checks, one test batch, folder written).
 *
 * usage: node dist/bench/import.js   (BENCH_N reps, default 5; BENCH_BATCH, default 32;
 * ECG_TLC_THREADS, default 2).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { importModel } from "../src/model/import.js";
import {
  loadModel,
  writeUntrainedModel,
  setNumThreads,
  type ModelFace,
} from "../src/model/index.js";
import { pythonWith, referenceScript } from "./reference.js";
import { exportOnnx } from "../src/model/onnx/export.js";
import { setOrtThreads } from "../src/model/onnx/session.js";

const N = Number(process.env.BENCH_N ?? 5);
const BATCH = Number(process.env.BENCH_BATCH ?? 32);
const THREADS = Number(process.env.ECG_TLC_THREADS ?? 2);
const TAPS = ["B1", "B2", "B3", "B4"];

const median = (v: number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function timed(fn: () => Promise<unknown>, n = N): Promise<number[]> {
  await fn(); // warm-up
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    out.push((performance.now() - t0) / 1000);
  }
  return out;
}

async function main(): Promise<void> {
  setNumThreads(THREADS);
  setOrtThreads(THREADS);
  const tmp = mkdtempSync(join(tmpdir(), "ecg-tlc-bench-import-"));
  try {
    const native = join(tmp, "native");
    mkdirSync(native);
    await writeUntrainedModel(native, { seed: 1 });
    await exportOnnx(native, join(tmp, "native.onnx"));
    await importModel(join(tmp, "native.onnx"), join(tmp, "imported"), {
      fs: 100,
      outputs: "logits",
      normalise: "record-zscore",
      taps: TAPS,
    });
    // The same network as TorchScript (PyTorch's scripting of bench/reference/model_torch.py with
    // these weights), when python3-torch is there.
    const py = pythonWith("torch");
    let c: ModelFace | null = null;
    if (py) {
      const pt = join(tmp, "native.pt");
      const r = spawnSync(py, [referenceScript("script_native.py"), native, pt], {
        encoding: "utf8",
      });
      if (r.status !== 0) throw new Error(`script_native.py failed: ${r.stderr}`);
      await importModel(pt, join(tmp, "scripted"), {
        fs: 100,
        length: 1024,
        outputs: "logits",
        normalise: "record-zscore",
        taps: ["taps.0", "taps.1", "taps.2", "taps.3"],
      });
      c = await loadModel(join(tmp, "scripted"));
    }
    const a = await loadModel(native);
    const b = await loadModel(join(tmp, "imported"));
    const x = new Float32Array(BATCH * 12 * 1024);
    for (let i = 0; i < x.length; i++) x[i] = Math.sin(i * 0.013) + 0.2 * Math.cos(i * 0.07);
    // Interleaved rounds, so that a change in the machine's load hits both sides alike.
    const ta: number[] = [];
    const tb: number[] = [];
    const tc: number[] = [];
    const scriptTaps = TAPS.map((_, i) => `taps.${i}`);
    for (let i = 0; i < N; i++) {
      ta.push(...(await timed(() => a.forward(x, BATCH, { taps: TAPS }), 1)));
      tb.push(...(await timed(() => b.forward(x, BATCH, { taps: TAPS }), 1)));
      if (c) tc.push(...(await timed(() => c.forward(x, BATCH, { taps: scriptTaps }), 1)));
    }
    const [ma, mb] = [median(ta), median(tb)];
    console.log(
      `forward with taps B1-B4, ptbxl100, batch ${BATCH}, ${THREADS} threads (median of ${N}):`,
    );
    console.log(`  native engine:        ${(BATCH / ma).toFixed(1)} ECGs/s`);
    console.log(
      `  imported ONNX (ORT):  ${(BATCH / mb).toFixed(1)} ECGs/s  (${(ma / mb).toFixed(2)}x native)`,
    );
    if (c) {
      const mc = median(tc);
      console.log(
        `  imported TorchScript: ${(BATCH / mc).toFixed(1)} ECGs/s  (${(ma / mc).toFixed(2)}x native)`,
      );
      c.dispose();
    } else console.log("  imported TorchScript: skipped (no python3 with torch to script it)");
    a.dispose();
    b.dispose();

    const big = join(tmp, "big");
    mkdirSync(big);
    // ribeiro2020's layout, a little wider (208, 272, 336 channels): 30 MB of weights.
    await writeUntrainedModel(big, {
      preset: "ribeiro2020",
      network: { channels: [64, 128, 208, 272, 336] },
      seed: 1,
    });
    const file = join(tmp, "big.onnx");
    await exportOnnx(big, file);
    const mb30 = statSync(file).size / 1e6;
    const times = await timed(
      () =>
        importModel(file, join(tmp, "big-imported"), {
          fs: 400,
          outputs: "logits",
          normalise: "none",
          taps: ["B3", "B4"],
        }),
      3,
    );
    console.log(
      `import-model of a ${mb30.toFixed(1)} MB ONNX network (4,096 samples at 400 Hz): ${median(times).toFixed(2)} s (median of 3)`,
    );
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
