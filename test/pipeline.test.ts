import { strict as assert } from "node:assert";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { runPipeline } from "../src/pipeline.js";
import { Tlc } from "../src/tlc/index.js";

// The whole main job on a tiny synthetic set (80 ECGs, 1 epoch, K = 4): every stage runs for real
// and hands a readable artefact to the next one.
test("runPipeline goes from synthetic ECGs to a report", async () => {
  const out = mkdtempSync(join(tmpdir(), "ecg-tlc-pipeline-"));
  const lines: string[] = [];
  try {
    const res = await runPipeline({
      out,
      n: 80,
      epochs: 1,
      k: 4,
      seed: 3,
      log: (l) => lines.push(l),
    });
    assert.deepEqual(
      lines.map((l) => l.slice(0, 13)),
      ["pipeline 1/4:", "pipeline 2/4:", "pipeline 3/4:", "pipeline 4/4:"],
    );
    for (const p of [res.model, res.tlc, res.evaluation, res.report]) assert.ok(existsSync(p), p);
    const model = JSON.parse(readFileSync(join(res.model, "model.json"), "utf8"));
    assert.deepEqual(model.classes, ["NORM", "MI", "STTC", "CD", "HYP"]);
    assert.equal(Tlc.load(res.tlc).k, 4);
    const evaluation = JSON.parse(readFileSync(res.evaluation, "utf8"));
    assert.ok(res.fidelity, "the pipeline reports the surrogate fidelity");
    assert.equal(evaluation.fidelity.mean, res.fidelity.mean);
    assert.ok(res.fidelity.mean > 0.5 && res.fidelity.mean <= 1, `fidelity ${res.fidelity.mean}`);
    const html = readFileSync(res.report, "utf8");
    assert.match(html, /^<!doctype html>/i);
    assert.match(html, /fidelity/i);
    assert.match(
      html,
      /taps B1, B2; each channel standardised over its own record; sigma\^2 per-dim/,
    );
    assert.match(
      html,
      new RegExp(
        `ptbxl100 1D-ResNet, flatten head, superclass, macro AUROC ${model.validation.macro.auroc.toFixed(3)} on fold\\(s\\) 9`,
      ),
    );
    assert.doesNotMatch(html, /(src|href)="https?:/, "the report is self-contained");
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
