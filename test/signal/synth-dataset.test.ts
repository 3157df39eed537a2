import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { after, test } from "node:test";
import { readLudbWaves, openDataset } from "../../src/io/index.js";
import {
  formatScpCodes,
  stratifiedFolds,
  writeSyntheticDataset,
} from "../../src/signal/synth-dataset.js";
import { synthesizeOne } from "../../src/signal/synth.js";

const tmp = mkdtempSync(join(tmpdir(), "ecg-tlc-synth-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => statSync(join(dir, f)).isFile())
    .sort();
}

test("the written folder reads back through openDataset: labels, folds, signals, waves", async () => {
  const dir = join(tmp, "a");
  const summary = await writeSyntheticDataset(dir, { n: 12, seed: 77, fs: 500, seconds: 4 });
  assert.equal(summary.records, 12);
  const ds = await openDataset(dir);
  assert.equal(ds.kind, "ptbxl");
  assert.equal(ds.entries.length, 12);
  for (const [i, entry] of ds.entries.entries()) {
    const truth = synthesizeOne(77, i, { fs: 500, seconds: 4 });
    assert.equal(entry.id, String(i + 1));
    assert.equal(
      relative(dir, entry.path),
      `records500/00000/${String(i + 1).padStart(5, "0")}_hr`,
    );
    assert.deepEqual(entry.labels, truth.labels);
    assert.deepEqual([entry.age, entry.sex], [truth.age, truth.sex]);
    assert.ok(entry.fold !== undefined && entry.fold >= 1 && entry.fold <= 10);
    const rec = await ds.read(entry);
    assert.deepEqual([rec.fs, rec.samples, rec.leads], [500, 2000, truth.record.leads]);
    let err = 0;
    for (let k = 0; k < rec.signal.length; k++) {
      err = Math.max(err, Math.abs(rec.signal[k] - truth.record.signal[k]));
    }
    assert.ok(err <= 0.0005 + 1e-6, `quantisation error ${err} mV (gain 1000)`);
    for (const lead of ["I", "aVR", "V6"]) {
      const { waves } = readLudbWaves(entry.path, lead);
      assert.deepEqual(
        waves,
        truth.waves.filter((w) => w.lead === lead),
      );
    }
  }
  ds.close();
});

test("same seed, same bytes; folds are balanced and stratified", async () => {
  const a = join(tmp, "b1");
  const b = join(tmp, "b2");
  await writeSyntheticDataset(a, { n: 40, seed: 5 });
  const summary = await writeSyntheticDataset(b, { n: 40, seed: 5 });
  const fa = files(a);
  assert.deepEqual(fa, files(b));
  assert.ok(fa.includes(join("records100", "00000", "00040_lr.dat")));
  assert.ok(fa.includes(join("records100", "00000", "00040_lr.v6")));
  for (const f of fa) assert.deepEqual(readFileSync(join(a, f)), readFileSync(join(b, f)), f);
  assert.deepEqual(Object.values(summary.folds), new Array(10).fill(4));
  const labels = [["NORM"], ["NORM"], ["MI"], ["MI", "STTC"], ["NORM"], ["CD"], ["NORM"]];
  const folds = stratifiedFolds(
    Array.from({ length: 70 }, (_, i) => labels[i % 7]),
    1,
  );
  // 40 NORM records over 10 folds: exactly 4 each.
  const normFolds = folds.filter((_, i) => labels[i % 7][0] === "NORM");
  for (let f = 1; f <= 10; f++) assert.equal(normFolds.filter((x) => x === f).length, 4);
});

test("scp_codes use PTB-XL's Python-dict spelling; bad targets are refused", async () => {
  assert.equal(formatScpCodes({ NORM: 100, SR: 0 }), "{'NORM': 100.0, 'SR': 0.0}");
  assert.equal(formatScpCodes({ IMI: 35.5 }), "{'IMI': 35.5}");
  const file = join(tmp, "a", "ptbxl_database.csv");
  await assert.rejects(
    writeSyntheticDataset(file, { n: 1, seed: 1 }),
    /exists and is not a folder/,
  );
  await assert.rejects(
    writeSyntheticDataset(join(tmp, "c"), { n: 0, seed: 1 }),
    /^ParameterError: n: expected >= 1 records/,
  );
});
