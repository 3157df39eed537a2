#!/usr/bin/env node
import { EcgTlcError, ParameterError } from "../errors.js";
import { flagError, type Command } from "./command.js";

/**
 * Command registry: name -> lazy loader, so that `--help` and the data commands work even where
 * the native engine is not built. One line per command; each file lives in ./commands/.
 */
const COMMANDS: Record<string, () => Promise<{ default: Command }>> = {
  read: () => import("./commands/read.js"),
  annotations: () => import("./commands/annotations.js"),
  dataset: () => import("./commands/dataset.js"),
  delineate: () => import("./commands/delineate.js"),
  "validate-delineation": () => import("./commands/validate-delineation.js"),
  serve: () => import("./commands/serve.js"),
  synth: () => import("./commands/synth.js"),
  fit: () => import("./commands/fit.js"),
  explain: () => import("./commands/explain.js"),
  features: () => import("./commands/features.js"),
  report: () => import("./commands/report.js"),
  evaluate: () => import("./commands/evaluate.js"),
  align: () => import("./commands/align.js"),
  train: () => import("./commands/train.js"),
  predict: () => import("./commands/predict.js"),
  "evaluate-model": () => import("./commands/evaluate-model.js"),
  gradcam: () => import("./commands/gradcam.js"),
  "inspect-model": () => import("./commands/inspect-model.js"),
  "import-model": () => import("./commands/import-model.js"),
  "export-model": () => import("./commands/export-model.js"),
  pipeline: () => import("./commands/pipeline.js"),
  merge: () => import("./commands/merge.js"),
  slurm: () => import("./commands/slurm.js"),
};

const VERSION = "0.1.0";

function mainHelp(): string {
  const lines = [
    "ecg-tlc: explain what deep networks learn from ECGs with time-localized clusters (TLC)",
    "",
    "usage: ecg-tlc <command> [options]    (ecg-tlc <command> --help for details)",
    "",
    "commands:",
  ];
  return lines.join("\n");
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    const summaries: string[] = [];
    for (const [cmd, load] of Object.entries(COMMANDS)) {
      const { default: c } = await load();
      summaries.push(`  ${cmd.padEnd(21)} ${c.summary}`);
    }
    process.stdout.write(mainHelp() + "\n" + summaries.join("\n") + "\n");
    return name === undefined ? 2 : 0;
  }
  if (name === "--version" || name === "-V") {
    process.stdout.write(VERSION + "\n");
    return 0;
  }
  const load = COMMANDS[name];
  if (!load) {
    process.stderr.write(`ecg-tlc: unknown command '${name}' (see 'ecg-tlc --help')\n`);
    return 2;
  }
  const { default: command } = await load();
  if (rest.includes("--help") || rest.includes("-h")) {
    process.stdout.write(command.usage.trimEnd() + "\n");
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    throw err instanceof ParameterError ? flagError(command, err) : err;
  }
}

// A closed pipe (`ecg-tlc explain ... | head`) ends the output, not the process with a stack trace.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw err;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof EcgTlcError) {
      process.stderr.write(`ecg-tlc: ${err.message.split("\n")[0]}\n`);
      process.exitCode = err.exitCode;
    } else {
      const e = err as Error;
      process.stderr.write(`ecg-tlc: internal error: ${e?.message ?? String(err)}\n`);
      if (process.env.ECG_TLC_DEBUG) process.stderr.write(`${e?.stack ?? ""}\n`);
      process.exitCode = 70;
    }
  },
);
