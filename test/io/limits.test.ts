/**
 * Hostile headers: claims of rates, lengths, signals and segments no ECG file holds are refused
 * fast, with one short line naming the file, before anything large is allocated; odd but valid
 * headers (a byte-order mark) still read.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { EcgFormatError } from "../../src/errors.js";
import { RECORD_LIMITS } from "../../src/io/limits.js";
import { readRecord } from "../../src/io/record.js";
import { ROOT } from "../data.js";

const dir = mkdtempSync(join(tmpdir(), "ecg-tlc-limits-"));
after(() => rmSync(dir, { recursive: true, force: true }));

let serial = 0;
/** Writes a header ("$R" stands for the record's name) (and a format-16 signal file of `samples` x `nsig` zeros when asked). */
function record(header: string, signal?: { samples: number; nsig: number }): string {
  const name = `r${serial++}`;
  const base = join(dir, name);
  writeFileSync(`${base}.hea`, header.replaceAll("$R", name));
  if (signal) writeFileSync(`${base}.dat`, Buffer.alloc(2 * signal.samples * signal.nsig));
  return base;
}

/** Reading `base` fails with one short EcgFormatError line naming the header, within `ms`. */
function refusedFast(base: string, pattern: RegExp, ms = 500): void {
  const t0 = performance.now();
  assert.throws(
    () => readRecord(base),
    (err: unknown) => {
      assert.ok(err instanceof EcgFormatError, String(err));
      assert.match(err.message, pattern);
      assert.ok(err.message.includes(base), err.message);
      assert.ok(!err.message.includes("\n") && err.message.length < 400, err.message.slice(0, 500));
      return true;
    },
  );
  const t = performance.now() - t0;
  assert.ok(t < ms, `refused after ${t.toFixed(0)} ms`);
}

const signalLines = (file: string, n: number, fmt = "16") =>
  Array.from({ length: n }, (_, i) => `${file} ${fmt} 200 16 0 0 0 0 L${i}`).join("\n");

test("sampling rates no ECG has are refused at the header, whatever their form", () => {
  for (const fs of ["0.01", "0.002", "0.5", "1e-300", "1e300", "0", "-5", "2e5", "1e6", "nan"]) {
    const base = record(`$R 1 ${fs} 100\n$R.dat 16 200 16 0 0 0 0 I\n`, { samples: 100, nsig: 1 });
    refusedFast(base, /sampling frequency|malformed record line/);
  }
  // The edges and the corpus' own odd rates read: 1 Hz numerics, 15.5 Hz frames, 48 kHz, 100 kHz.
  for (const fs of ["1", "15.5", "48000", "100000", "62.4725"]) {
    const base = record(`$R 1 ${fs} 10\n$R.dat 16 200 16 0 0 0 0 I\n`, { samples: 10, nsig: 1 });
    const rec = readRecord(base);
    assert.equal(rec.fs, Number(fs));
    assert.equal(rec.samples, 10);
  }
});

test("lengths no file backs (null signals, gap segments) are refused before the NaN fill", () => {
  for (const [nsig, samples] of [
    [1, 4e7],
    [12, 2e7],
    [3, 2e7],
    [200, 2e6],
  ]) {
    const lines = Array.from({ length: nsig }, (_, i) => `~ 0 200 16 0 0 0 0 L${i}`).join("\n");
    refusedFast(record(`r ${nsig} 500 ${samples}\n${lines}\n`), /in no signal file|too large/);
  }
  // A file that holds fewer frames than the header promises: refused before the read.
  refusedFast(
    record(`$R 2 500 20000000\n$R.dat 16 200 16 0 0 0 0 I\n$R.dat 16 200 16 0 0 0 0 II\n`, {
      samples: 100,
      nsig: 2,
    }),
    /truncated signal file/,
  );
  // A multi-segment record of gaps: a long "~" segment is no cheaper.
  const seg = record(`$R 2 500 100\n$R.dat 16 200 16 0 0 0 0 I\n$R.dat 16 200 16 0 0 0 0 II\n`, {
    samples: 100,
    nsig: 2,
  });
  const segName = seg.split("/").pop()!;
  refusedFast(record(`m/2 2 500 40000100\n${segName} 100\n~ 40000000\n`), /in no signal file/);
  // Implausible lengths outright.
  refusedFast(
    record(`r 1 500 99999999999\n~ 0 200 16 0 0 0 0 I\n`),
    /implausible number of samples/,
  );
});

test("signal and segment counts beyond what ECGs hold are refused with a short line", () => {
  for (const n of [RECORD_LIMITS.maxSignals + 1, 99_999, 5_000_000]) {
    refusedFast(record(`r ${n} 500 10\n${signalLines("$R.dat", 3)}\n`), /number of signals/);
  }
  for (const n of [RECORD_LIMITS.maxSegments + 1, 150_000]) {
    refusedFast(record(`m/${n} 1 500\n~ 10\n`), /number of segments/);
  }
  // Within the limit, the many-signal header reads and a missing lead's message stays short.
  const base = record(`$R 1000 500 4\n${signalLines("$R.dat", 1000)}\n`, {
    samples: 4,
    nsig: 1000,
  });
  assert.equal(readRecord(base).leads.length, 1000);
  assert.throws(
    () => readRecord(base, { channels: ["nope"] }),
    (e: Error) => e.message.length < 400 && /1000 in all/.test(e.message),
  );
  // Samples per frame beyond any ECG's.
  refusedFast(record(`r 1 500 4\n$R.dat 16x5000 200 16 0 0 0 0 I\n`), /samples per frame/);
});

test("a byte-order mark does not hide a valid header; a '/' in a name is not a segment count", () => {
  for (const bom of ["\ufeff", "\xef\xbb\xbf"]) {
    const base = record("");
    const name = base.split("/").pop()!;
    const text = `${bom}${name} 1 500 3\n${name}.dat 16 200 16 0 0 0 0 II\n`;
    writeFileSync(
      `${base}.hea`,
      bom === "\ufeff" ? Buffer.from(text, "utf8") : Buffer.from(text, "latin1"),
    );
    writeFileSync(`${base}.dat`, Buffer.from([1, 0, 2, 0, 3, 0]));
    const rec = readRecord(base);
    assert.deepEqual(Array.from(rec.signal), [0.005, 0.01, 0.015].map(Math.fround));
  }
  for (const name of ["a/b", "dir/rec", "x/3y", "/abs"]) {
    refusedFast(record(`${name} 1 500 3\nx.dat 16 200 16 0 0 0 0 I\n`), /not a plain name/);
  }
});

test("a compressed (FLAC) file may not decode to more than its header says", () => {
  const src = join(ROOT, "..", "shared", "data", "wfdb-samples");
  const hea = readFileSync(join(src, "mixedsignals.hea"), "latin1");
  for (const f of ["mixedsignals_e.dat", "mixedsignals_p.dat", "mixedsignals_r.dat"]) {
    copyFileSync(join(src, f), join(dir, f));
  }
  const at = (text: string) => {
    const base = join(dir, `mixed${serial++}`);
    writeFileSync(`${base}.hea`, text);
    return base;
  };
  // As published it reads; claiming 100 frames, the 14,400 its files hold are refused.
  assert.equal(readRecord(at(hea)).samples, 14400);
  assert.throws(
    () => readRecord(at(hea.replace(" 14400", " 100"))),
    /mixedsignals_e\.dat: FLAC stream holds 57600 samples per signal, the header 400$/,
  );
});

test("a header too large for any ECG is refused by size", () => {
  const base = record(`r 1 500 3\n$R.dat 16 200 16 0 0 0 0 I\n${"# c\n".repeat(300_000)}`);
  refusedFast(base, /too large/);
});

test("the CLI answers hostile headers with one line and exit 1, fast", () => {
  const main = join(ROOT, "dist", "src", "cli", "main.js");
  const cases = [
    record(`$R 1 1e300 10\n$R.dat 16 200 16 0 0 0 0 I\n`, { samples: 10, nsig: 1 }),
    record(`$R 1 1e-300 10\n$R.dat 16 200 16 0 0 0 0 I\n`, { samples: 10, nsig: 1 }),
    record(`$R 12 0.002 1000\n${signalLines("$R.dat", 12)}\n`, { samples: 1000, nsig: 12 }),
    record(`r 99999 500 10\n${signalLines("$R.dat", 2)}\n`),
    record(`r 3 500 20000000\n${signalLines("~", 3)}\n`),
  ];
  for (const base of cases) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [main, "read", base], {
      encoding: "utf8",
      timeout: 30_000,
    });
    const t = performance.now() - t0;
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr.slice(0, 400));
    assert.ok(r.stderr.length < 400 && r.stderr.includes(base), r.stderr.slice(0, 400));
    assert.ok(t < 5000, `${base}: ${t.toFixed(0)} ms`);
  }
});
