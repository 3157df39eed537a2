import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { getNumThreads, PRESETS, setNumThreads } from "../../src/index.js";
import {
  createNetwork,
  engineConfig,
  forwardFlops,
  type NetworkOptions,
} from "../../src/model/engine.js";
import { loadNative } from "../../src/native.js";

// A tiny network on the ptbxl100 input shape: fast, yet every code path of the real one.
const tiny = (over: Partial<NetworkOptions> = {}): NetworkOptions => ({
  leads: 12,
  length: 1024,
  channels: [4, 4, 6, 6, 8],
  kernel: 5,
  downsample: 2,
  outputs: 3,
  dropout: 0,
  seed: 7,
  lr: 1e-2,
  weightDecay: 0,
  ...over,
});

function input(batch: number, leads: number, length: number, seed: number): Float32Array {
  const x = new Float32Array(batch * leads * length);
  let s = seed;
  for (let i = 0; i < x.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    x[i] = s / 2 ** 32 - 0.5;
  }
  return x;
}

test("tap shapes follow METHOD.md for both presets", () => {
  for (const [name, steps] of [
    ["ptbxl100", [512, 256, 128, 64]],
    ["ribeiro2020", [1024, 256, 64, 16]],
  ] as const) {
    const p = PRESETS[name].network;
    const net = createNetwork({ ...tiny(), ...p, channels: [2, 2, 2, 2, 2], outputs: 5 });
    const shapes = net.tapShapes();
    assert.deepEqual(
      ["B1", "B2", "B3", "B4"].map((t) => shapes[t].steps),
      steps,
      name,
    );
  }
  // The real channel widths, from the preset.
  const net = createNetwork({ ...tiny(), ...PRESETS.ptbxl100.network, outputs: 5 });
  assert.deepEqual(
    Object.values(net.tapShapes()).map((s) => s.channels),
    [128, 196, 256, 320],
  );
  // 12*64*17*1024*2 for the stem alone; the whole forward pass is ~2.7 GFLOP per ECG.
  const flops = forwardFlops({ ...PRESETS.ptbxl100.network, outputs: 5 });
  assert.ok(flops > 2.6e9 && flops < 2.8e9, String(flops));
});

test("forward returns outputs and the requested taps with their shapes", async () => {
  const net = createNetwork(tiny());
  const x = input(3, 12, 1024, 1);
  const r = await net.forward(x, 3, ["B2", "B4"]);
  assert.equal(r.outputs.length, 3 * 3);
  assert.deepEqual(Object.keys(r.taps).sort(), ["B2", "B4"]);
  assert.equal(r.taps.B2.length, 3 * 6 * 256);
  assert.equal(r.taps.B4.length, 3 * 8 * 64);
  // Taps are post-ReLU activations.
  assert.ok(r.taps.B4.every((v) => v >= 0));
  // Batch items are independent in eval mode: ECG 1 alone gives the same outputs.
  const one = await net.forward(x.slice(12 * 1024, 2 * 12 * 1024), 1, []);
  for (let k = 0; k < 3; k++) assert.ok(Math.abs(one.outputs[k] - r.outputs[3 + k]) < 1e-5);
  assert.throws(() => net.forward(x, 2, []), /expected batch \(2\) x 12 leads x 1024 samples/);
  assert.throws(() => net.forward(x, 3, ["B9"]), /unknown tap 'B9'/);
});

test("the same seed gives the same weights and training; another seed does not", async () => {
  const x = input(4, 12, 1024, 2);
  const y = Float32Array.of(1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 0);
  const run = async (seed: number) => {
    const net = createNetwork(tiny({ seed, dropout: 0.3 }));
    const losses = [await net.trainStep(x, 4, y, "bce"), await net.trainStep(x, 4, y, "bce")];
    return { losses, out: (await net.forward(x, 4, [])).outputs };
  };
  const a = await run(3);
  const b = await run(3);
  const c = await run(4);
  assert.deepEqual(a.losses, b.losses);
  assert.deepEqual(a.out, b.out);
  assert.notDeepEqual(a.out, c.out);
});

test("the thread count reaches the thread that runs the work, and concurrent calls are serialised", async () => {
  const before = getNumThreads();
  try {
    for (const n of [1, 2]) {
      setNumThreads(n);
      const c = await engineConfig();
      assert.equal(c.threads, n);
      assert.equal(c.ompThreads, n);
      assert.equal(getNumThreads(), n);
    }
  } finally {
    setNumThreads(before);
  }
  const c = await engineConfig();
  assert.match(c.torch, /^\d+\.\d+/);
  assert.equal(typeof c.mkldnn, "boolean");
  // Calls issued at once run one after the other on the engine's thread: the same results.
  const net = createNetwork(tiny({ dropout: 0.2 }));
  const xs = [1, 2, 3].map((seed) => input(2, 12, 1024, seed));
  const together = await Promise.all(xs.map((x) => net.forward(x, 2, ["B2"])));
  for (let i = 0; i < xs.length; i++)
    assert.deepEqual(together[i], await net.forward(xs[i], 2, ["B2"]));
});

test("a few Adam steps reduce the loss on a separable toy set (bce, mse and l1)", async () => {
  // Class = whether lead 0 carries a 5 Hz sinusoid.
  const n = 8;
  const x = new Float32Array(n * 12 * 1024);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % 2;
    for (let t = 0; t < 1024; t++)
      x[i * 12 * 1024 + t] = y[i] * Math.sin((2 * Math.PI * 5 * t) / 100);
  }
  for (const loss of ["bce", "mse", "l1"] as const) {
    const net = createNetwork(tiny({ outputs: 1 }));
    const first = await net.trainStep(x, n, y, loss);
    let last = first;
    for (let s = 0; s < 12; s++) last = await net.trainStep(x, n, y, loss);
    assert.ok(last < 0.5 * first, `${loss}: ${first} -> ${last}`);
  }
});

test("a NaN loss is reported, not trained on", async () => {
  const net = createNetwork(tiny({ outputs: 1 }));
  const x = input(2, 12, 1024, 3);
  x[5] = NaN;
  await assert.rejects(net.trainStep(x, 2, Float32Array.of(0, 1), "bce"), /loss is NaN/);
});

test("Grad-CAM combines the tap's activation and gradient, and the gradient is exact", async () => {
  const net = createNetwork(tiny());
  const x1 = input(1, 12, 1024, 4);
  const x2 = input(1, 12, 1024, 5);
  for (const tap of ["B3", "B4"]) {
    const cam = await net.gradcam(x1, 1, tap, 2);
    const { activation: a, gradient: g } = await net.tapGradient(x1, 1, tap, 2);
    const { channels, steps } = net.tapShapes()[tap];
    assert.equal(cam.length, steps);
    // cam(t) = ReLU(sum_c mean_t'(g_c) a_c(t))
    for (let t = 0; t < steps; t++) {
      let s = 0;
      for (let c = 0; c < channels; c++) {
        let m = 0;
        for (let u = 0; u < steps; u++) m += g[c * steps + u];
        s += (m / steps) * a[c * steps + t];
      }
      assert.ok(Math.abs(cam[t] - Math.max(0, s)) < 1e-5 * (1 + Math.abs(s)), `${tap} step ${t}`);
    }
  }
  // B4 feeds the linear head, so its gradient is constant and output differences are exactly
  // sum(g * (a1 - a2)): a direct check of the gradient (finite differences with step a1 - a2).
  const r1 = await net.tapGradient(x1, 1, "B4", 1);
  const r2 = await net.tapGradient(x2, 1, "B4", 1);
  const o1 = (await net.forward(x1, 1, [])).outputs[1];
  const o2 = (await net.forward(x2, 1, [])).outputs[1];
  let predicted = 0;
  for (let i = 0; i < r1.gradient.length; i++) {
    assert.ok(Math.abs(r1.gradient[i] - r2.gradient[i]) < 1e-6);
    predicted += r1.gradient[i] * (r1.activation[i] - r2.activation[i]);
  }
  assert.ok(
    Math.abs(o1 - o2 - predicted) < 1e-4 * (1 + Math.abs(o1 - o2)),
    `${o1 - o2} vs ${predicted}`,
  );
});

test("the mean head weighs every B4 step alike; the flatten head does not", async () => {
  const x = input(1, 12, 1024, 6);
  const spread = async (head: "flatten" | "mean") => {
    const net = createNetwork(tiny({ head }));
    const { gradient: g } = await net.tapGradient(x, 1, "B4", 0);
    const { channels, steps } = net.tapShapes().B4;
    let worst = 0;
    for (let c = 0; c < channels; c++) {
      for (let t = 1; t < steps; t++) {
        worst = Math.max(worst, Math.abs(g[c * steps + t] - g[c * steps]));
      }
    }
    return { worst, net, steps, channels };
  };
  const mean = await spread("mean");
  const flat = await spread("flatten");
  assert.ok(mean.worst < 1e-7, `mean head: per-step gradients differ by ${mean.worst}`);
  assert.ok(flat.worst > 1e-4, `flatten head: per-step gradients differ by only ${flat.worst}`);
  // The heads differ only in the linear layer's inputs: channels x steps against channels.
  const outputs = tiny().outputs;
  assert.equal(
    flat.net.parameterCount() - mean.net.parameterCount(),
    mean.channels * (mean.steps - 1) * outputs,
  );
  const shape = { ...PRESETS.ptbxl100.network, outputs: 5 };
  assert.equal(forwardFlops(shape) - forwardFlops({ ...shape, head: "mean" }), 2 * 320 * 63 * 5);
  assert.throws(() => createNetwork(tiny({ head: "gap" as "mean" })), /head must be/);
});

test("the inference forward agrees with the autograd one, and follows training and loading", async () => {
  // Channel counts on and off oneDNN's blocks of 16; the forward keeps its weights converted to
  // oneDNN's layout between calls, so a training step or a load must reach them.
  const shape = tiny({ channels: [16, 32, 20, 32, 24], dropout: 0.2 });
  const net = createNetwork(shape);
  const x = input(2, 12, 1024, 9);
  const y = Float32Array.of(1, 0, 1, 0, 1, 1);
  const agree = async () => {
    const r = await net.forward(x, 2, ["B1", "B2", "B3", "B4"]);
    for (const [i, tap] of ["B1", "B2", "B3", "B4"].entries()) {
      const { activation } = await net.tapGradient(x, 2, tap, 0);
      let worst = 0;
      for (let k = 0; k < activation.length; k++)
        worst = Math.max(
          worst,
          Math.abs(activation[k] - r.taps[tap][k]) / (1 + Math.abs(activation[k])),
        );
      assert.ok(worst < 1e-5, `${tap} (unit ${i + 1}) differs by ${worst}`);
    }
    return r;
  };
  const before = await agree();
  for (let i = 0; i < 3; i++) await net.trainStep(x, 2, y, "bce");
  const after = await agree();
  assert.notDeepEqual(after.outputs, before.outputs);
  const dir = mkdtempSync(join(tmpdir(), "ecg-tlc-engine-"));
  try {
    await net.save(join(dir, "w.pt"));
    const other = createNetwork({ ...shape, seed: 8 });
    assert.notDeepEqual((await other.forward(x, 2, [])).outputs, after.outputs);
    await other.load(join(dir, "w.pt"));
    assert.deepEqual(await other.forward(x, 2, ["B1", "B2", "B3", "B4"]), after);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("dropout draws what torch::dropout draws, bit for bit, from any point of the generator", () => {
  const { checkDropout } = loadNative<{
    checkDropout(p: number, n: number, skip: number): boolean;
  }>();
  // Sizes around the Mersenne Twister's block of 624 draws (two per value), odd and even offsets.
  for (const p of [0.1, 0.2, 0.5, 1 / 3, 0.9])
    for (const n of [1, 311, 312, 313, 624, 1000, 40_003])
      for (const skip of [0, 1, 2, 623])
        assert.ok(checkDropout(p, n, skip), `p ${p}, ${n} values after ${skip} draws`);
});

test("the engine loads with bounded OpenMP spinning and one OpenBLAS thread unless the user chose", async () => {
  const engine = new URL("../../src/model/engine.js", import.meta.url).href;
  const options = JSON.stringify(tiny());
  const script = `
    const { engineConfig, createNetwork } = await import(${JSON.stringify(engine)});
    const c = await engineConfig();
    await createNetwork(${options}).forward(new Float32Array(12 * 1024), 1, ["B2"]);
    console.log(JSON.stringify({ blas: c.openblasThreads, spin: c.gompSpincount }));
  `;
  const run = async (env: NodeJS.ProcessEnv) => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["--input-type=module", "-e", script],
      { env, timeout: 60_000 },
    );
    return JSON.parse(stdout) as { blas: string | null; spin: string | null };
  };
  const base = { ...process.env };
  delete base.OPENBLAS_NUM_THREADS;
  delete base.GOMP_SPINCOUNT;
  delete base.OMP_WAIT_POLICY;
  assert.deepEqual(await run(base), { blas: "1", spin: "10000" });
  assert.deepEqual(await run({ ...base, OPENBLAS_NUM_THREADS: "3", GOMP_SPINCOUNT: "7" }), {
    blas: "3",
    spin: "7",
  });
});
