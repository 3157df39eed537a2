import { strict as assert } from "node:assert";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { runPipeline } from "../src/pipeline.js";
import { readComparison } from "../src/report/compare.js";
import { writeReport } from "../src/report/write.js";
import { Tlc } from "../src/tlc/index.js";
import { sharedData } from "./data.js";

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
    const tlc = Tlc.load(res.tlc);
    assert.equal(tlc.k, 4);
    // fit named the clusters on the training ECGs and stored the names
    assert.equal(tlc.clusterWaves?.length, 4);
    assert.ok(tlc.clusterWaves.every((w) => w === null || ["P", "QRS", "T", "TP"].includes(w)));
    const evaluation = JSON.parse(readFileSync(res.evaluation, "utf8"));
    assert.ok(res.fidelity, "the pipeline reports the surrogate fidelity");
    assert.equal(evaluation.fidelity.mean, res.fidelity.mean);
    // with its alignment, as 'evaluate --json' writes it: another report can show it (--compare)
    assert.equal(typeof evaluation.alignment?.landmarks?.nmi, "number");
    assert.deepEqual(readComparison(`run=${res.evaluation}`).alignment, evaluation.alignment);
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
        `ptbxl100 1D-ResNet, mean head, superclass, macro AUROC ${model.validation.macro.auroc.toFixed(3)} on fold\\(s\\) 9`,
      ),
    );
    assert.doesNotMatch(html, /(src|href)="https?:/, "the report is self-contained");

    // The report's alignment on LUDB records, against the cardiologists' lead II annotations.
    const ludb = join(out, "ludb");
    mkdirSync(ludb);
    const src = sharedData("ludb", "data");
    const ids = readdirSync(src)
      .filter((f) => f.endsWith(".hea"))
      .map((f) => f.slice(0, -4))
      .slice(0, 3);
    for (const f of readdirSync(src).filter((f) => ids.includes(f.split(".")[0])))
      copyFileSync(join(src, f), join(ludb, f));
    const again = join(out, "aligned.html");
    const r = await writeReport(res.model, res.tlc, res.data, again, {
      alignData: ludb,
      examples: 0,
      flagged: 0,
      evaluate: { sample: 4 },
    });
    const aligned = readFileSync(r.out, "utf8");
    const meta = /<dt>alignment<\/dt><dd>([^<]*)<\/dd>/.exec(aligned)?.[1];
    assert.equal(
      meta,
      `${ludb}: 3 records, lead II (3 with cardiologists&#39; annotations, 0 delineated)`,
    );
    // two levels: the alignment is the wave clusters', in the "waves only" column after the
    // paper's and the leaves' (both empty)
    const row =
      /NMI at the P, R and T peaks<\/td><td><\/td><td><\/td><td class="num">([\d.]+)<\/td><td>([^<]*)</.exec(
        aligned,
      );
    assert.ok(row, "the landmark NMI row");
    assert.ok(Number(row[1]) >= 0 && Number(row[1]) <= 1, row[1]);
    assert.equal(row[2], "3 ECGs; target &gt;= 0.5");
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
