/**
 * `ecg-tlc align --json` counts the landmarks as the check on unseen records does: from
 * `ecg-tlc explain --json` and the lead II annotation files, read by an independent reader
 * (bench/reference/explain_landmarks.py, MIT format decoded in Python). A tiny untrained network
 * and three LUDB records, two of which (95, 104) mark QRS peaks without onsets.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { writeUntrainedModel } from "../../src/model/folder.js";
import { ROOT, sharedData } from "../data.js";
import { pythonWith } from "../python.js";

const CLI = join(ROOT, "dist", "src", "cli", "main.js");
const READER = join(ROOT, "bench", "reference", "explain_landmarks.py");

function run(cmd: string, args: string[]) {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 1 << 26 });
  assert.equal(r.status, 0, `${cmd} ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

test("align --json and an independent reader of explain --json count the same landmarks", async () => {
  const py = pythonWith("numpy");
  assert.ok(py, "python3 with numpy is needed (scripts/setup installs python3-sklearn)");
  const dir = mkdtempSync(join(tmpdir(), "align-cli-"));
  try {
    const model = join(dir, "model");
    mkdirSync(model);
    await writeUntrainedModel(model, {
      network: { channels: [8, 8, 8, 12, 16], kernel: 5 },
      seed: 3,
    });
    const data = join(dir, "ludb");
    mkdirSync(data);
    const ids = ["1", "95", "104"];
    for (const id of ids)
      for (const ext of [".hea", ".dat", ".ii"])
        copyFileSync(sharedData("ludb", "data", id + ext), join(data, id + ext));
    const tlc = join(dir, "tlc.json");
    const fitArgs = ["fit", "--model", model, "--data", data, "--k", "4", "--out", tlc];
    run(process.execPath, [CLI, ...fitArgs, "--name-ecgs", "0", "--threads", "2"]);
    const records = ids.map((id) => join(data, id));
    const common = ["--model", model, "--tlc", tlc, ...records, "--json"];
    const aligned = JSON.parse(run(process.execPath, [CLI, "align", ...common]));
    const explained = join(dir, "explain.jsonl");
    writeFileSync(explained, run(process.execPath, [CLI, "explain", ...common]));
    const reader = JSON.parse(run(py!, [READER, explained, data]));

    assert.equal(reader.records, 3);
    const peaks = aligned.landmarks.contingency.reduce(
      (s: number[], row: number[]) => s.map((v, j) => v + row[j]),
      [0, 0, 0],
    );
    assert.deepEqual(peaks, [reader.peaks.P, reader.peaks.QRS, reader.peaks.T]);
    assert.ok(Math.abs(aligned.landmarks.nmi - reader.nmi) < 1e-4);
    for (const w of ["P", "QRS", "T"])
      assert.ok(Math.abs(aligned.landmarks.purity[w] - reader.purity[w]) < 1e-4, w);

    // The Markdown: the same landmark NMI, and per wave the records whose peaks leave its cluster.
    const text = run(process.execPath, [CLI, "align", ...common.slice(0, -1)]);
    assert.match(text, new RegExp(`Landmarks \\(P, R, T peaks\\): NMI ${reader.nmi.toFixed(3)}`));
    for (const w of ["P", "QRS", "T"]) {
      const ids = aligned.apart[w] as string[];
      const line =
        `- ${w}: ${ids.length} of 3 records` + (ids.length ? ` (${ids.join(", ")})` : "");
      assert.ok(text.split("\n").includes(line), `${line}\n${text}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
