import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import h5wasm from "h5wasm/node";
import {
  openDataset,
  parseCsv,
  parsePythonDict,
  readRecord,
  writeRecord,
} from "../../src/io/index.js";
import { sharedData } from "../data.js";

test("CSV with quotes, doubled quotes and newlines; Python dict literals", () => {
  assert.deepEqual(parseCsv('a,"b ""q"", c",\r\n"x\ny",2\n'), [
    ["a", 'b "q", c', ""],
    ["x\ny", "2"],
  ]);
  assert.deepEqual(parsePythonDict("{'NORM': 100.0, 'LVOLT': 0.0, \"SR\": 0}"), {
    NORM: 100,
    LVOLT: 0,
    SR: 0,
  });
  assert.deepEqual(parsePythonDict("{}"), {});
  assert.throws(() => parsePythonDict("{'NORM': }"), /expected a number/);
});

test("PTB-XL: only records on disk, super-classes from scp_statements, folds, age, sex", async () => {
  const root = sharedData("ptbxl");
  const ds = await openDataset(root);
  assert.equal(ds.kind, "ptbxl");
  assert.deepEqual(ds.classes, ["NORM", "MI", "STTC", "CD", "HYP"]);
  // Independent count: the .hea files under records100.
  let onDisk = 0;
  for (const sub of readdirSync(join(root, "records100"))) {
    onDisk += readdirSync(join(root, "records100", sub)).filter((f) => f.endsWith(".hea")).length;
  }
  assert.equal(ds.entries.length, onDisk);
  assert.ok(ds.entries.every((e) => e.fold !== undefined && e.fold >= 1 && e.fold <= 9));
  // ecg_id 24: scp_codes {'NORM': 100.0, 'SR': 0.0} in the CSV, a 41-year-old man (sex 0), fold 3.
  const e24 = ds.entries.find((e) => e.id === "24")!;
  assert.deepEqual(e24.labels, ["NORM"]);
  assert.equal(e24.fold, 3);
  assert.equal(e24.sex, "M");
  assert.equal(e24.age, 41);
  const rec = await ds.read(e24);
  assert.equal(rec.samples, 1000);
  assert.equal(rec.fs, 100);
  // Statements with diagnostic != 1 (SR, rhythm) never become labels; some records have none.
  assert.ok(ds.entries.every((e) => e.labels.every((l) => ds.classes.includes(l))));
  // The records folder itself is recognised too.
  assert.equal((await openDataset(join(root, "records100"))).entries.length, onDisk);
  // This subset has no records500 folder: asking for 500 Hz lists nothing rather than failing.
  assert.equal((await openDataset(root, { rate: 500 })).entries.length, 0);
});

test("LUDB: 150 records with sex, age and findings; CinC 2021: SNOMED codes from # Dx", async () => {
  const ludb = await openDataset(sharedData("ludb"));
  assert.equal(ludb.kind, "ludb");
  assert.equal(ludb.entries.length, 150);
  const one = ludb.entries.find((e) => e.id === "1")!;
  assert.equal(one.sex, "F");
  assert.equal(one.age, 51);
  assert.ok(one.labels.includes("Sinus bradycardia"));
  const cinc = await openDataset(sharedData("cinc2021"));
  assert.equal(cinc.kind, "cinc2021");
  assert.equal(cinc.entries.length, 50);
  const e = cinc.entries.find((x) => x.id === "E07500")!;
  assert.deepEqual(e.labels, ["67741000119109", "426177001"]);
  assert.equal(e.age, 78);
  assert.equal(e.sex, "M");
  assert.equal((await cinc.read(e)).samples, 5000);
});

test("plain WFDB folder lists readable records only", async () => {
  const dir = mkdtempSync(join(tmpdir(), "wfdb-ds-"));
  const src = readRecord(join(sharedData("wfdb-samples"), "test01_00s"));
  writeRecord(dir, { ...src, name: "a" });
  writeRecord(join(dir, "sub"), { ...src, name: "b" });
  writeFileSync(join(dir, "orphan.hea"), "orphan 1 500 10\norphan.dat 16 200 16 0 0 0 0 I\n");
  const ds = await openDataset(dir);
  assert.equal(ds.kind, "wfdb");
  assert.deepEqual(
    ds.entries.map((e) => e.id),
    ["a", join("sub", "b")],
  );
  assert.deepEqual((await ds.read(ds.entries[1])).signal, readRecord(join(dir, "sub", "b")).signal);
});

test("CODE-15%: exams.csv + exams_part*.hdf5 read lazily, row by row and in batches", async () => {
  await h5wasm.ready;
  const dir = mkdtempSync(join(tmpdir(), "code15-"));
  const n = 4096;
  const value = (exam: number, i: number, l: number): number =>
    exam * 0.001 + l * 0.1 + Math.sin(i / 50);
  const parts = [
    [11, 12, 13, 0],
    [21, 22, 0],
  ];
  parts.forEach((ids, p) => {
    const data = new Float32Array(ids.length * n * 12);
    ids.forEach((id, r) => {
      if (id === 0) return;
      for (let i = 0; i < n; i++)
        for (let l = 0; l < 12; l++) data[(r * n + i) * 12 + l] = value(id, i, l);
    });
    const f = new h5wasm.File(join(dir, `exams_part${p}.hdf5`), "w");
    f.create_dataset({ name: "tracings", data, shape: [ids.length, n, 12] });
    f.create_dataset({ name: "exam_id", data: new Int32Array(ids) });
    f.close();
  });
  writeFileSync(
    join(dir, "exams.csv"),
    [
      "exam_id,age,is_male,nn_predicted_age,1dAVb,RBBB,LBBB,SB,ST,AF,patient_id,death,timey,normal_ecg,trace_file",
      "11,50,True,51.2,False,True,False,False,False,False,1,False,,False,exams_part0.hdf5",
      "12,61,False,60.0,False,False,False,False,False,True,2,,,False,exams_part0.hdf5",
      "13,70,True,69.0,True,False,False,True,False,False,3,,,False,exams_part0.hdf5",
      "21,40,False,41.0,False,False,False,False,False,False,4,,,True,exams_part1.hdf5",
      "22,45,False,44.0,False,False,True,False,False,False,5,,,False,exams_part1.hdf5",
      "99,45,False,44.0,False,False,True,False,False,False,6,,,False,exams_part9.hdf5",
    ].join("\n"),
  );
  const ds = await openDataset(dir);
  try {
    assert.equal(ds.kind, "code15");
    assert.deepEqual(
      ds.entries.map((e) => [e.id, e.labels, e.sex, e.age]),
      [
        ["11", ["RBBB"], "M", 50],
        ["12", ["AF"], "F", 61],
        ["13", ["1dAVb", "SB"], "M", 70],
        ["21", [], "F", 40],
        ["22", ["LBBB"], "F", 45],
      ],
    );
    const r = await ds.read(ds.entries[4]);
    assert.equal(r.fs, 400);
    assert.equal(r.samples, n);
    assert.equal(r.leads[3], "aVR");
    for (const [i, l] of [
      [0, 0],
      [123, 5],
      [4095, 11],
    ]) {
      assert.equal(r.signal[l * n + i], Math.fround(value(22, i, l)));
    }
    const batch = await ds.readBatch([ds.entries[2], ds.entries[0], ds.entries[3], ds.entries[1]]);
    assert.deepEqual(
      batch.map((b) => b.name),
      ["13", "11", "21", "12"],
    );
    assert.equal(batch[0].signal[7 * n + 9], Math.fround(value(13, 9, 7)));
  } finally {
    ds.close();
  }
  // A corrupt HDF5 part is a one-line format error.
  const bad = mkdtempSync(join(tmpdir(), "code15-bad-"));
  writeFileSync(join(bad, "exams_part0.hdf5"), "not hdf5");
  writeFileSync(join(bad, "exams.csv"), readFileSync(join(dir, "exams.csv")));
  mkdirSync(join(bad, "x"));
  await assert.rejects(openDataset(bad), /exams_part0\.hdf5: not a readable HDF5 file/);
});

test("PTB-XL layout at a rate other than 100/500 Hz (synthetic records250) is listed", async () => {
  const { writeSyntheticDataset } = await import("../../src/signal/synth-dataset.js");
  const dir = mkdtempSync(join(tmpdir(), "ecg-tlc-s250-"));
  await writeSyntheticDataset(dir, { n: 6, seed: 3, fs: 250, seconds: 2 });
  const ds = await openDataset(dir);
  assert.equal(ds.entries.length, 6);
  const rec = await ds.read(ds.entries[0]);
  assert.equal(rec.fs, 250);
  assert.equal(rec.samples, 500);
  ds.close();
});
