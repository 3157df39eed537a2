/**
 * Slurm: a job array runs the shards of a command (`--shard $SLURM_ARRAY_TASK_ID/N`), a job that
 * depends on the whole array (afterok) merges them. The scripts are plain sbatch files a user can
 * read, edit and submit by hand; `submitSlurm` submits them and follows the jobs to the end.
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

export interface SlurmScripts {
  work: string;
  array: string;
  merge: string;
  /** Shard outputs, in shard order. */
  parts: string[];
  logs: string[];
  mergeLog: string;
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
  const part = (i: number | string) => join(work, "shards", `shard-${i}-of-${N}.${ext}`);
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
  const log = (i: number | string) => join(work, "logs", `shard-${i}.log`);
  const run = [quote(process.execPath), quote(cliEntry())];
  const cwd = `cd ${quote(process.cwd())}`;
  const array = [
    ...header(`ecg-tlc-${job.command}`, log("%a"), job, [`--array=0-${N - 1}`]),
    `export ECG_TLC_THREADS=\${SLURM_CPUS_PER_TASK:-${job.cpus ?? 1}}`,
    "I=$SLURM_ARRAY_TASK_ID",
    cwd,
    `exec ${run.join(" ")} ${quote(job.command)} ${shardArgs.map(quote).join(" ")} --out ${quote(join(work, "shards", `shard-`))}"$I"${quote(`-of-${N}.${ext}`)} --shard "$I/${N}"`,
  ];
  const parts = Array.from({ length: N }, (_, i) => part(i));
  const mergeLog = join(work, "logs", "merge.log");
  const merge = [
    ...header(
      `ecg-tlc-${job.command}-merge`,
      mergeLog,
      // the fit clusters, the evaluation fits its forests: the shards' resources
      job.command === "fit" || job.command === "evaluate" ? job : { ...job, cpus: 1, mem: "1G" },
    ),
    cwd,
    `exec ${run.join(" ")} merge ${mergeArgs.map(quote).join(" ")} --out ${quote(out)} --shards ${N} ${parts.map(quote).join(" ")}`,
  ];
  const scripts = {
    work,
    array: join(work, `${job.command}.sbatch`),
    merge: join(work, "merge.sbatch"),
    parts,
    logs: parts.map((_, i) => log(i)),
    mergeLog,
  };
  writeFileSync(scripts.array, array.join("\n") + "\n", { mode: 0o755 });
  writeFileSync(scripts.merge, merge.join("\n") + "\n", { mode: 0o755 });
  return scripts;
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
  arrayJob: string;
  mergeJob: string;
  /** Shards without a complete output. */
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
 * Submits the array and the merge (afterok on the array; cancelled if a shard fails) and waits
 * until Slurm has neither. Shards whose output has no manifest failed; the merge succeeded when
 * the merged output's manifest exists.
 */
export async function submitSlurm(
  s: SlurmScripts,
  out: string,
  opts: { poll?: number; report?: (line: string) => void } = {},
): Promise<SlurmOutcome> {
  const report = opts.report ?? ((l: string) => process.stderr.write(l + "\n"));
  const t0 = performance.now();
  // A fresh run: nothing of an earlier one may pass for this one's result.
  for (const p of s.parts) rmSync(manifestPath(p), { force: true });
  rmSync(manifestPath(resolve(out)), { force: true });
  const arrayJob = slurmTool("sbatch", ["--parsable", s.array]).split(";")[0];
  const mergeJob = slurmTool("sbatch", [
    "--parsable",
    `--dependency=afterok:${arrayJob}`,
    "--kill-on-invalid-dep=yes",
    s.merge,
  ]).split(";")[0];
  report(
    `slurm: submitted array job ${arrayJob} (${s.parts.length} shards), merge job ${mergeJob}`,
  );
  const pollMs = (opts.poll ?? 2) * 1000;
  let shown = "";
  for (;;) {
    const q = slurmTool("squeue", ["-h", "-j", `${arrayJob},${mergeJob}`, "-o", "%i %T"]);
    if (!q) break;
    const states = new Map<string, number>();
    for (const line of q.split("\n")) {
      const [id, state] = line.trim().split(/\s+/);
      const key = id.startsWith(`${mergeJob}`) ? `merge ${state}` : state;
      states.set(key, (states.get(key) ?? 0) + 1);
    }
    const done = s.parts.filter((p) => existsSync(manifestPath(p))).length;
    const now = `${done}/${s.parts.length} shards done; ${[...states].map(([k, n]) => `${n} ${k}`).join(", ")}`;
    if (now !== shown) report(`slurm: ${now}`);
    shown = now;
    await new Promise((r) => setTimeout(r, pollMs));
  }
  const failed = s.parts.flatMap((p, i) => (existsSync(manifestPath(p)) ? [] : [i]));
  const merged = existsSync(manifestPath(resolve(out)));
  for (const i of failed) report(`slurm: shard ${i} failed: ${lastLine(s.logs[i])} (${s.logs[i]})`);
  if (!failed.length && !merged)
    report(`slurm: merge failed: ${lastLine(s.mergeLog)} (${s.mergeLog})`);
  return { arrayJob, mergeJob, failed, merged, seconds: (performance.now() - t0) / 1000 };
}

/** The commands that re-run failed shards alone and merge again. */
export function rerunAdvice(s: SlurmScripts, failed: number[]): string {
  const ids = failed.join(",");
  return failed.length
    ? `re-run the failed shard${failed.length > 1 ? "s" : ""}: jid=$(sbatch --parsable --array=${ids} ${s.array}) && sbatch --dependency=afterok:$jid ${s.merge}`
    : `re-run the merge: sbatch ${s.merge}`;
}
