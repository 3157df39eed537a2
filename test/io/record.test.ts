import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { EcgFormatError, NotFoundError, ParameterError } from "../../src/errors.js";
import { readHeader, readRecord } from "../../src/io/index.js";
import { sharedData } from "../data.js";

const samples = (name: string): string => join(sharedData("wfdb-samples"), name);
const lead = (r: { signal: Float32Array; samples: number }, i: number): Float32Array =>
  r.signal.subarray(i * r.samples, (i + 1) * r.samples);

test("MIT-BIH 100 (format 212): known first samples, length and checksums", () => {
  const r = readRecord(samples("100"));
  assert.equal(r.fs, 360);
  assert.equal(r.samples, 650000);
  assert.deepEqual(r.leads, ["MLII", "V5"]);
  // MIT-BIH 100 starts at MLII -0.145 mV, V5 -0.065 mV (gain 200, baseline 1024).
  assert.ok(Math.abs(r.signal[0] - -0.145) < 1e-6);
  assert.ok(Math.abs(lead(r, 1)[0] - -0.065) < 1e-6);
  // The header's checksums cover all 650000 samples of each signal.
  assert.deepEqual(r.warnings, []);
  assert.deepEqual(r.comments, ["unnecessary comment", "69 M 1085 1629 x1", "Aldomet, Inderal"]);
});

test("binformats: formats 8, 16, 61, 80, 160, 212, 310, 311, 24, 32 all match their checksums", () => {
  const r = readRecord(samples("binformats"));
  assert.equal(r.leads.length, 10);
  assert.equal(r.samples, 499);
  assert.deepEqual(r.warnings, []);
  // The first value of every signal is its header's initial value (digital = physical * 200).
  const init = [-2047, -32766, -32765, -124, -32763, -2042, -505, -504, -8388599, -2147483638];
  init.forEach((v, i) =>
    assert.ok(Math.abs(lead(r, i)[0] * 200 - v) <= Math.abs(v) * 1e-6, r.leads[i]),
  );
  // The same waveform in different byte layouts: formats 16 (little-endian), 61 (big-endian) and
  // 160 (offset binary) differ by their constant initial offsets (1 and 3 adu) at every sample, and
  // so do the two 10-bit packings 310 and 311 (1 adu, wrapping within the 1023 valid values: -512
  // is reserved for invalid samples).
  const digital = (s: number): number[] => Array.from(lead(r, s), (v) => Math.round(v * 200));
  const [f16, f61, f160, f310, f311] = [1, 2, 4, 6, 7].map(digital);
  assert.ok(f16.every((v, i) => f61[i] - v === 1 && f160[i] - v === 3));
  assert.ok(f310.every((v, i) => (f311[i] - v + 1023) % 1023 === 1));
});

test("FLAC formats (516): mixedsignals decodes with every checksum verified", () => {
  const r = readRecord(samples("mixedsignals"));
  assert.equal(r.samples, 14400);
  assert.deepEqual(r.leads, ["II", "III", "V", "ABP", "Pleth", "Resp"]);
  assert.deepEqual(r.warnings, []); // 3 FLAC files, 4 and 2 samples per frame, 6 checksums
  const abp = lead(r, 3).filter((v) => !Number.isNaN(v));
  assert.ok(abp.length > 14000 && abp.every((v) => v > 20 && v < 250)); // mmHg
  const part = readRecord(samples("mixedsignals"), {
    sampfrom: 5000,
    sampto: 5010,
    channels: ["Resp"],
  });
  assert.deepEqual(part.signal, lead(r, 5).slice(5000, 5010));
});

test("a corrupted checksum is a warning, not an error", () => {
  const dir = mkdtempSync(join(tmpdir(), "io-"));
  copyFileSync(samples("test01_00s.dat"), join(dir, "test01_00s.dat"));
  const hea = readFileSync(samples("test01_00s.hea"), "latin1").replace(
    " 941 0 ECG 2",
    " 942 0 ECG 2",
  );
  writeFileSync(join(dir, "test01_00s.hea"), hea);
  const r = readRecord(join(dir, "test01_00s"));
  assert.equal(r.warnings.length, 1);
  assert.match(r.warnings[0], /checksum mismatch for signal 1 'ECG 2'/);
});

test("sampfrom/sampto/channels give the same values as slicing a whole read", () => {
  for (const name of [
    "binformats",
    "100_3chan",
    "310derive",
    "311derive_3",
    "test01_00s_skewframe",
    "03700181",
  ]) {
    const whole = readRecord(samples(name));
    for (const [a, b] of [
      [0, 1],
      [1, 8],
      [7, 50],
      [whole.samples - 5, whole.samples],
    ]) {
      const chans = whole.leads.map((_, i) => i).reverse();
      const part = readRecord(samples(name), { sampfrom: a, sampto: b, channels: chans });
      assert.equal(part.samples, b - a);
      chans.forEach((c, j) =>
        assert.deepEqual(lead(part, j), lead(whole, c).slice(a, b), `${name} ${a}-${b} ${c}`),
      );
    }
  }
  const byName = readRecord(samples("100"), { channels: ["v5"], sampto: 10 });
  assert.deepEqual(byName.leads, ["V5"]);
  assert.throws(() => readRecord(samples("100"), { channels: ["V9"] }), ParameterError);
  assert.throws(() => readRecord(samples("100"), { sampto: 650001 }), ParameterError);
});

test("skew and multi-sample frames: test01_00s variants agree with the plain record", () => {
  const plain = readRecord(samples("test01_00s"));
  const skew = readRecord(samples("test01_00s_skew"));
  assert.deepEqual(skew.warnings, []);
  const n = plain.samples;
  // Signal 1 is skewed by 3 frames: sample i is stored in frame i + 3; the last 3 are missing.
  assert.deepEqual(lead(skew, 1).slice(0, n - 3), lead(plain, 1).slice(3));
  assert.ok(
    lead(skew, 1)
      .slice(n - 3)
      .every(Number.isNaN),
  );
  const frame = readRecord(samples("test01_00s_frame"));
  // ECG_2 takes 2 samples per frame (the plain record's signals 1 and 2), averaged.
  for (let i = 0; i < n; i += 97) {
    const mean = (lead(plain, 1)[i] + lead(plain, 2)[i]) / 2;
    assert.ok(Math.abs(lead(frame, 1)[i] - mean) < 1e-6);
    assert.equal(lead(frame, 2)[i], lead(plain, 3)[i]);
  }
});

test("records without a length and .mat records read like their full versions", () => {
  for (const [a, b] of [
    ["100-no-len", "100"],
    ["a103l-no-len", "a103l"],
  ]) {
    const x = readRecord(samples(a), { sampto: 5000 });
    const y = readRecord(samples(b), { sampto: 5000 });
    assert.deepEqual(x.signal, y.signal);
    assert.equal(readRecord(samples(a)).samples, readHeader(samples(b)).samples);
  }
  assert.deepEqual(readRecord(samples("a103l")).warnings, []);
});

test("multi-segment records: fixed layout concatenates, variable layout maps by name", () => {
  const one = readRecord(samples("v102s"));
  const three = readRecord(join(sharedData("wfdb-samples", "multi-segment", "fixed1"), "v102s"));
  assert.equal(three.samples, 3 * one.samples);
  for (let s = 0; s < 4; s++) {
    for (let k = 0; k < 3; k++) {
      assert.deepEqual(lead(three, s).slice(k * one.samples, (k + 1) * one.samples), lead(one, s));
    }
  }
  const dir = sharedData("wfdb-samples", "multi-segment", "041s");
  const whole = readRecord(join(dir, "041s"));
  const s2 = readRecord(join(dir, "041s02"));
  assert.deepEqual(lead(whole, 3).slice(1000), lead(s2, 3));
  const mid = readRecord(join(dir, "041s"), { sampfrom: 990, sampto: 1010, channels: ["ABP"] });
  assert.deepEqual(mid.signal, lead(whole, 3).slice(990, 1010));
  const v = readRecord(
    join(sharedData("wfdb-samples", "multi-segment", "s25047"), "s25047-2704-05-04-10-44"),
  );
  assert.deepEqual(v.leads, ["II", "V", "ABP"]);
  assert.ok(Number.isNaN(v.signal[0])); // the first segment is a gap ("~")
  assert.ok(Number.isFinite(lead(v, 0)[25740]));
});

test("every PTB-XL, LUDB and CinC 2021 record reads with matching checksums", () => {
  const ptb = sharedData("ptbxl", "records100");
  let count = 0;
  for (const sub of readdirSync(ptb)) {
    for (const f of readdirSync(join(ptb, sub))) {
      if (!f.endsWith(".hea")) continue;
      const r = readRecord(join(ptb, sub, f));
      assert.equal(r.samples, 1000);
      assert.equal(r.fs, 100);
      assert.deepEqual(r.warnings, [], f);
      count++;
    }
  }
  assert.equal(count, 1625);
  for (const line of readFileSync(sharedData("ludb", "RECORDS"), "utf8").trim().split("\n")) {
    const r = readRecord(join(sharedData("ludb"), line.trim()));
    assert.equal(r.samples, 5000);
    assert.deepEqual(r.warnings, [], line);
  }
  const cinc = sharedData("cinc2021");
  for (const f of readdirSync(cinc).filter((x) => x.endsWith(".hea"))) {
    const r = readRecord(join(cinc, f));
    assert.equal(r.leads.length, 12);
    assert.deepEqual(r.warnings, [], f);
  }
});

test("bad input: one typed error naming the file", () => {
  const dir = mkdtempSync(join(tmpdir(), "io-bad-"));
  const hea = readFileSync(samples("test01_00s.hea"), "latin1");
  const dat = readFileSync(samples("test01_00s.dat"));
  // missing signal file
  writeFileSync(join(dir, "nodat.hea"), hea.replaceAll("test01_00s.dat", "nodat.dat"));
  assert.throws(
    () => readRecord(join(dir, "nodat")),
    (e: Error) => e instanceof NotFoundError && /nodat\.dat/.test(e.message),
  );
  // truncated signal file
  writeFileSync(join(dir, "short.hea"), hea.replaceAll("test01_00s.dat", "short.dat"));
  writeFileSync(join(dir, "short.dat"), dat.subarray(0, 1000));
  assert.throws(
    () => readRecord(join(dir, "short")),
    (e: Error) => e instanceof EcgFormatError && /short\.dat: truncated/.test(e.message),
  );
  // a header promising far more samples than its file holds fails before allocating them
  writeFileSync(join(dir, "test01_00s.dat"), dat);
  writeFileSync(
    join(dir, "huge.hea"),
    hea.replace("test01_00s 4 500 4000", "test01_00s 4 500 400000000"),
  );
  assert.throws(
    () => readRecord(join(dir, "huge")),
    (e: Error) =>
      e instanceof EcgFormatError &&
      /test01_00s\.dat: truncated signal file: 4000 frames/.test(e.message),
  );
  // sampfrom/sampto read only the bytes they need: the first 100 frames of the short file are there
  const head = readRecord(join(dir, "short"), { sampto: 100 });
  assert.deepEqual(head.signal, readRecord(samples("test01_00s"), { sampto: 100 }).signal);
  // a FIFO in place of a header or a signal file must not block the reader
  if (spawnSync("mkfifo", [join(dir, "fifo.hea"), join(dir, "fifo.dat")]).status === 0) {
    assert.throws(
      () => readRecord(join(dir, "fifo")),
      /fifo\.hea: header file is not a regular file/,
    );
    writeFileSync(join(dir, "pipe.hea"), hea.replaceAll("test01_00s.dat", "fifo.dat"));
    assert.throws(
      () => readRecord(join(dir, "pipe")),
      /fifo\.dat: signal file is not a regular file/,
    );
  }
  // malformed header, unknown format, non-ECG file, missing header
  writeFileSync(join(dir, "bad.hea"), "this is not a header\n");
  assert.throws(
    () => readRecord(join(dir, "bad")),
    (e: Error) => e instanceof EcgFormatError && /bad\.hea: malformed record line/.test(e.message),
  );
  writeFileSync(join(dir, "fmt.hea"), hea.replaceAll(" 16 100/mV", " 99 100/mV"));
  assert.throws(() => readRecord(join(dir, "fmt")), /fmt\.hea: unsupported signal format 99/);
  writeFileSync(
    join(dir, "png.hea"),
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0]),
  );
  assert.throws(() => readRecord(join(dir, "png")), /png\.hea: not a WFDB header/);
  assert.throws(() => readRecord(join(dir, "absent")), NotFoundError);
  // NaN in a .mat signal file of type double
  const mat = Buffer.alloc(24 + 2 * 3 * 8);
  mat.writeInt32LE(0, 0); // MOPT 0: little-endian double
  mat.writeInt32LE(2, 4);
  mat.writeInt32LE(3, 8);
  mat.writeInt32LE(0, 12);
  mat.writeInt32LE(4, 16);
  mat.write("val\0", 20, "latin1");
  [1, 2, 3, NaN, 5, 6].forEach((v, i) => mat.writeDoubleLE(v, 24 + 8 * i));
  writeFileSync(join(dir, "nan.mat"), mat);
  writeFileSync(
    join(dir, "nan.hea"),
    "nan 2 500 3\nnan.mat 16x1+24 1000/mV 16 0 0 0 0 I\nnan.mat 16x1+24 1000/mV 16 0 0 0 0 II\n",
  );
  assert.throws(
    () => readRecord(join(dir, "nan")),
    (e: Error) =>
      e instanceof EcgFormatError && /nan\.mat: NaN in MATLAB matrix 'val'/.test(e.message),
  );
  const ok = readRecord(join(dir, "nan"), { sampto: 1 });
  assert.deepEqual([...ok.signal], [0.001, 0.002].map(Math.fround));
});
