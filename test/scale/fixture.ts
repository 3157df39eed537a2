/** A small CODE-15%-layout dataset, a tiny untrained model and an explainer fitted on it. */
import { spawnSync, type SpawnSyncOptions } from "node:child_process";
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeUntrainedModel } from "../../src/model/folder.js";
import { ROOT } from "../data.js";

export const CLI = join(ROOT, "dist", "src", "cli", "main.js");

export function run(args: string[], opts: SpawnSyncOptions = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: "utf8",
    maxBuffer: 1 << 28,
    ...opts,
  });
  return { code: r.status, out: String(r.stdout), err: String(r.stderr) };
}

export interface Fixture {
  dir: string;
  data: string;
  model: string;
  tlc: string;
}

export async function code15Fixture(n = 150, prefix = "scale-"): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const data = join(dir, "data");
  const model = join(dir, "model");
  const tlc = join(dir, "tlc.json");
  const s = run([
    "synth",
    "--layout",
    "code15",
    "--n",
    String(n),
    "--out",
    data,
    "--seed",
    "3",
    "--per-file",
    "64",
  ]);
  if (s.code !== 0) throw new Error(s.err);
  mkdirSync(model);
  await writeUntrainedModel(model, {
    network: { channels: [8, 8, 8, 12, 16], kernel: 5 },
    seed: 3,
  });
  const f = run([
    "fit",
    "--model",
    model,
    "--data",
    data,
    "--k",
    "4",
    "--out",
    tlc,
    "--name-ecgs",
    "10",
    "--threads",
    "1",
  ]);
  if (f.code !== 0) throw new Error(f.err);
  return { dir, data, model, tlc };
}
