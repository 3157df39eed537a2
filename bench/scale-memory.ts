/**
 * Peak memory does not grow with the number of ECGs: peak RSS (getrusage's maxrss of each command
 * as its own process, via /usr/bin/time) of predict, fit, explain and evaluate on BENCH_SMALL
 * (default 2,000) and BENCH_LARGE (default 20,000) synthetic CODE-15% ECGs, side by side in one
 * run, and the ratio large / small (target <= 1.2). Also each command's time per ECG, the input
 * of the cost table in docs/SCALE.md.
 *
 * The network is the ribeiro2020 preset (400 Hz, 4,096 samples, the CODE-15% input) with
 * BENCH_CHANNELS (default 32,32,48,64,80; the memory question does not need the full network's
 * compute), untrained. evaluate runs with --no-waves --sample 20 --trees 20 (the per-ECG passes
 * are what scale; the delineation and forest sizes are fixed or grow with n x K only).
 *
 * usage: node dist/bench/scale-memory.js   (BENCH_DIR, default scratch/bench-scale; removed at the
 * end unless BENCH_KEEP=1). Needs about 4.5 GB of disk for the 20,000 ECGs plus explain's output.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { writeUntrainedModel } from "../src/model/folder.js";
import { CODE15_CLASSES } from "../src/io/index.js";

const SMALL = Number(process.env.BENCH_SMALL ?? 2000);
const LARGE = Number(process.env.BENCH_LARGE ?? 20000);
const CHANNELS = (process.env.BENCH_CHANNELS ?? "32,32,48,64,80").split(",").map(Number);
const DIR = resolve(process.env.BENCH_DIR ?? "scratch/bench-scale");
const CLI = resolve("dist/src/cli/main.js");
const THREADS = process.env.ECG_TLC_THREADS ?? "2";

interface Run {
  rssMiB: number;
  seconds: number;
}

function measure(args: string[]): Run {
  const r = spawnSync("/usr/bin/time", ["-f", "%M %e", process.execPath, CLI, ...args], {
    encoding: "utf8",
    env: { ...process.env, ECG_TLC_THREADS: THREADS },
    maxBuffer: 1 << 28,
  });
  const last = r.stderr.trim().split("\n").at(-1) ?? "";
  const m = /^(\d+) ([\d.]+)$/.exec(last);
  if (r.status !== 0 || !m)
    throw new Error(`ecg-tlc ${args.join(" ")} failed (${r.status}): ${r.stderr.slice(-800)}`);
  return { rssMiB: Number(m[1]) / 1024, seconds: Number(m[2]) };
}

async function main(): Promise<void> {
  if (!existsSync("/usr/bin/time")) {
    console.log("scale-memory: skipped (/usr/bin/time not found: apt-get install time)");
    return;
  }
  mkdirSync(DIR, { recursive: true });
  try {
    const model = join(DIR, "model");
    mkdirSync(model, { recursive: true });
    await writeUntrainedModel(model, {
      preset: "ribeiro2020",
      classes: CODE15_CLASSES,
      network: { channels: CHANNELS },
      seed: 1,
    });
    const sizes = [SMALL, LARGE];
    const data = (n: number) => join(DIR, `code15-${n}`);
    const results: Record<string, Record<number, Run>> = {};
    const put = (name: string, n: number, r: Run) => {
      (results[name] ??= {})[n] = r;
      console.log(
        `  ${name} on ${n}: peak RSS ${r.rssMiB.toFixed(0)} MiB, ${r.seconds.toFixed(1)} s (${((1000 * r.seconds) / n).toFixed(1)} ms/ECG)`,
      );
    };
    for (const n of sizes) {
      put(
        "synth",
        n,
        measure(["synth", "--layout", "code15", "--n", String(n), "--out", data(n), "--seed", "7"]),
      );
      const tlc = join(DIR, `tlc-${n}.json`);
      put(
        "fit",
        n,
        measure(["fit", "--model", model, "--data", data(n), "--out", tlc, "--threads", THREADS]),
      );
      const out = join(DIR, `predict-${n}.jsonl`);
      put("predict", n, measure(["predict", "--model", model, "--data", data(n), "--out", out]));
      const ex = join(DIR, `explain-${n}.jsonl`);
      // explain and evaluate with the explainer fitted on the small set, the same for both sizes
      const tlcSmall = join(DIR, `tlc-${SMALL}.json`);
      put(
        "explain",
        n,
        measure(["explain", "--model", model, "--tlc", tlcSmall, "--data", data(n), "--out", ex]),
      );
      console.log(`  explain output: ${(statSync(ex).size / 2 ** 30).toFixed(2)} GiB`);
      rmSync(ex, { force: true });
      put(
        "evaluate",
        n,
        measure([
          "evaluate",
          "--model",
          model,
          "--tlc",
          tlcSmall,
          "--data",
          data(n),
          "--json",
          "--no-waves",
          "--sample",
          "20",
          "--trees",
          "20",
        ]),
      );
      if (n === LARGE) rmSync(data(n), { recursive: true, force: true });
    }
    console.log(
      `\npeak RSS, ${SMALL} vs ${LARGE} synthetic CODE-15% ECGs (network channels ${CHANNELS}, ${THREADS} threads):`,
    );
    for (const [name, r] of Object.entries(results)) {
      const ratio = r[LARGE].rssMiB / r[SMALL].rssMiB;
      console.log(
        `${name.padEnd(9)} ${r[SMALL].rssMiB.toFixed(0).padStart(6)} MiB  ${r[LARGE].rssMiB.toFixed(0).padStart(6)} MiB  ratio ${ratio.toFixed(2)}${name === "synth" ? "" : ratio <= 1.2 ? "  (<= 1.2: ok)" : "  (> 1.2: FAILS the target)"}`,
      );
    }
  } finally {
    if (process.env.BENCH_KEEP !== "1") rmSync(DIR, { recursive: true, force: true });
  }
}

await main();
