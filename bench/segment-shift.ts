/**
 * Does moving the segmentation in time change landmark alignment (docs/EVIDENCE.md, "Where a step
 * lies in time")? METHOD.md step 5 maps step t of T over L samples to [t L/T, (t+1) L/T); a
 * strided "same" convolution centres output t on input 2t, so the network's B1 and B2 steps sit
 * about 5 and 15 ms earlier than that mapping draws them. This explains every LUDB record once,
 * then scores the clusters shifted by -30..+40 ms (positive: each sample takes the cluster of a
 * later sample, i.e. the segmentation moves earlier) against the cardiologists' lead II peaks.
 *
 * usage: node dist/bench/segment-shift.js MODEL_DIR TLC.json   (ECG_TLC_DATA for the data).
 * Skips with a message when the model, the explainer or LUDB is missing.
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { alignRecords, datasetRecordPaths } from "../src/eval/landmarks.js";
import type { Explanation } from "../src/explain/explanation.js";
import { loadModel } from "../src/model/index.js";
import { Tlc } from "../src/tlc/index.js";
import type { EcgRecord } from "../src/types.js";

const [modelDir, tlcPath] = process.argv.slice(2);
const ludb = join(process.env.ECG_TLC_DATA ?? resolve("..", "shared", "data"), "ludb");
const SHIFTS_MS = [-30, -20, -10, 0, 10, 20, 30, 40];

async function main(): Promise<void> {
  if (!modelDir || !tlcPath || !existsSync(join(modelDir, "model.json")) || !existsSync(tlcPath)) {
    console.log("segment-shift: skipped (usage: segment-shift.js MODEL_DIR TLC.json)");
    return;
  }
  if (!existsSync(ludb)) {
    console.log(`segment-shift: skipped (no LUDB under ${ludb})`);
    return;
  }
  const paths = await datasetRecordPaths(ludb);
  const model = await loadModel(modelDir);
  try {
    const bound = Tlc.load(tlcPath, model).bind(model);
    const seen = new Map<string, Explanation>();
    const shifted = (ms: number) => ({
      async explain(recs: readonly EcgRecord[]) {
        const out: Pick<Explanation, "clusters" | "proportions">[] = [];
        for (const r of recs) {
          let ex = seen.get(r.name);
          if (!ex) {
            ex = await bound.explainOne(r);
            seen.set(r.name, ex);
          }
          const c = ex.clusters;
          const d = Math.round((ms * r.fs) / 1000);
          const s = new Array<number>(c.length);
          for (let i = 0; i < c.length; i++) s[i] = c[Math.min(c.length - 1, Math.max(0, i + d))];
          out.push({ clusters: s, proportions: ex.proportions });
        }
        return out;
      },
    });
    console.log("shift ms | landmark NMI | P / QRS / T peaks % | sample NMI | boundary ms");
    for (const ms of SHIFTS_MS) {
      const r = await alignRecords(shifted(ms), paths);
      const p = r.landmarks.purity;
      const pct = (v: number) => (100 * v).toFixed(1);
      console.log(
        `${ms} | ${r.landmarks.nmi.toFixed(3)} | ${pct(p.P)} / ${pct(p.QRS)} / ${pct(p.T)} | ${r.nmi.toFixed(3)} | ${r.boundaries.meanMs.toFixed(1)}`,
      );
    }
  } finally {
    model.dispose();
  }
}

main().catch((err: unknown) => {
  console.error(`segment-shift: ${(err as Error).message}`);
  process.exit(1);
});
