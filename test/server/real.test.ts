/**
 * The explorer over the real engine: a tiny untrained 1D-ResNet (ptbxl100 shape, narrow channels),
 * a TLC fitted on 12 real PTB-XL records on taps chosen here (B1, B3: not the default, so nothing
 * depends on it) and one fitted without per-block clusterings, Grad-CAM from the engine, and
 * `ecg-tlc serve` started as a process.
 */
import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { openDataset } from "../../src/io/datasets/index.js";
import type { Dataset } from "../../src/io/datasets/types.js";
import { writeUntrainedModel } from "../../src/model/folder.js";
import { gradcamRecord } from "../../src/explain/gradcam.js";
import { loadModel, type ModelFace as Model } from "../../src/model/index.js";
import { startExplorer, type ExplorerServer } from "../../src/server/app.js";
import { createTlcExplainer } from "../../src/server/explainer.js";
import { openTlcExplainer } from "../../src/server/serve.js";
import { Tlc } from "../../src/tlc/tlc.js";
import { ROOT, sharedData } from "../data.js";

const PTBXL = "ptbxl/records100/00000/00024_lr";
const TAPS = ["B1", "B3"];

/** A Grad-CAM map as the API sends it: scaled to its maximum, rounded to 1e-4. */
function scaled(samples: Float32Array): number[] {
  const max = Math.max(0, ...samples);
  return Array.from(samples, (v) => (max > 0 ? Math.round((Math.max(0, v) / max) * 1e4) / 1e4 : 0));
}

/** Writes an untrained model folder with the ptbxl100 preset's input and narrow layers. */
async function tinyModel(dir: string): Promise<void> {
  await writeUntrainedModel(dir, { network: { channels: [8, 8, 12, 12, 16], kernel: 5 }, seed: 1 });
}

describe("explorer over a real (tiny, untrained) model and TLC", { timeout: 120_000 }, () => {
  let dir: string;
  let model: Model;
  let dataset: Dataset;
  let tlc: Tlc;
  let app: ExplorerServer;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "ecg-tlc-serve-test-"));
    await tinyModel(dir);
    model = await loadModel(dir);
    dataset = await openDataset(sharedData("ptbxl"));
    const entries = dataset.entries.slice(0, 12);
    tlc = await Tlc.fit(model, dataset, entries, {
      taps: TAPS,
      k: 4,
      seed: 3,
      nInit: 1,
      threads: 1,
    });
    tlc.save(join(dir, "tlc.json"));
    const small = { entries, read: (e: (typeof entries)[0]) => dataset.read(e), close() {} };
    app = await startExplorer({
      explainer: createTlcExplainer({ explainer: tlc.bind(model), dataset: small }),
      port: 0,
    });
    await app.catalog.startIndexing();
  });
  after(async () => {
    await app?.close();
    dataset?.close();
    model?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("offers the blocks the explainer was fitted on", async () => {
    const health = (await (await fetch(app.url + "api/health")).json()) as {
      blocks: string[];
      blockWaves: Record<string, unknown>;
      gradcam: boolean;
      gradcamTaps: string[];
      gradcamTap: string;
    };
    assert.deepEqual(health.blocks, ["combined", ...TAPS]);
    assert.deepEqual(Object.keys(health.blockWaves), health.blocks);
    assert.equal(health.gradcam, true);
    assert.deepEqual(health.gradcamTaps, model.config.taps);
    assert.equal(
      health.gradcamTap,
      "B4",
      "createTlcExplainer without gradcamTap: the model's last",
    );
    const res = await fetch(app.url + `api/records/${dataset.entries[0].id}/explanation?block=B2`);
    assert.equal(res.status, 400);
    assert.deepEqual(await res.json(), {
      error: "block: expected one of combined, B1, B3, got 'B2'",
    });
  });

  test("lists, explains per block and agrees with Tlc.explain", async () => {
    const page = (await (await fetch(app.url + "api/records?limit=100")).json()) as {
      total: number;
      indexed: number;
      items: { id: string; meanEntropy: number; predicted: string[] }[];
    };
    assert.equal(page.total, 12);
    assert.equal(page.indexed, 12);
    const first = page.items[0];
    const direct = await tlc.bind(model).explainOne(await dataset.read(dataset.entries[0]));
    // the background pass explains in batches: float sums may differ in the last digits
    assert.ok(
      Math.abs(first.meanEntropy - direct.meanEntropy) < 1e-4,
      `${first.meanEntropy} vs ${direct.meanEntropy}`,
    );
    for (const block of ["combined", ...TAPS]) {
      const res = await fetch(app.url + `api/records/${first.id}/explanation?block=${block}`);
      assert.equal(res.status, 200);
      const body = (await res.json()) as {
        view: {
          clusters: number[];
          segments: { start: number; end: number }[];
          proportions: number[];
        };
        signal: { samples: number; leads: string[] };
      };
      const want = block === "combined" ? direct.clusters : direct.blocks![block].clusters;
      assert.deepEqual(body.view.clusters, want, block);
      assert.equal(body.view.clusters.length, 1000);
      assert.equal(body.view.segments.at(-1)!.end, 1000);
      assert.equal(body.view.proportions.length, 4);
      assert.equal(body.signal.leads.length, 12);
    }
  });

  test("Grad-CAM of a record and of an upload is the engine's, at the model's last tap", async () => {
    const entry = dataset.entries[0];
    const record = await dataset.read(entry);
    const direct = await tlc.bind(model).explainOne(record);
    const top = model.config.classes.reduce((a, c) =>
      direct.outputs[c] > direct.outputs[a] ? c : a,
    );
    const expected = async (target: string) => {
      const g = await gradcamRecord(model, record, { tap: "B4", target: target });
      assert.ok(Math.max(...g.samples) > 0, `${target}: the engine's map is not all zero`);
      return scaled(g.samples);
    };
    for (const [q, target] of [
      ["", top],
      ["?target=sttc", "STTC"],
    ]) {
      const res = await fetch(app.url + `api/records/${entry.id}/gradcam${q}`);
      assert.equal(res.status, 200);
      const body = (await res.json()) as { tap: string; target: string; values: number[] };
      assert.equal(body.tap, "B4");
      assert.equal(body.target, target);
      assert.equal(body.values.length, record.samples);
      assert.deepEqual(body.values, await expected(target), target);
    }
    const fd = new FormData();
    fd.append("files", new Blob([readFileSync(sharedData(PTBXL + ".hea"))]), "00024_lr.hea");
    fd.append("files", new Blob([readFileSync(sharedData(PTBXL + ".dat"))]), "00024_lr.dat");
    fd.append("target", "CD");
    const res = await fetch(app.url + "api/gradcam", { method: "POST", body: fd });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { record: string; target: string; values: number[] };
    const { readRecord } = await import("../../src/io/record.js");
    const upload = readRecord(sharedData(PTBXL + ".hea").slice(0, -4));
    const g = await gradcamRecord(model, upload, { tap: "B4", target: "CD" });
    assert.equal(body.record, "00024_lr");
    assert.deepEqual(body.values, scaled(g.samples));
  });

  test("an explainer fitted without per-block clusterings offers combined only", async () => {
    const entries = dataset.entries.slice(0, 6);
    const flat = await Tlc.fit(model, dataset, entries, {
      taps: ["B2", "B3"],
      blocks: false,
      k: 3,
      seed: 1,
      nInit: 1,
      threads: 1,
    });
    const small = { entries, read: (e: (typeof entries)[0]) => dataset.read(e), close() {} };
    const other = await startExplorer({
      explainer: createTlcExplainer({ explainer: flat.bind(model), dataset: small }),
      port: 0,
      index: false,
    });
    try {
      const health = (await (await fetch(other.url + "api/health")).json()) as { blocks: string[] };
      assert.deepEqual(health.blocks, ["combined"]);
      const id = entries[0].id;
      const ok = await fetch(other.url + `api/records/${id}/explanation`);
      assert.equal(ok.status, 200);
      const body = (await ok.json()) as { view: { proportions: number[] }; blocks: string[] };
      assert.equal(body.view.proportions.length, 3);
      assert.deepEqual(body.blocks, ["combined"]);
      const bad = await fetch(other.url + `api/records/${id}/explanation?block=B2`);
      assert.equal(bad.status, 400);
      assert.deepEqual(await bad.json(), { error: "block: expected one of combined, got 'B2'" });
    } finally {
      await other.close();
    }
  });

  test("an explainer with stored cluster names: those for combined, the blocks' learnt in the background", async () => {
    const entries = dataset.entries.slice(0, 8);
    const stored = ["T", "TP", "QRS", "P"];
    const table = stored.map(() => [1, 1, 1, 1]);
    const named = tlc.withClusterWaves({ names: stored, table, records: 8, source: "delineator" });
    const small = { entries, read: (e: (typeof entries)[0]) => dataset.read(e), close() {} };
    const other = await startExplorer({
      explainer: createTlcExplainer({ explainer: named.bind(model), dataset: small }),
      port: 0,
    });
    try {
      await other.catalog.startIndexing();
      const health = (await (await fetch(other.url + "api/health")).json()) as {
        clusterWaves: string[];
        blockWaves: Record<string, (string | null)[] | null>;
      };
      assert.deepEqual(health.clusterWaves, stored);
      assert.deepEqual(health.blockWaves.combined, stored);
      for (const b of TAPS) {
        const names = health.blockWaves[b];
        assert.ok(Array.isArray(names) && names.length === 4, `${b}: ${names}`);
        assert.ok(names.some((w) => w !== null));
      }
    } finally {
      await other.close();
    }
  });

  test("POST /api/explain answers what Tlc.explain gives for the uploaded record", async () => {
    const fd = new FormData();
    fd.append("files", new Blob([readFileSync(sharedData(PTBXL + ".hea"))]), "00024_lr.hea");
    fd.append("files", new Blob([readFileSync(sharedData(PTBXL + ".dat"))]), "00024_lr.dat");
    const res = await fetch(app.url + "api/explain", { method: "POST", body: fd });
    assert.equal(res.status, 200);
    const body = (await res.json()) as Record<string, unknown>;
    const { readRecord } = await import("../../src/io/record.js");
    const direct = await tlc
      .bind(model)
      .explainOne(readRecord(sharedData(PTBXL + ".hea").slice(0, -4)));
    assert.deepEqual(body, JSON.parse(JSON.stringify(direct)));
  });

  test("uploads the model cannot take get a 4xx naming the problem", async () => {
    const post = async (csv: string) => {
      const fd = new FormData();
      fd.append("file", new Blob([csv]), "three.csv");
      fd.append("fs", "100");
      const res = await fetch(app.url + "api/explain", { method: "POST", body: fd });
      return [res.status, ((await res.json()) as { error: string }).error] as const;
    };
    const rows = Array.from({ length: 500 }, (_, i) => `${i % 7},${i % 5},${i % 3}`);
    const [status, error] = await post(["I,II,V9", ...rows].join("\n"));
    assert.equal(status, 422, error);
    assert.match(error, /III/, "names a missing lead");
    assert.equal((await fetch(app.url + "api/health")).status, 200);
  });

  test("serve's Grad-CAM tap: the model's last by default, --gradcam-tap one of the model's", async () => {
    const opts = { model: dir, tlc: join(dir, "tlc.json") };
    // the explainer's last tap is B3; the maps default to the model's last, B4
    const dflt = await openTlcExplainer(opts);
    assert.equal(dflt.gradcamTap, "B4");
    dflt.close?.();
    const b3 = await openTlcExplainer({ ...opts, gradcamTap: "B3" });
    assert.equal(b3.gradcamTap, "B3");
    b3.close?.();
    const b4 = await openTlcExplainer({ ...opts, gradcamTap: "B4" });
    try {
      const record = await dataset.read(dataset.entries[0]);
      assert.equal((await b4.gradcam!(record, "CD")).tap, "B4");
      // a request may name another of the model's taps
      const b2 = await b4.gradcam!(record, "CD", "B2");
      assert.equal(b2.tap, "B2");
      const direct = await gradcamRecord(model, record, { tap: "B2", target: "CD" });
      assert.deepEqual(Array.from(b2.samples), Array.from(direct.samples));
      await assert.rejects(
        b4.gradcam!(record, "CD", "B9"),
        /^ParameterError: tap: the model has no tap 'B9' \(it has B1, B2, B3, B4\)$/,
      );
    } finally {
      b4.close?.();
    }
    await assert.rejects(
      openTlcExplainer({ ...opts, gradcamTap: "B9" }),
      /^ParameterError: gradcamTap: the model has no tap 'B9' \(it has B1, B2, B3, B4\)$/,
    );
  });

  test("`ecg-tlc serve --port 0` prints its URL, answers, and stops on SIGTERM", async () => {
    const child = spawn(
      process.execPath,
      [
        join(ROOT, "dist/src/cli/main.js"),
        "serve",
        "--model",
        dir,
        "--tlc",
        join(dir, "tlc.json"),
        "--port",
        "0",
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = "";
        child.stdout.on("data", (d) => {
          out += d;
          const m = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
          if (m) resolve(m[1]);
        });
        child.on("exit", (code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
      });
      const health = (await (await fetch(url + "api/health")).json()) as {
        k: number;
        records: number;
      };
      assert.equal(health.k, 4);
      assert.equal(health.records, 0);
      // `serve` draws Grad-CAM at the model's last tap (B4), not the explainer's (B3 here).
      const fd = new FormData();
      fd.append("files", new Blob([readFileSync(sharedData(PTBXL + ".hea"))]), "00024_lr.hea");
      fd.append("files", new Blob([readFileSync(sharedData(PTBXL + ".dat"))]), "00024_lr.dat");
      fd.append("target", "CD");
      const cam = (await (
        await fetch(url + "api/gradcam", { method: "POST", body: fd })
      ).json()) as {
        tap: string;
      };
      assert.equal(cam.tap, "B4");
    } catch (err) {
      child.kill("SIGKILL"); // a failed check must not leave the server running
      throw err;
    }
    const code = await new Promise<number | null>((resolve) => {
      child.on("exit", (c) => resolve(c));
      child.kill("SIGTERM");
    });
    assert.equal(code, 0, stderr);
  });
});
