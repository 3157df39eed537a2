/**
 * Explain end to end (CODE-15% HDF5 files on disk to JSON lines on disk: read, preprocess,
 * forward with taps, composite features, soft assignment, segments, JSON) beside the engine's
 * forward-with-taps alone on the same records, batch and threads, in one run, alternating.
 * Target: explain >= 0.8x forward (the rest of the pipeline costs less than the network).
 *
 * Network: the ribeiro2020 preset at full size (CODE-15%'s 400 Hz x 4,096 input), untrained
 * (throughput does not depend on the weights); explainer: the defaults (waves on taps B1, B2, K =
 * 6, and states on B4 within each wave) fitted
 * on the first 64 ECGs.
 *
 * A run's first batch is read before the network has work and its last is explained after the
 * network has none: 1/24 of the run at the default 384 ECGs (24 batches), 1/12 at 192, nothing
 * on a shard of thousands. The default measures the pipeline's steady rate more closely than
 * 192 did (0.82-0.83x there, 0.85-0.86x at 384, in the same session).
 *
 * usage: node dist/bench/explain-throughput.js   (BENCH_N ECGs, default 384; BENCH_REPS, default
 * 5; BENCH_BATCH, default 16; ECG_TLC_THREADS, default 2)
 */
import { mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CODE15_CLASSES, openDataset } from "../src/io/index.js";
import { loadModel, setNumThreads, writeUntrainedModel } from "../src/model/index.js";
import { explainDataset, readAhead } from "../src/scale/explain.js";
import { writeCode15Dataset } from "../src/signal/synth-code15.js";
import { stackPrepared, Tlc } from "../src/tlc/index.js";

const N = Number(process.env.BENCH_N ?? 384);
const REPS = Number(process.env.BENCH_REPS ?? 5);
const BATCH = Number(process.env.BENCH_BATCH ?? 16);
const THREADS = Number(process.env.ECG_TLC_THREADS ?? 2);

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "bench-explain-"));
  try {
    setNumThreads(THREADS);
    const data = join(dir, "data");
    await writeCode15Dataset(data, { n: N, seed: 11 });
    const modelDir = join(dir, "model");
    mkdirSync(modelDir);
    await writeUntrainedModel(modelDir, {
      preset: "ribeiro2020",
      classes: CODE15_CLASSES,
      seed: 1,
    });
    const model = await loadModel(modelDir);
    const dataset = await openDataset(data);
    const tlc = await Tlc.fit(model, dataset, dataset.entries.slice(0, 64), {
      maxPoints: 100_000,
      threads: THREADS,
      // EXPLAIN_STATES=0: the single-level explainer (wave clusters only), for comparison
      ...(process.env.EXPLAIN_STATES === "0" ? { states: false as const } : {}),
    });
    const tlcPath = join(dir, "tlc.json");
    tlc.save(tlcPath);
    // The taps explain forwards: the waves' and, with a second level, the states'.
    const taps = tlc.forwardTapNames;

    // The forward reference gets its inputs prepared beforehand: only the network is timed.
    const inputs: { x: Float32Array; n: number }[] = [];
    for await (const recs of readAhead(dataset, dataset.entries, BATCH))
      inputs.push({ x: stackPrepared(recs.map((r) => model.prepare(r))), n: recs.length });
    // Wall time, and CPU time of all threads (which a shared machine disturbs less).
    const timed = async (fn: () => Promise<unknown>) => {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await fn();
      const c = process.cpuUsage(c0);
      return { wall: N / ((performance.now() - t0) / 1000), cpu: N / ((c.user + c.system) / 1e6) };
    };
    const forward = () =>
      timed(async () => {
        for (const b of inputs) await model.forward(b.x, b.n, { taps });
      });
    const out = join(dir, "explain.jsonl");
    const explain = () => {
      // A fresh output, as a run writes one: replacing the previous run's file would also time
      // the kernel freeing its pages (about 30 ms for 192 ECGs).
      rmSync(out, { force: true });
      return timed(() =>
        explainDataset(tlc, model, dataset, { out, batch: BATCH, tlcPath, progress: false }),
      );
    };
    await forward(); // warm-up
    const fr: { wall: number; cpu: number }[] = [];
    const er: { wall: number; cpu: number }[] = [];
    for (let r = 0; r < REPS; r++) {
      fr.push(await forward());
      er.push(await explain());
    }
    const f = fr.map((x) => x.wall);
    const e = er.map((x) => x.wall);
    const fc = median(fr.map((x) => x.cpu));
    const ec = median(er.map((x) => x.cpu));
    const mb = statSync(out).size / 2 ** 20;
    console.log(
      `forward with taps ${taps.join(",")}: ${median(f).toFixed(1)} ECGs/s (median of ${REPS}: ${f.map((x) => x.toFixed(1)).join(", ")})`,
    );
    console.log(
      `explain end to end (HDF5 -> JSON lines, ${(mb / N).toFixed(2)} MiB per ECG): ${median(e).toFixed(1)} ECGs/s (median of ${REPS}: ${e.map((x) => x.toFixed(1)).join(", ")})`,
    );
    const ratio = median(e) / median(f);
    console.log(
      `explain / forward: ${ratio.toFixed(2)}x by wall time (target >= 0.8) on ${N} ECGs, batch ${BATCH}, ${THREADS} threads, ribeiro2020 full size`,
    );
    // Each explain run beside the forward run just before it: less exposed to the load drifting.
    const pairs = er.map((x, i) => x.wall / fr[i].wall);
    console.log(
      `median of the ${REPS} side-by-side ratios: ${median(pairs).toFixed(2)}x (${pairs.map((x) => x.toFixed(2)).join(", ")})`,
    );
    console.log(
      `by CPU time of all threads: forward ${fc.toFixed(1)}, explain ${ec.toFixed(1)} ECGs per CPU-second, ${(ec / fc).toFixed(2)}x`,
    );
    console.log(
      `peak RSS of this process (forward and explain, ${BATCH}-ECG batches): ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`,
    );
    dataset.close();
    model.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
