/**
 * Slurm: a job array runs the shards of a command (`--shard $SLURM_ARRAY_TASK_ID/N`), a job that
 * depends on the whole array (afterok) merges them. A two-level fit makes two such passes, as
 * `fit` does: the waves' array and merge, then the states' array and merge, each job afterok the
 * one before. The scripts are plain sbatch files a user can read, edit and submit by hand;
 * `submitSlurm` submits them and follows the jobs to the end.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { EcgTlcError, MissingDependencyError } from "../errors.js";
import { manifestPath } from "./output.js";

export interface SlurmJob {
  /** The ecg-tlc command each shard runs (e.g. explain). */
  command: string;
  /** Its arguments, without --out and --shard. */
  args: string[];
  /** The merged output. */
  out: string;
  shards: number;
  /** Folder of the scripts, logs and shard outputs (default OUT.slurm). */
  work?: string;
  partition?: string;
  /** Wall-time limit per shard, Slurm's syntax (e.g. 2:00:00). */
  time?: string;
  /** Memory per shard, Slurm's syntax (e.g. 4G). */
  mem?: string;
  /** CPUs per shard; also the engine's threads (ECG_TLC_THREADS). */
  cpus?: number;
  account?: string;
}

/** One pass over the dataset: a job array of shards and the merge that depends on it. */
export interface SlurmStage {
  array: string;
  merge: string;
  /** Shard outputs, in shard order. */
  parts: string[];
  logs: string[];
  mergeLog: string;
  /** What the merge writes (its manifest exists once the merge has succeeded). */
  out: string;
}

export interface SlurmScripts extends SlurmStage {
  work: string;
  /**
   * A two-level fit's second pass, the states: its array runs once the first pass's merge has
   * written the wave explainer (`out` of the first pass), its merge writes the explainer.
   */
  states?: SlurmStage;
}

/** The passes of a run, in order. */
export function slurmStages(s: SlurmScripts): SlurmStage[] {
  return s.states ? [s, s.states] : [s];
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The CLI entry point the jobs run (this installation's, with this Node). */
function cliEntry(): string {
  return fileURLToPath(new URL("../cli/main.js", import.meta.url));
}

function header(name: string, log: string, job: SlurmJob, extra: string[] = []): string[] {
  const lines = [
    "#!/bin/bash",
    `#SBATCH --job-name=${name}`,
    `#SBATCH --output=${log}`,
    `#SBATCH --cpus-per-task=${job.cpus ?? 1}`,
    `#SBATCH --mem=${job.mem ?? "4G"}`,
  ];
  if (job.time) lines.push(`#SBATCH --time=${job.time}`);
  if (job.partition) lines.push(`#SBATCH --partition=${job.partition}`);
  if (job.account) lines.push(`#SBATCH --account=${job.account}`);
  return [...lines, ...extra.map((e) => `#SBATCH ${e}`), "set -euo pipefail"];
}

/** Writes the array and merge scripts into the work folder. */
export function writeSlurmScripts(job: SlurmJob): SlurmScripts {
  if (!(Number.isInteger(job.shards) && job.shards >= 1))
    throw new EcgTlcError(`shards: expected >= 1, got ${job.shards}`);
  const out = resolve(job.out);
  const work = resolve(job.work ?? `${out}.slurm`);
  for (const d of ["shards", "logs"]) mkdirSync(join(work, d), { recursive: true });
  const N = job.shards;
  // fit and features write arrays (.npy), an evaluation's shards their state (.json); a fit's
  // merge clusters its samples with the model, an evaluation's runs the surrogate with the model
  // and explainer (and takes the report's options, which the shards refuse)
  const ext =
    job.command === "fit" || job.command === "features"
      ? "npy"
      : job.command === "evaluate"
        ? "json"
        : "jsonl";
  const valueOf = (flag: string) => {
    const i = job.args.indexOf(flag);
    return i >= 0 && i + 1 < job.args.length ? job.args[i + 1] : undefined;
  };
  const model = valueOf("--model")!;
  let shardArgs = job.args;
  let mergeArgs: string[] = job.command === "fit" ? ["--model", model] : [];
  if (job.command === "evaluate") {
    const tlc = valueOf("--tlc");
    if (!tlc) throw new EcgTlcError("args: evaluate needs --tlc");
    mergeArgs = ["--model", model, "--tlc", tlc];
    shardArgs = [];
    for (let i = 0; i < job.args.length; i++) {
      const a = job.args[i];
      if (a === "--json") mergeArgs.push(a);
      else if (a === "--trees" || a === "--table") mergeArgs.push(a, job.args[++i]);
      else shardArgs.push(a);
    }
  }
  // a two-level fit (the default): the wave pass merges into the wave explainer, whose state
  // pass merges into the explainer; the final merge names what `fit` names (with --data)
  const twoLevel = job.command === "fit" && !job.args.includes("--no-states");
  const waves = join(work, "waves.json");
  const naming = ["--data", "--name-ecgs", "--name-states"].flatMap((f) => {
    const value = valueOf(f);
    return value === undefined ? [] : [f, value];
  });
  if (job.command === "fit" && !twoLevel) mergeArgs = [...mergeArgs, ...naming];
  const statesMergeArgs = ["--model", model, "--states-of", waves, ...naming];
  const run = [quote(process.execPath), quote(cliEntry())];
  const cwd = `cd ${quote(process.cwd())}`;
  const stage = (
    name: string,
    prefix: string,
    args: string[],
    margs: string[],
    out: string,
  ): [SlurmStage, string[], string[]] => {
    const suffix = name === job.command ? "" : "-states";
    const part = (i: number | string) => join(work, "shards", `${prefix}-${i}-of-${N}.${ext}`);
    const log = (i: number | string) => join(work, "logs", `${prefix}-${i}.log`);
    const parts = Array.from({ length: N }, (_, i) => part(i));
    const mergeLog = join(work, "logs", `merge${suffix}.log`);
    const array = [
      ...header(`ecg-tlc-${name}`, log("%a"), job, [`--array=0-${N - 1}`]),
      `export ECG_TLC_THREADS=\${SLURM_CPUS_PER_TASK:-${job.cpus ?? 1}}`,
      "I=$SLURM_ARRAY_TASK_ID",
      cwd,
      `exec ${run.join(" ")} ${quote(job.command)} ${args.map(quote).join(" ")} --out ${quote(join(work, "shards", `${prefix}-`))}"$I"${quote(`-of-${N}.${ext}`)} --shard "$I/${N}"`,
    ];
    const merge = [
      ...header(
        `ecg-tlc-${name}-merge`,
        mergeLog,
        // the fit clusters, the evaluation fits its forests: the shards' resources
        job.command === "fit" || job.command === "evaluate" ? job : { ...job, cpus: 1, mem: "1G" },
      ),
      cwd,
      `exec ${run.join(" ")} merge ${margs.map(quote).join(" ")} --out ${quote(out)} --shards ${N} ${parts.map(quote).join(" ")}`,
    ];
    const scripts: SlurmStage = {
      array: join(work, `${name}.sbatch`),
      merge: join(work, `merge${suffix}.sbatch`),
      parts,
      logs: parts.map((_, i) => log(i)),
      mergeLog,
      out,
    };
    return [scripts, array, merge];
  };
  const stages = [stage(job.command, "shard", shardArgs, mergeArgs, twoLevel ? waves : out)];
  if (twoLevel)
    stages.push(
      stage("fit-states", "states", [...shardArgs, "--states-of", waves], statesMergeArgs, out),
    );
  for (const [st, array, merge] of stages) {
    writeFileSync(st.array, array.join("\n") + "\n", { mode: 0o755 });
    writeFileSync(st.merge, merge.join("\n") + "\n", { mode: 0o755 });
  }
  return { work, ...stages[0][0], ...(twoLevel ? { states: stages[1][0] } : {}) };
}

function slurmTool(tool: string, args: string[]): string {
  const r = spawnSync(tool, args, { encoding: "utf8" });
  if (r.error && (r.error as NodeJS.ErrnoException).code === "ENOENT")
    throw new MissingDependencyError(
      `'${tool}' not found: run on a Slurm login node (or install slurm-client)`,
    );
  if (r.status !== 0)
    throw new EcgTlcError(`${tool} ${args.join(" ")}: ${(r.stderr || r.stdout).trim()}`);
  return r.stdout.trim();
}

export interface SlurmOutcome {
  /** The first pass's array and merge jobs. */
  arrayJob: string;
  mergeJob: string;
  /** Every job, in submission order (array, merge, then a two-level fit's state array, merge). */
  jobs: string[];
  /** The pass that failed (0: the first; 1: a two-level fit's states), when one did. */
  failedStage?: number;
  /** That pass's shards without a complete output. */
  failed: number[];
  merged: boolean;
  seconds: number;
}

const lastLine = (file: string) => {
  try {
    return readFileSync(file, "utf8").trim().split("\n").at(-1) ?? "";
  } catch {
    return "(no log)";
  }
};

/**
 * Submits each pass's array and merge, every job afterok on the one before (and cancelled when
 * that one fails), and waits until Slurm has none of them. Shards whose output has no manifest
 * failed; a merge succeeded when its output's manifest exists.
 */
export async function submitSlurm(
  s: SlurmScripts,
  out: string,
  opts: { poll?: number; report?: (line: string) => void } = {},
): Promise<SlurmOutcome> {
  const report = opts.report ?? ((l: string) => process.stderr.write(l + "\n"));
  const t0 = performance.now();
  const stages = slurmStages(s);
  // A fresh run: nothing of an earlier one may pass for this one's result.
  for (const st of stages) {
    for (const p of st.parts) rmSync(manifestPath(p), { force: true });
    rmSync(manifestPath(st.out), { force: true });
  }
  rmSync(manifestPath(resolve(out)), { force: true });
  const jobs: string[] = [];
  const labels = new Map<string, string>();
  for (const [i, st] of stages.entries()) {
    const pass = i === 0 ? "" : "states ";
    for (const [script, label] of [
      [st.array, `${pass}shard`],
      [st.merge, `${pass}merge`],
    ]) {
      const dep = jobs.length
        ? [`--dependency=afterok:${jobs[jobs.length - 1]}`, "--kill-on-invalid-dep=yes"]
        : [];
      const id = slurmTool("sbatch", ["--parsable", ...dep, script]).split(";")[0];
      jobs.push(id);
      labels.set(id, label);
    }
  }
  const [arrayJob, mergeJob] = jobs;
  report(
    stages.length === 1
      ? `slurm: submitted array job ${arrayJob} (${s.parts.length} shards), merge job ${mergeJob}`
      : `slurm: submitted array job ${arrayJob} (${s.parts.length} shards), merge job ${mergeJob}, state array job ${jobs[2]}, state merge job ${jobs[3]}`,
  );
  const pollMs = (opts.poll ?? 2) * 1000;
  let shown = "";
  for (;;) {
    const q = slurmTool("squeue", ["-h", "-j", jobs.join(","), "-o", "%i %T"]);
    if (!q) break;
    const states = new Map<string, number>();
    for (const line of q.split("\n")) {
      const [id, state] = line.trim().split(/\s+/);
      const label = labels.get(id.split("_")[0]) ?? "";
      const key = label.endsWith("shard")
        ? `${label === "shard" ? "" : "states "}${state}`
        : `${label} ${state}`;
      states.set(key, (states.get(key) ?? 0) + 1);
    }
    const done = stages
      .map(
        (st, i) =>
          `${i ? "states " : ""}${st.parts.filter((p) => existsSync(manifestPath(p))).length}/${st.parts.length} shards done`,
      )
      .join(", ");
    const now = `${done}; ${[...states].map(([k, n]) => `${n} ${k}`).join(", ")}`;
    if (now !== shown) report(`slurm: ${now}`);
    shown = now;
    await new Promise((r) => setTimeout(r, pollMs));
  }
  const merged = existsSync(manifestPath(resolve(out)));
  const outcome: SlurmOutcome = {
    arrayJob,
    mergeJob,
    jobs,
    failed: [],
    merged,
    seconds: (performance.now() - t0) / 1000,
  };
  if (merged) return outcome;
  // the first pass that did not finish: its failed shards, or its merge
  for (const [i, st] of stages.entries()) {
    if (existsSync(manifestPath(st.out))) continue;
    const what = i ? "state shard" : "shard";
    outcome.failedStage = i;
    outcome.failed = st.parts.flatMap((p, j) => (existsSync(manifestPath(p)) ? [] : [j]));
    for (const j of outcome.failed)
      report(`slurm: ${what} ${j} failed: ${lastLine(st.logs[j])} (${st.logs[j]})`);
    if (!outcome.failed.length)
      report(`slurm: ${i ? "state " : ""}merge failed: ${lastLine(st.mergeLog)} (${st.mergeLog})`);
    break;
  }
  return outcome;
}

/**
 * The commands that re-run what failed of pass `stage` (its failed shards, or its merge) and
 * everything after it.
 */
export function rerunAdvice(s: SlurmScripts, failed: number[], stage = 0): string {
  const stages = slurmStages(s).slice(stage);
  const steps = stages.flatMap((st, i) =>
    i === 0 && !failed.length ? [st.merge] : [st.array, st.merge],
  );
  const first = failed.length ? `--array=${failed.join(",")} ` : "";
  const chain = steps.map((script, i) =>
    i === steps.length - 1
      ? `sbatch ${i ? "--dependency=afterok:$jid " : ""}${script}`
      : `jid=$(sbatch --parsable ${i ? "--dependency=afterok:$jid " : first}${script})`,
  );
  const what = failed.length
    ? `the failed ${stage ? "state " : ""}shard${failed.length > 1 ? "s" : ""}`
    : `the ${stage ? "state " : ""}merge`;
  return `re-run ${what}${steps.length > 2 || (!failed.length && steps.length > 1) ? " and what follows" : ""}: ${chain.join(" && ")}`;
}
