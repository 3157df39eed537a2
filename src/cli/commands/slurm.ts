import { readFileSync } from "node:fs";
import { ShardError, UsageError } from "../../errors.js";
import { rerunAdvice, slurmStages, submitSlurm, writeSlurmScripts } from "../../scale/slurm.js";
import { formatDuration } from "../../scale/progress.js";
import { parseNumber, type Command } from "../command.js";

/** Commands that take --data, --out and --shard I/N. */
const SHARDED = ["explain", "predict", "fit", "features", "evaluate"];

const usage = `usage: ecg-tlc slurm COMMAND ARGS... --shards N --out FILE [--submit] [options]

Runs COMMAND (${SHARDED.join(", ")}) over a dataset on a Slurm cluster: writes a job array of N
shards (each 'ecg-tlc COMMAND ARGS --shard I/N' into its own file) and a merge job that runs when
every shard has succeeded, into FILE.slurm/ (the sbatch scripts, logs/, shards/). With --submit,
submits them with sbatch and follows them until the merge has finished: exit 0 with the merged
FILE in dataset order (fit: the explainer clustered from the shards' samples; evaluate: the
report, JSON with --json), 1 if a shard or the merge failed (saying which, and how to re-run only it).
A two-level fit (fit's default; not with --no-states) makes two passes, as 'fit' does: the wave
array, its merge into FILE.slurm/waves.json, then the state array ('fit --states-of') and the
merge into FILE, each job waiting for the one before; the last merge names the clusters and
states on --data as 'fit' does.

  --shards N       shards (array tasks)
  --out FILE       merged output
  --submit         submit and wait (default: only write the scripts and print how to submit)
  --partition P    Slurm partition            --time T    time limit per shard (e.g. 2:00:00)
  --mem M          memory per shard (4G)      --cpus C    CPUs per shard, the engine's threads (1)
  --account A      Slurm account              --work DIR  scripts, logs, shards (FILE.slurm)
  --poll S         seconds between squeue polls (default 2)

The same shards run anywhere else the same way, e.g. as a Kubernetes indexed Job
(docs/SCALE.md): 'ecg-tlc COMMAND ARGS --out part-I.jsonl --shard I/N', then 'ecg-tlc merge'.
`;

const OWN = new Set([
  "shards",
  "out",
  "partition",
  "time",
  "mem",
  "cpus",
  "account",
  "work",
  "poll",
]);

const command: Command = {
  name: "slurm",
  summary: "run a command's shards as a Slurm job array plus a merge job (--submit: and wait)",
  usage,
  async run(argv) {
    const [cmd, ...rest] = argv;
    if (!cmd || cmd.startsWith("-"))
      throw new UsageError("slurm: which command? (see 'ecg-tlc slurm --help')");
    if (!SHARDED.includes(cmd))
      throw new UsageError(`slurm: '${cmd}' does not run in shards (${SHARDED.join(", ")} do)`);
    const own: Record<string, string> = {};
    const args: string[] = [];
    let submit = false;
    for (let i = 0; i < rest.length; i++) {
      const a = rest[i];
      const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
      if (m && m[1] === "submit") submit = true;
      else if (m && m[1] === "shard")
        throw new UsageError("slurm: --shard is set per array task; give --shards N");
      else if (m && OWN.has(m[1])) {
        const value = m[2] ?? rest[++i];
        if (value === undefined) throw new UsageError(`slurm: --${m[1]} needs a value`);
        own[m[1]] = value;
      } else args.push(a);
    }
    if (!own.shards) throw new UsageError("slurm: --shards N is required");
    if (!own.out) throw new UsageError("slurm: --out FILE is required");
    for (const need of ["--data", "--model"])
      if (!args.includes(need)) throw new UsageError(`slurm: ${cmd} needs ${need}`);
    const scripts = writeSlurmScripts({
      command: cmd,
      args,
      out: own.out,
      shards: parseNumber(own.shards, "--shards", 1, { integer: true, min: 1, max: 100_000 }),
      work: own.work,
      partition: own.partition,
      time: own.time,
      mem: own.mem,
      cpus: parseNumber(own.cpus, "--cpus", 1, { integer: true, min: 1 }),
      account: own.account,
    });
    const stages = slurmStages(scripts);
    if (!submit) {
      const chain = stages.flatMap((st) => [st.array, st.merge]);
      const cmds = chain.map((script, i) =>
        i === chain.length - 1
          ? `sbatch --dependency=afterok:$jid --kill-on-invalid-dep=yes ${script}`
          : `jid=$(sbatch --parsable ${i ? "--dependency=afterok:$jid --kill-on-invalid-dep=yes " : ""}${script})`,
      );
      process.stdout.write(`${chain.join("\n")}\nsubmit with: ${cmds.join(" && ")}\n`);
      return 0;
    }
    const poll = parseNumber(own.poll, "--poll", 2, { min: 0.1 });
    const r = await submitSlurm(scripts, own.out, { poll });
    if (r.failedStage !== undefined || !r.merged) {
      const stage = r.failedStage ?? stages.length - 1;
      const pass = stage ? "state " : "";
      throw new ShardError(
        `slurm: ${r.failed.length ? `${pass}shard${r.failed.length > 1 ? "s" : ""} ${r.failed.join(", ")} of ${scripts.parts.length} failed` : `the ${pass}merge failed`}; ${rerunAdvice(scripts, r.failed, stage)}`,
      );
    }
    for (const st of stages)
      process.stderr.write(readFileSync(st.mergeLog, "utf8").trimEnd() + "\n");
    process.stderr.write(
      `slurm: ${scripts.parts.length} shards merged into ${own.out} in ${formatDuration(r.seconds)} (jobs ${r.jobs.join(", ")})\n`,
    );
    return 0;
  },
};

export default command;
