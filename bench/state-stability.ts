/**
 * How stable the states are: the wave level fitted once, the states fitted twice with different
 * seeds (different reservoir samples and k-means starts), and on held-out ECGs the share of steps
 * whose state is the same under both fits after the states of each wave are matched (the best
 * permutation). For several numbers of states per wave: the evidence, beside the fidelity plateau,
 * for choosing it.
 *
 * usage: node dist/bench/state-stability.js MODEL_DIR [K2,...]   (default 3,4,5,6)
 *        STATE_N_INIT=N for other k-means restarts (default the fit's, DEFAULT_STATE_N_INIT)
 * Fits on PTB-XL folds 1-8, measures on fold 9.
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { openDataset } from "../src/io/index.js";
import { loadModel } from "../src/model/index.js";
import { assignLeaves, fitStateLevel, type StateLevel } from "../src/tlc/states.js";
import { DEFAULT_BATCH, streamTaps } from "../src/tlc/stream.js";
import { Tlc } from "../src/tlc/tlc.js";

const modelDir = process.argv[2];
const K2s = (process.argv[3] ?? "3,4,5,6").split(",").map(Number);
const data = process.env.ECG_TLC_DATA ?? resolve("..", "shared", "data");

/** Best matched agreement of two labelings with k values each (brute force over permutations). */
function matched(a: Int32Array, b: Int32Array, k: number): number {
  const c = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < a.length; i++) c[a[i]][b[i]]++;
  let best = 0;
  const perm = Array.from({ length: k }, (_, i) => i);
  const visit = (j: number, used: boolean[], sum: number) => {
    if (j === k) {
      best = Math.max(best, sum);
      return;
    }
    for (let q = 0; q < k; q++) {
      if (used[q]) continue;
      used[q] = true;
      perm[j] = q;
      visit(j + 1, used, sum + c[j][q]);
      used[q] = false;
    }
  };
  visit(0, new Array<boolean>(k).fill(false), 0);
  return best;
}

async function main(): Promise<void> {
  if (!modelDir || !existsSync(join(modelDir, "model.json"))) {
    console.log("state-stability: skipped (pass a MODEL_DIR with model.json)");
    return;
  }
  const model = await loadModel(modelDir);
  const ds = await openDataset(join(data, "ptbxl"));
  const fitOn = ds.entries.filter((e) => e.fold !== undefined && e.fold <= 8);
  const test = ds.entries.filter((e) => e.fold === 9);
  const waves = await Tlc.fit(model, ds, fitOn, { states: false, blocks: false });
  const wave = {
    k: waves.k,
    taps: waves.layout.taps,
    scratchSize: waves.layout.fineSteps * waves.layout.dims,
    steps: (batch: Parameters<typeof waves.waveSteps>[1], i: number, scratch: Float32Array) =>
      waves.waveSteps(model, batch, i, scratch),
  };
  console.log("states per wave | leaves | steps with the same state under two seeds (matched) %");
  for (const k of K2s) {
    const fits: StateLevel[] = [];
    const nInit = process.env.STATE_N_INIT ? Number(process.env.STATE_N_INIT) : undefined;
    for (const seed of [0, 1])
      fits.push(await fitStateLevel(model, ds, fitOn, wave, { k, seed, nInit }));
    const perWave = Array.from({ length: waves.k }, () => ({
      a: [] as number[],
      b: [] as number[],
    }));
    const taps = [...new Set([...waves.layout.taps, ...fits[0].layout.taps])];
    const scratch = new Float32Array(wave.scratchSize);
    for await (const batch of streamTaps(model, ds, test, taps, DEFAULT_BATCH)) {
      for (let i = 0; i < batch.prepared.length; i++) {
        const w = waves.waveSteps(model, batch, i, scratch);
        const [a, b] = fits.map((f) => assignLeaves(f, batch, i, w));
        for (let j = 0; j < a.states.length; j++) {
          const v = w.waves.labels[j];
          perWave[v].a.push(a.states[j]);
          perWave[v].b.push(b.states[j]);
        }
      }
    }
    let same = 0;
    let total = 0;
    perWave.forEach((p, v) => {
      const kk = Math.max(fits[0].fits[v].k, fits[1].fits[v].k);
      same += matched(Int32Array.from(p.a), Int32Array.from(p.b), kk);
      total += p.a.length;
    });
    const leaves = fits[0].fits.reduce((n, f) => n + f.k, 0);
    console.log(`${k} | ${leaves} | ${((100 * same) / total).toFixed(1)}`);
  }
  ds.close();
  model.dispose();
}

await main();
