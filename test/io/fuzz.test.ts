/**
 * Fuzzing: mutated real headers, signal files and annotation files must give either a valid record
 * or an EcgTlcError, never another exception and never a hang. Seeded, bounded in count and time.
 */
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { EcgTlcError } from "../../src/errors.js";
import { openDataset, parseAnnotations, parseHeader, readRecord } from "../../src/io/index.js";
import { sharedData } from "../data.js";

/** mulberry32: a small seeded PRNG so that every failure reproduces. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TOKENS = [
  "0",
  "-1",
  "1e9",
  "99999999999",
  "400000000",
  "NaN",
  "x",
  "",
  "16",
  "212",
  "311",
  "+",
  ":",
  "/",
  "(",
  "#",
  "\n",
  "~",
  "16x0",
  "212:-3",
  "8+7",
];

function mutateText(text: string, r: () => number): string {
  const fields = text.split(/( |\n)/);
  const k = 1 + Math.floor(r() * 3);
  for (let j = 0; j < k; j++) {
    const i = Math.floor(r() * fields.length);
    const op = r();
    if (op < 0.5) fields[i] = TOKENS[Math.floor(r() * TOKENS.length)];
    else if (op < 0.7) fields.splice(i, 1);
    else if (op < 0.85) fields[i] = fields[i] + TOKENS[Math.floor(r() * TOKENS.length)];
    else fields[i] = String(Math.floor((r() - 0.5) * 2 ** (1 + Math.floor(r() * 40))));
  }
  return fields.join("");
}

function mutateBytes(bytes: Uint8Array, r: () => number): Uint8Array {
  const op = r();
  if (op < 0.35) return bytes.subarray(0, Math.floor(r() * bytes.length)); // truncate
  const out = new Uint8Array(bytes.length + (op > 0.9 ? 7 : 0));
  out.set(bytes);
  const flips = 1 + Math.floor(r() * 16);
  for (let j = 0; j < flips; j++) out[Math.floor(r() * out.length)] = Math.floor(r() * 256);
  return out;
}

function expectRecordOrTypedError(
  read: () => { signal: Float32Array; samples: number; leads: string[] },
  what: string,
): boolean {
  try {
    const rec = read();
    assert.equal(rec.signal.length, rec.samples * rec.leads.length, what);
    return true;
  } catch (err) {
    if (!(err instanceof EcgTlcError)) throw new Error(`${what}: ${String(err)}`, { cause: err });
    assert.ok(!err.message.includes("\n"), `${what}: multi-line message`);
    return false;
  }
}

const CASES: { name: string; files: string[] }[] = [
  { name: "test01_00s", files: ["test01_00s.dat"] },
  { name: "100_3chan", files: ["100_3chan.dat"] },
  {
    name: "binformats",
    files: [
      "binformats.d0",
      "binformats.d2",
      "binformats.d5",
      "binformats.d6",
      "binformats.d7",
      "binformats.d8",
    ],
  },
  { name: "310derive_3", files: ["310derive_3.dat"] },
  { name: "3000003_0003", files: ["3000003_0003.dat"] },
  {
    name: "mixedsignals",
    files: ["mixedsignals_e.dat", "mixedsignals_p.dat", "mixedsignals_r.dat"],
  },
];

test("fuzz: mutated headers and signal files read or fail with an EcgTlcError", () => {
  const src = sharedData("wfdb-samples");
  const dir = mkdtempSync(join(tmpdir(), "fuzz-"));
  const r = rng(20240611);
  const deadline = Date.now() + 15_000;
  let iterations = 0;
  let ok = 0;
  const cases = [
    ...CASES.map((c) => ({ ...c, dir: src })),
    { name: "E07500", files: ["E07500.mat"], dir: sharedData("cinc2021") },
  ];
  for (let it = 0; it < 400 && Date.now() < deadline; it++) {
    const c = cases[it % cases.length];
    const hea = readFileSync(join(c.dir, `${c.name}.hea`), "latin1");
    const mutateHeader = r() < 0.5;
    writeFileSync(join(dir, `${c.name}.hea`), mutateHeader ? mutateText(hea, r) : hea);
    for (const f of c.files) {
      const bytes = readFileSync(join(c.dir, f));
      if (!mutateHeader || r() < 0.3) writeFileSync(join(dir, f), mutateBytes(bytes, r));
      else copyFileSync(join(c.dir, f), join(dir, f));
    }
    const opts =
      r() < 0.3 ? { sampfrom: Math.floor(r() * 50), sampto: 50 + Math.floor(r() * 50) } : {};
    if (
      expectRecordOrTypedError(
        () => readRecord(join(dir, c.name), opts),
        `${c.name} iteration ${it}`,
      )
    )
      ok++;
    iterations++;
  }
  assert.ok(iterations >= 50, `only ${iterations} iterations in time`);
  if (process.env.FUZZ_DEBUG) console.log(iterations, ok);
  // Mutations keep some files valid (e.g. flipped sample bytes): both outcomes must occur.
  assert.ok(ok > 0 && ok < iterations, `${ok} of ${iterations} read`);
});

test("fuzz: header parser on mutated real headers", () => {
  const r = rng(7);
  const headers = [
    "100.hea",
    "s0010_re.hea",
    "drive02.hea",
    "binformats.hea",
    "mixedsignals.hea",
    "multi-segment/041s/041s.hea",
  ].map((h) => readFileSync(join(sharedData("wfdb-samples"), h), "latin1"));
  for (let it = 0; it < 2000; it++) {
    const text = mutateText(headers[it % headers.length], r);
    try {
      const h = parseHeader(text, "fuzz.hea");
      assert.ok(h.nsig >= 0 && h.fs > 0);
    } catch (err) {
      if (!(err instanceof EcgTlcError))
        throw new Error(`iteration ${it}: ${String(err)}`, { cause: err });
    }
  }
});

test("fuzz: annotation decoder on mutated 100.atr and LUDB files", () => {
  const r = rng(99);
  const files = [
    readFileSync(join(sharedData("wfdb-samples"), "100.atr")),
    readFileSync(join(sharedData("ludb", "data"), "1.ii")),
    readFileSync(join(sharedData("wfdb-samples"), "12726.anI")),
  ];
  const t0 = Date.now();
  for (let it = 0; it < 600; it++) {
    const bytes = mutateBytes(files[it % files.length], r);
    try {
      const anns = parseAnnotations(bytes, "fuzz.atr");
      assert.ok(anns.every((a) => Number.isFinite(a.sample)));
    } catch (err) {
      if (!(err instanceof EcgTlcError))
        throw new Error(`iteration ${it}: ${String(err)}`, { cause: err });
    }
  }
  assert.ok(Date.now() - t0 < 20_000);
});

test("fuzz: PTB-XL metadata (mutated CSV rows and scp_codes) loads or fails with an EcgTlcError", async () => {
  const src = sharedData("ptbxl");
  const text = readFileSync(join(src, "ptbxl_database.csv"), "utf8").split("\n");
  const head = text.slice(0, 400).join("\n");
  const scp = readFileSync(join(src, "scp_statements.csv"), "utf8");
  const r = rng(4242);
  let loaded = 0;
  for (let it = 0; it < 40; it++) {
    const dir = mkdtempSync(join(tmpdir(), "fuzz-ptbxl-"));
    symlinkSync(join(src, "records100"), join(dir, "records100"));
    const mutated = Buffer.from(mutateBytes(Buffer.from(head), r)).toString("utf8");
    writeFileSync(join(dir, "ptbxl_database.csv"), it % 4 === 0 ? mutateText(head, r) : mutated);
    writeFileSync(join(dir, "scp_statements.csv"), it % 5 === 0 ? mutateText(scp, r) : scp);
    try {
      const ds = await openDataset(dir);
      assert.ok(ds.entries.every((e) => e.labels.every((l) => ds.classes.includes(l))));
      loaded++;
    } catch (err) {
      if (!(err instanceof EcgTlcError))
        throw new Error(`iteration ${it}: ${String(err)}`, { cause: err });
    }
  }
  assert.ok(loaded > 0);
});
