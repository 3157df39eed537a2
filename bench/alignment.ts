/**
 * Which TLC choices make clusters physiological without losing fidelity (alignment is not
 * automatic). For each configuration (taps, block weights, centring, standardisation, K) it
 * fits TLC on PTB-XL folds 1-8, measures the landmark alignment on LUDB lead II (NMI at the P, R,
 * T peaks and per-wave purity) and the surrogate fidelity cross-validated over folds 1-9; the
 * per-block clusterings of the default and METHOD.md configurations come along.
 *
 * The network's taps are computed once per ECG and cached (a wrapper around the model), so each
 * configuration costs only its k-means and assignments.
 *
 * Results on the final ptbxl100 model, and why the defaults are B1,B2 with per-record
 * standardisation and K = 6: docs/EVIDENCE.md. ALIGN_DETAIL=1 prints, per cluster, its P / R / T
 * peaks and the wave share of its samples.
 *
 * usage: node dist/bench/alignment.js [MODEL_DIR] [CONFIG...]   (default /work/models/ptbxl100;
 * ECG_TLC_DATA for the data). Skips with a message when the model or the data is missing.
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { openDataset } from "../src/io/index.js";
import type { Explanation } from "../src/explain/explanation.js";
import { loadModel, type ModelFace as Model } from "../src/model/index.js";
import { Tlc, type TlcOptions } from "../src/tlc/index.js";
import { alignRecords } from "../src/eval/landmarks.js";
import type { AlignmentResult } from "../src/eval/alignment.js";
import { surrogateFidelity } from "../src/eval/surrogate.js";
import type { EcgRecord } from "../src/types.js";

const modelDir = process.argv[2] ?? process.env.ECG_TLC_MODEL ?? "/work/models/ptbxl100";
const data = process.env.ECG_TLC_DATA ?? resolve("..", "shared", "data");
const ptbxl = join(data, "ptbxl");
const ludbDir = join(data, "ludb", "data");
const MAX_POINTS = Number(process.env.ALIGN_MAX_POINTS ?? 60000);

/** Every named configuration but "default" starts from METHOD.md's composite (B2-B4, K = 8,
 * training-set standardisation, centred) and changes what its name says. */
const METHOD: TlcOptions = { taps: ["B2", "B3", "B4"], k: 8, recordScale: false };
const CONFIGS: Record<string, TlcOptions> = {
  default: {},
  method: {},
  "no-centre": { centre: false },
  "no-standardise": { standardise: false },
  "equal-weights": { weights: "equal" },
  "K=4": { k: 4 },
  "K=6": { k: 6 },
  "K=12": { k: 12 },
  "B2,B3": { taps: ["B2", "B3"] },
  "B1,B2": { taps: ["B1", "B2"] },
  B2: { taps: ["B2"] },
  "B2 K=4": { taps: ["B2"], k: 4 },
  "B2 K=5": { taps: ["B2"], k: 5 },
  "B2 K=6": { taps: ["B2"], k: 6 },
  "B2 K=12": { taps: ["B2"], k: 12 },
  "B2 no-centre": { taps: ["B2"], centre: false },
  B1: { taps: ["B1"] },
  B3: { taps: ["B3"] },
  B4: { taps: ["B4"] },
  "B4 no-centre": { taps: ["B4"], centre: false },
  "B4 no-centre K=20": { taps: ["B4"], centre: false, k: 20 },
  "default +B4": { taps: ["B1", "B2", "B4"] },
  "default +B4 a=0.5": { taps: ["B1", "B2", "B4"], recordScale: 0.5 },
  "default +B4 a=0.25": { taps: ["B1", "B2", "B4"], recordScale: 0.25 },
  "B1,B2,B4 K=6 no-centre": { taps: ["B1", "B2", "B4"], k: 6, centre: false },
  "B3,B4": { taps: ["B3", "B4"] },
  "B2,B3,B4 x (2,1,1)": { weights: { B2: 2 / 14, B3: 1 / 16, B4: 1 / Math.sqrt(320) } },
  "per-point": { variance: "per-point" },
  "default effective": { variance: "effective" },
  "default a=0.5": { recordScale: 0.5 },
  "default a=0.75": { recordScale: 0.75 },
  "default per-point": { variance: "per-point" },
  "B1,B2 per-point": { taps: ["B1", "B2"], variance: "per-point" },
  "B2,B3 per-point": { taps: ["B2", "B3"], variance: "per-point" },
  "B1,B2,B3": { taps: ["B1", "B2", "B3"] },
  ...Object.fromEntries(
    [4, 5, 6, 7, 10, 12].map((k) => [`B1,B2 K=${k}`, { taps: ["B1", "B2"], k }]),
  ),
  "B1,B2 no-centre": { taps: ["B1", "B2"], centre: false },
  "B1,B2 equal-weights": { taps: ["B1", "B2"], weights: "equal" },
  "B1,B2 no-standardise": { taps: ["B1", "B2"], standardise: false },
  "record-scale": { recordScale: true },
  "B1,B2 record-scale": { taps: ["B1", "B2"], recordScale: true },
  ...Object.fromEntries(
    [4, 5, 6, 7, 10, 12].map((k) => [
      `B1,B2 record-scale K=${k}`,
      { taps: ["B1", "B2"], k, recordScale: true },
    ]),
  ),
  "B1,B2,B3 record-scale": { taps: ["B1", "B2", "B3"], recordScale: true },
  "B2,B3 record-scale": { taps: ["B2", "B3"], recordScale: true },
  "B2,B3 K=6": { taps: ["B2", "B3"], k: 6 },
  "B2,B3 no-standardise": { taps: ["B2", "B3"], standardise: false },
  ...Object.fromEntries(
    [0.5, 0.75].flatMap((w) => [
      [`default B1 x${w}`, { weights: { B1: w / Math.sqrt(128), B2: 1 / Math.sqrt(196) } }],
      [`default B2 x${w}`, { weights: { B1: 1 / Math.sqrt(128), B2: w / Math.sqrt(196) } }],
    ]),
  ),
  ...Object.fromEntries(
    [0.25, 0.5].map((w) => [
      `default +B3 x${w}`,
      {
        taps: ["B1", "B2", "B3"],
        weights: { B1: 1 / Math.sqrt(128), B2: 1 / Math.sqrt(196), B3: w / Math.sqrt(256) },
      },
    ]),
  ),
};

/** A model whose forward passes are remembered per input ECG (hash of its values). */
function cachingModel(model: Model): Model {
  const per = model.config.network.leads * model.config.network.length;
  const cache = new Map<string, { outputs: Float32Array; taps: Record<string, Float32Array> }>();
  const taps = ["B1", "B2", "B3", "B4"];
  const shapes: Record<string, { channels: number; steps: number }> = {};
  const key = (x: Float32Array) => {
    let h = 2166136261;
    const u = new Uint32Array(x.buffer, x.byteOffset, x.length);
    for (let i = 0; i < u.length; i += 7) h = Math.imul(h ^ u[i], 16777619);
    return `${h >>> 0}:${u[per >> 1]}:${u[per - 1]}`;
  };
  return Object.assign(Object.create(Object.getPrototypeOf(model)) as Model, model, {
    async forward(input: Float32Array, batch: number, opts: { taps?: string[] } = {}) {
      const keys = Array.from({ length: batch }, (_, b) =>
        key(input.subarray(b * per, (b + 1) * per)),
      );
      const missing = keys.map((k, b) => (cache.has(k) ? -1 : b)).filter((b) => b >= 0);
      if (missing.length) {
        const x = new Float32Array(missing.length * per);
        missing.forEach((b, i) => x.set(input.subarray(b * per, (b + 1) * per), i * per));
        const r = await model.forward(x, missing.length, { taps });
        const c = model.config.classes.length;
        for (const t of taps) shapes[t] = { channels: r.taps[t].channels, steps: r.taps[t].steps };
        missing.forEach((b, i) => {
          const t: Record<string, Float32Array> = {};
          for (const name of taps) {
            const s = shapes[name].channels * shapes[name].steps;
            t[name] = r.taps[name].data.slice(i * s, (i + 1) * s);
          }
          cache.set(keys[b], { outputs: r.outputs.slice(i * c, (i + 1) * c), taps: t });
        });
      }
      const c = model.config.classes.length;
      const outputs = new Float32Array(batch * c);
      const out: Record<string, { channels: number; steps: number; data: Float32Array }> = {};
      for (const name of opts.taps ?? []) {
        const s = shapes[name].channels * shapes[name].steps;
        out[name] = { ...shapes[name], data: new Float32Array(batch * s) };
      }
      keys.forEach((k, b) => {
        const e = cache.get(k)!;
        outputs.set(e.outputs, b * c);
        for (const name of opts.taps ?? [])
          out[name].data.set(e.taps[name], (b * out[name].data.length) / batch);
      });
      return { outputs, taps: out };
    },
  });
}

/** Per cluster: its P / R / T peaks and the share of its samples in P, QRS, T, TP (ALIGN_DETAIL). */
function printTables(a: AlignmentResult): void {
  const pct = (v: number, t: number) => (t ? ((100 * v) / t).toFixed(0).padStart(3) : "  -");
  console.log("  cluster |  P pk  R pk  T pk | samples % P QRS T TP");
  a.contingency.forEach((r, c) => {
    const n = r.reduce((s, v) => s + v, 0);
    const pk = a.landmarks.contingency[c].map((v) => String(v).padStart(5)).join(" ");
    console.log(`  ${String(c).padStart(7)} | ${pk} | ${r.map((v) => pct(v, n)).join(" ")}`);
  });
}

async function main(): Promise<void> {
  if (!existsSync(join(modelDir, "model.json"))) {
    console.log(
      `alignment: skipped (no model at ${modelDir}; pass MODEL_DIR or set ECG_TLC_MODEL)`,
    );
    return;
  }
  if (!existsSync(join(ptbxl, "ptbxl_database.csv")) || !existsSync(ludbDir)) {
    console.log(`alignment: skipped (no PTB-XL or LUDB under ${data})`);
    return;
  }
  const wanted = process.argv.slice(3);
  const base = await loadModel(modelDir);
  const model = cachingModel(base);
  const ds = await openDataset(ptbxl);
  const fitOn = ds.entries.filter((e) => e.fold !== undefined && e.fold <= 8);
  const evalOn = ds.entries.filter((e) => e.fold !== undefined && e.fold <= 9);
  const ludb = Array.from({ length: 200 }, (_, i) => join(ludbDir, String(i + 1))).filter((p) =>
    existsSync(`${p}.hea`),
  );
  const { classes, thresholds } = base.config;
  const c = classes.length;
  const records: EcgRecord[] = [];
  for (const e of evalOn) records.push(await ds.read(e));
  const truth = new Uint8Array(evalOn.length * c);
  evalOn.forEach((e, i) =>
    classes.forEach((name, j) => (truth[i * c + j] = e.labels.includes(name) ? 1 : 0)),
  );
  const folds = evalOn.map((e) => e.fold!);
  console.log(
    `alignment: model ${modelDir}, fit on ${fitOn.length} ECGs (folds 1-8, <= ${MAX_POINTS} vectors), fidelity over ${evalOn.length} (folds 1-9), LUDB ${ludb.length} records lead II`,
  );
  console.log(
    "config | landmark NMI | P / QRS / T purity | sample NMI | fidelity % | surrogate AUROC (labels) | fidelity soft % | mean entropy | seconds",
  );
  for (const [name, opts] of Object.entries(CONFIGS)) {
    if (wanted.length && !wanted.includes(name)) continue;
    const t0 = performance.now();
    const tlc = await Tlc.fit(model, ds, fitOn, {
      maxPoints: MAX_POINTS,
      blocks: name === "default" || name === "method",
      threads: 2,
      ...(name.startsWith("default") ? {} : METHOD),
      ...opts,
    });
    const bound = tlc.bind(model);
    const al = await alignRecords(bound, ludb, { lead: "II" });
    const ex: Explanation[] = [];
    for (let b = 0; b < records.length; b += 64)
      ex.push(...(await bound.explain(records.slice(b, b + 64))));
    const fid = (props: number[][]) => {
      const k = props[0].length;
      const features = new Float64Array(props.length * k);
      props.forEach((p, i) => features.set(p, i * k));
      const scores = new Float64Array(ex.length * c);
      ex.forEach((x, i) => classes.forEach((n, j) => (scores[i * c + j] = x.outputs[n])));
      return surrogateFidelity({
        features,
        k,
        cnnScores: scores,
        thresholds,
        truth,
        classes: c,
        folds,
      });
    };
    const row = (
      label: string,
      a: AlignmentResult,
      f: ReturnType<typeof fid>,
      soft?: ReturnType<typeof fid>,
      entropy?: number,
    ) =>
      console.log(
        `${label} | ${a.landmarks.nmi.toFixed(3)} | ${[
          a.landmarks.purity.P,
          a.landmarks.purity.QRS,
          a.landmarks.purity.T,
        ]
          .map((v) => (100 * v).toFixed(0))
          .join(
            " / ",
          )} | ${a.nmi.toFixed(3)} | ${(100 * f.fidelity.mean).toFixed(1)} +- ${(100 * f.fidelity.std).toFixed(1)} | ${(100 * f.surrogate.aurocLabels).toFixed(1)} (CNN ${(100 * f.cnn.aurocLabels).toFixed(1)}) | ${soft ? (100 * soft.fidelity.mean).toFixed(1) : "-"} | ${entropy?.toFixed(3) ?? "-"} | ${((performance.now() - t0) / 1000).toFixed(0)}`,
      );
    const meanEntropy = ex.reduce((t, x) => t + x.meanEntropy, 0) / ex.length;
    row(
      name,
      al,
      fid(ex.map((x) => x.proportions)),
      fid(ex.map((x) => x.softProportions)),
      meanEntropy,
    );
    if (process.env.ALIGN_DETAIL) printTables(al);
    for (const [b, a] of Object.entries(al.blocks ?? {}))
      row(`${name}: ${b} alone`, a, fid(ex.map((x) => x.blocks![b].proportions)));
  }
  ds.close();
}

await main();
