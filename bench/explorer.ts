/**
 * How long opening an ECG in the explorer takes, with and without the Grad-CAM overlay, through the
 * HTTP API as the page calls it (explanation, and the Grad-CAM map in parallel when it is on):
 * uncached (a record nobody opened yet) and cached (opened again). The model is a full-size
 * ptbxl100 network (untrained unless BENCH_MODEL and BENCH_TLC name a trained one and its explainer:
 * the cost is the same), the explainer fitted on 24 PTB-XL records with the default taps; no
 * background pass runs. Median over BENCH_N records (default 8). `npm run bench explorer`
 * (ECG_TLC_THREADS sets the engine's threads).
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { openDataset } from "../src/io/datasets/index.js";
import { writeUntrainedModel } from "../src/model/folder.js";
import { loadModel } from "../src/model/index.js";
import { startExplorer } from "../src/server/app.js";
import { createTlcExplainer } from "../src/server/explainer.js";
import { Tlc } from "../src/tlc/tlc.js";

const N = Number(process.env.BENCH_N ?? 8);
const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const data = process.env.ECG_TLC_DATA ?? resolve(root, "..", "shared", "data");
const ptbxl = join(data, "ptbxl");
if (!existsSync(join(ptbxl, "ptbxl_database.csv"))) {
  console.log(`explorer: skipped, PTB-XL not found under ${data}`);
  process.exit(0);
}

/** An untrained full-size ptbxl100 model folder (costs what a trained one does). */
async function untrainedModel(dir: string): Promise<void> {
  await writeUntrainedModel(dir);
}

const median = (v: number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function timed(urls: string[]): Promise<number> {
  const t0 = performance.now();
  const res = await Promise.all(urls.map((u) => fetch(u)));
  for (const r of res) {
    if (r.status !== 200) throw new Error(`${r.url}: ${r.status} ${await r.text()}`);
    await r.arrayBuffer();
  }
  return performance.now() - t0;
}

const dir = mkdtempSync(join(tmpdir(), "ecg-tlc-bench-explorer-"));
try {
  const trained = process.env.BENCH_MODEL && process.env.BENCH_TLC;
  if (!trained) await untrainedModel(dir);
  const model = await loadModel(process.env.BENCH_MODEL ?? dir);
  const dataset = await openDataset(ptbxl);
  const tlc = trained
    ? Tlc.load(process.env.BENCH_TLC!, model)
    : await Tlc.fit(model, dataset, dataset.entries.slice(0, 24), { seed: 0, nInit: 1 });
  // records the explainer was not fitted on: a warm-up, then N without and N with the overlay
  const entries = dataset.entries.slice(24, 25 + 2 * N);
  const small = { entries, read: (e: (typeof entries)[0]) => dataset.read(e), close() {} };
  const app = await startExplorer({
    explainer: createTlcExplainer({ explainer: tlc.bind(model), dataset: small }),
    port: 0,
    index: false,
  });
  try {
    const explanation = (id: string) => `${app.url}api/records/${id}/explanation`;
    const gradcam = (id: string) => `${app.url}api/records/${id}/gradcam`;
    await timed([explanation(entries[0].id), gradcam(entries[0].id)]); // warm-up
    const rows: Record<string, number[]> = {};
    const add = (name: string, ms: number) => (rows[name] ??= []).push(ms);
    for (let i = 1; i < 2 * N; i += 2) {
      const plain = entries[i].id;
      add("open_uncached", await timed([explanation(plain)]));
      add("open_cached", await timed([explanation(plain)]));
      add("gradcam_on_open_ecg", await timed([gradcam(plain)]));
      const withCam = entries[i + 1]?.id;
      if (!withCam) continue;
      add("open_gradcam_uncached", await timed([explanation(withCam), gradcam(withCam)]));
      add("open_gradcam_cached", await timed([explanation(withCam), gradcam(withCam)]));
    }
    for (const [name, ms] of Object.entries(rows)) {
      console.log(`explorer_${name}: ${median(ms).toFixed(1)} ms (median of ${ms.length})`);
    }
  } finally {
    await app.close();
    dataset.close();
    model.dispose();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
