/**
 * Two levels in one explainer: where in the beat a step is (the wave clusters of the TLC defaults)
 * and what the network made of it (a state from B4 as a pooling head reads it: training-set
 * standardisation, not centred). Compares two designs of the states on one network:
 * - crossed: one global B4 clustering (K2g clusters), crossed with the waves;
 * - per wave: k-means on the B4 vectors of each wave's samples (K2 states per wave).
 * For each it prints the surrogate's fidelity and label-AUROC gap on the per-ECG proportions of the
 * (wave, state) leaves, beside the waves alone and the states alone. Fits on PTB-XL folds 1-8,
 * fidelity cross-validated over folds 1-9 as `ecg-tlc evaluate` does.
 *
 * usage: node dist/bench/two-level.js MODEL_DIR [K2,...] [K2g,...]   (defaults 2,3,4 and 8)
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { openDataset, type DatasetEntry } from "../src/io/index.js";
import { loadModel } from "../src/model/index.js";
import { Tlc } from "../src/tlc/index.js";
import { kmeans } from "../src/tlc/kmeans.js";
import { stepOfSamples } from "../src/explain/explanation.js";
import { surrogateFidelity } from "../src/eval/surrogate.js";
import { Random } from "../src/signal/random.js";

const modelDir = process.argv[2];
const K2s = (process.argv[3] ?? "2,3,4").split(",").map(Number);
const K2gs = (process.argv[4] ?? "8").split(",").map(Number);
const data = process.env.ECG_TLC_DATA ?? resolve("..", "shared", "data");
const ptbxl = join(data, "ptbxl");
const POOL = Number(process.env.TWO_LEVEL_POOL ?? 60000);

/** What one ECG contributes: per source sample its wave, per kept B4 step its vector. */
interface Ecg {
  fold: number;
  outputs: Float32Array;
  waves: Int32Array;
  stepOf: Int32Array;
  /** rows x dims (kept B4 steps; stepOf is relative to `first`). */
  x: Float32Array;
  first: number;
}

function nearest(x: Float32Array, row: number, dims: number, c: Float32Array, k: number): number {
  let best = 0;
  let bestD = Infinity;
  for (let q = 0; q < k; q++) {
    let d = 0;
    for (let j = 0; j < dims; j++) {
      const v = x[row * dims + j] - c[q * dims + j];
      d += v * v;
    }
    if (d < bestD) {
      bestD = d;
      best = q;
    }
  }
  return best;
}

async function main(): Promise<void> {
  if (!modelDir || !existsSync(join(modelDir, "model.json"))) {
    console.log("two-level: skipped (pass a MODEL_DIR with model.json)");
    return;
  }
  const model = await loadModel(modelDir);
  const ds = await openDataset(ptbxl);
  const all = ds.entries.filter((e) => e.fold !== undefined && e.fold <= 9);
  const fitOn = all.filter((e) => e.fold! <= 8);
  const t0 = performance.now();
  const waveTlc = await Tlc.fit(model, ds, fitOn, { maxPoints: 60000, blocks: false });
  const stateOpts = { taps: ["B4"], centre: false, recordScale: false, blocks: false };
  const stateTlcs = new Map<number, Tlc>();
  for (const k of K2gs)
    stateTlcs.set(k, await Tlc.fit(model, ds, fitOn, { ...stateOpts, k, maxPoints: 60000 }));
  const stateTlc = stateTlcs.get(K2gs[0])!;
  console.log(
    `two-level: ${modelDir}; waves K=${waveTlc.k} (defaults), states from B4 not centred; fits ${((performance.now() - t0) / 1000).toFixed(0)} s`,
  );

  const { classes, thresholds } = model.config;
  const c = classes.length;
  const ecgs: Ecg[] = [];
  const B = 32;
  for (let b = 0; b < all.length; b += B) {
    const entries: DatasetEntry[] = all.slice(b, b + B);
    const records = await Promise.all(entries.map((e) => ds.read(e)));
    const wex = await waveTlc.bind(model).explain(records);
    const feats = await stateTlc.features(model, records);
    feats.forEach((f, i) => {
      ecgs.push({
        fold: entries[i].fold!,
        outputs: Float32Array.from(classes.map((n) => wex[i].outputs[n])),
        waves: Int32Array.from(wex[i].clusters),
        stepOf: stepOfSamples(f.prepared, stateTlc.layout.fineSteps, f.range),
        x: f.x,
        first: f.range.first,
      });
    });
  }
  const D = stateTlc.dims;
  const K1 = waveTlc.k;
  const truth = new Uint8Array(ecgs.length * c);
  all.forEach((e, i) =>
    classes.forEach((n, j) => (truth[i * c + j] = e.labels.includes(n) ? 1 : 0)),
  );
  const scores = new Float64Array(ecgs.length * c);
  ecgs.forEach((e, i) => scores.set(e.outputs, i * c));
  const folds = ecgs.map((e) => e.fold);

  const fidelity = (name: string, L: number, leafOf: (e: Ecg, s: number) => number) => {
    const features = new Float64Array(ecgs.length * L);
    const used = new Set<number>();
    ecgs.forEach((e, i) => {
      const n = e.waves.length;
      for (let s = 0; s < n; s++) {
        const l = leafOf(e, s);
        used.add(l);
        features[i * L + l] += 1 / n;
      }
    });
    const f = surrogateFidelity({
      features,
      k: L,
      cnnScores: scores,
      thresholds,
      truth,
      classes: c,
      folds,
    });
    const gap = f.cnn.aurocLabels - f.surrogate.aurocLabels;
    console.log(
      `${name} | ${used.size} of ${L} | ${(100 * f.fidelity.mean).toFixed(1)} +- ${(100 * f.fidelity.std).toFixed(1)} | ${(100 * f.surrogate.aurocLabels).toFixed(1)} / ${(100 * f.cnn.aurocLabels).toFixed(1)} (${(100 * gap).toFixed(1)})`,
    );
  };
  console.log("design | leaves used | fidelity % | label AUROC surrogate / CNN (gap)");
  fidelity(`waves alone (K=${K1})`, K1, (e, s) => e.waves[s]);

  for (const [k, tlc] of stateTlcs) {
    const centroids = tlc.main.centroids;
    const stateOfStep = ecgs.map((e) => {
      const rows = e.x.length / D;
      const out = new Int32Array(rows);
      for (let r = 0; r < rows; r++) out[r] = nearest(e.x, r, D, centroids, k);
      return out;
    });
    const idx = new Map(ecgs.map((e, i) => [e, i]));
    const st = (e: Ecg, s: number) => stateOfStep[idx.get(e)!][e.stepOf[s] - e.first];
    fidelity(`states alone (global K2g=${k})`, k, st);
    fidelity(`crossed: waves x global K2g=${k}`, K1 * k, (e, s) => e.waves[s] * k + st(e, s));
  }

  // Per wave: a pool of B4 vectors per wave cluster from the training folds' samples.
  const rng = new Random(0);
  const pools: number[][][] = Array.from({ length: K1 }, () => []); // [ecg, row] pairs
  const seen = new Array<number>(K1).fill(0);
  ecgs.forEach((e, i) => {
    if (e.fold > 8) return;
    for (let s = 0; s < e.waves.length; s += 4) {
      const w = e.waves[s];
      const item = [i, e.stepOf[s] - e.first];
      seen[w]++;
      if (pools[w].length < POOL) pools[w].push(item);
      else {
        const j = rng.int(0, seen[w] - 1);
        if (j < POOL) pools[w][j] = item;
      }
    }
  });
  for (const K2 of K2s) {
    const cents: Float32Array[] = [];
    for (let w = 0; w < K1; w++) {
      const pts = new Float32Array(pools[w].length * D);
      pools[w].forEach(([i, r], p) => pts.set(ecgs[i].x.subarray(r * D, (r + 1) * D), p * D));
      const km = await kmeans(pts, D, { k: Math.min(K2, pools[w].length), seed: 0, threads: 2 });
      cents.push(km.centroids);
    }
    const cache = new Map<string, number>();
    const idxOf = new Map(ecgs.map((e, i) => [e, i]));
    fidelity(`per wave: K2=${K2}`, K1 * K2, (e, s) => {
      const w = e.waves[s];
      const r = e.stepOf[s] - e.first;
      const key = `${idxOf.get(e)}:${r}:${w}`;
      let q = cache.get(key);
      if (q === undefined) {
        q = nearest(e.x, r, D, cents[w], cents[w].length / D);
        cache.set(key, q);
      }
      return w * K2 + q;
    });
  }
  console.log(`two-level: ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  ds.close();
}

await main();
