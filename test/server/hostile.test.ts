/**
 * The explorer against hostile and careless clients: pages of other origins, slow and stalled
 * bodies, refused uploads that must still hear their 503, multipart bodies of countless parts,
 * headers that claim what no ECG holds, and a signal too long to send. Loopback only, bounded in
 * count and time.
 */
import { strict as assert } from "node:assert";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:http";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { writeRecord } from "../../src/io/writer.js";
import { startExplorer, type ExplorerServer } from "../../src/server/app.js";
import { STANDARD_LEADS, type EcgRecord } from "../../src/types.js";
import { ROOT } from "../data.js";
import { fakeExplainer, fakeRecord } from "./fake.js";

type Fake = ReturnType<typeof fakeExplainer>;

/** A request with any headers; resolves with the status (0 when no answer within `timeoutMs`). */
function ask(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: Buffer } = {},
  timeoutMs = 5000,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = request(url, { method: opts.method ?? "GET", headers: opts.headers });
    const timer = setTimeout(() => {
      req.destroy();
      resolve({ status: 0, body: "" });
    }, timeoutMs);
    req.on("response", (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    req.on("error", (e) => {
      clearTimeout(timer);
      resolve({ status: -1, body: String(e) });
    });
    req.end(opts.body);
  });
}

/** A multipart body of the given parts (file parts when a filename is given). */
function multipart(parts: { name: string; filename?: string; data: Buffer | string }[]): {
  body: Buffer;
  type: string;
} {
  const b = "hostileboundary7";
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const disp = `form-data; name="${p.name}"${p.filename ? `; filename="${p.filename}"` : ""}`;
    chunks.push(Buffer.from(`--${b}\r\nContent-Disposition: ${disp}\r\n\r\n`));
    chunks.push(Buffer.isBuffer(p.data) ? p.data : Buffer.from(p.data));
    chunks.push(Buffer.from("\r\n"));
  }
  chunks.push(Buffer.from(`--${b}--\r\n`));
  return { body: Buffer.concat(chunks), type: `multipart/form-data; boundary=${b}` };
}

function csvUpload(rows = 1000): { body: Buffer; type: string } {
  const lines = ["time,I,II"];
  for (let i = 0; i < rows; i++) lines.push(`${i / 100},${Math.sin(i / 10)},${Math.cos(i / 10)}`);
  return multipart([
    { name: "file", filename: "rec05.csv", data: lines.join("\n") },
    { name: "fs", data: "100" },
  ]);
}

/** Health latency (ms) right now. */
async function healthMs(url: string): Promise<number> {
  const t0 = performance.now();
  const r = await ask(url + "api/health");
  assert.equal(r.status, 200);
  return performance.now() - t0;
}

/**
 * A raw client that sends its request line, headers and the first `sent` bytes of a body it says
 * is `length` long, then one byte every `everyMs` (0: nothing more); resolves with the status line
 * the server answers, or "" if none within `timeoutMs`.
 */
function slowClient(
  port: number,
  o: { headers?: string; sent?: number; length?: number; everyMs?: number; chunked?: boolean },
  timeoutMs: number,
): Promise<{ status: string; ms: number }> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const s = connect(port, "127.0.0.1");
    let got = "";
    let trickle: NodeJS.Timeout | undefined;
    const done = () => {
      clearInterval(trickle);
      clearTimeout(timer);
      s.destroy();
      resolve({ status: got.split("\r\n")[0], ms: performance.now() - t0 });
    };
    const timer = setTimeout(done, timeoutMs);
    s.on("data", (d) => {
      got += d.toString("latin1");
      if (got.includes("\r\n\r\n")) done();
    });
    s.on("error", done);
    s.on("close", done);
    s.on("connect", () => {
      if (o.headers !== undefined) {
        s.write(o.headers); // headers that never end
        return;
      }
      const framing = o.chunked
        ? "Transfer-Encoding: chunked\r\n"
        : `Content-Length: ${o.length ?? 100_000}\r\n`;
      s.write(
        `POST /api/explain HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n` +
          `Content-Type: multipart/form-data; boundary=b\r\n${framing}\r\n`,
      );
      const first = Buffer.alloc(o.sent ?? 0, 0x61);
      if (first.length) s.write(o.chunked ? `${first.length.toString(16)}\r\n${first}\r\n` : first);
      if (o.everyMs) {
        trickle = setInterval(() => {
          if (!s.destroyed) s.write(o.chunked ? "1\r\nx\r\n" : "x");
        }, o.everyMs);
      }
    });
  });
}

describe("hostile clients", { timeout: 120_000 }, () => {
  let app: ExplorerServer;
  let ex: Fake;
  let port: number;
  before(async () => {
    ex = fakeExplainer();
    app = await startExplorer({
      explainer: ex,
      port: 0,
      index: false,
      maxUploads: 2,
      bodyDeadlineMs: 1500,
    });
    port = Number(new URL(app.url).port);
  });
  after(() => app.close());

  test("pages of other origins are refused (403) on every API route, before any work", async () => {
    const foreign: Record<string, string>[] = [
      { origin: "http://evil.example" },
      { origin: "null" },
      { origin: "http://localhost:1" },
      { origin: `https://127.0.0.1:${port}` },
      { origin: "file://" },
      { origin: "http://127.0.0.1.evil.example" },
      { "sec-fetch-site": "cross-site" },
      { "sec-fetch-site": "same-site" },
    ];
    const csv = csvUpload();
    const routes = [
      { method: "POST", path: "api/explain", body: csv.body, type: csv.type },
      { method: "POST", path: "api/gradcam", body: csv.body, type: csv.type },
      { method: "GET", path: "api/records/rec01/explanation" },
      { method: "GET", path: "api/records/rec01/gradcam" },
      { method: "GET", path: "api/records" },
    ];
    const calls = ex.calls + ex.gradcamCalls;
    for (const h of foreign) {
      for (const r of routes) {
        const headers: Record<string, string> = { ...h };
        if (r.type) headers["content-type"] = r.type;
        const res = await ask(app.url + r.path, { method: r.method, headers, body: r.body });
        assert.equal(res.status, 403, `${r.method} /${r.path} ${JSON.stringify(h)}: ${res.body}`);
        assert.match(JSON.parse(res.body).error, /^cross-origin request refused/);
      }
    }
    assert.equal(ex.calls + ex.gradcamCalls, calls, "no explanation for a foreign page");
    // The page's own origin, a typed address and tools without Origin are served.
    const own: Record<string, string>[] = [
      { origin: `http://127.0.0.1:${port}` },
      { "sec-fetch-site": "same-origin" },
      { "sec-fetch-site": "none" },
      {},
    ];
    for (const h of own) {
      const headers = { ...h, "content-type": csv.type };
      const res = await ask(app.url + "api/explain", { method: "POST", headers, body: csv.body });
      assert.equal(res.status, 200, `${JSON.stringify(h)}: ${res.body}`);
    }
  });

  test("slow and stalled clients get 408 at the deadline and free their slot", async () => {
    const ways = [
      { everyMs: 100 }, // one byte every 100 ms
      { sent: 5000, everyMs: 0 }, // a part of the body, then nothing
      { everyMs: 0 }, // a length, no body
      { chunked: true, everyMs: 100 }, // chunked, one byte a chunk
      { headers: `POST /api/explain HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nX-Slow: ` },
    ];
    const pending = ways.map((w) => slowClient(port, w, 8000));
    // while they trickle the server answers at once
    await new Promise((r) => setTimeout(r, 300));
    for (let i = 0; i < 5; i++) assert.ok((await healthMs(app.url)) < 200);
    const answers = await Promise.all(pending);
    for (const [i, a] of answers.entries()) {
      assert.match(a.status, /^HTTP\/1\.1 408/, `way ${i}: '${a.status}' after ${a.ms} ms`);
      assert.ok(a.ms < 4000, `way ${i}: 408 after ${a.ms.toFixed(0)} ms`);
    }
    // the slots are free again
    const csv = csvUpload();
    const res = await ask(app.url + "api/explain", {
      method: "POST",
      headers: { "content-type": csv.type },
      body: csv.body,
    });
    assert.equal(res.status, 200, res.body);
  });

  test("uploads refused while the slots are taken receive their 503 (no broken pipe)", async () => {
    // two tricklers take both slots for the deadline
    const holders = [0, 1].map(() => slowClient(port, { everyMs: 200 }, 8000));
    await new Promise((r) => setTimeout(r, 200));
    const big = multipart([
      { name: "file", filename: "big.csv", data: Buffer.alloc(2_000_000, "1,2\n") },
      { name: "fs", data: "100" },
    ]);
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () =>
        fetch(app.url + "api/explain", {
          method: "POST",
          body: new Uint8Array(big.body),
          headers: { "content-type": big.type },
        }).then(async (r) => ({ status: r.status, body: await r.text() })),
      ),
    );
    const statuses = results.map((r) =>
      r.status === "fulfilled" ? r.value.status : String(r.reason),
    );
    assert.deepEqual(statuses, Array(20).fill(503));
    for (const r of results) {
      if (r.status === "fulfilled")
        assert.match(JSON.parse(r.value.body).error, /^busy: 2 uploads/);
    }
    await Promise.all(holders);
  });

  test("a refused upload sent at a steady pace hears its 503 after its last byte", async () => {
    const holders = [0, 1].map(() => slowClient(port, { everyMs: 200 }, 8000));
    await new Promise((r) => setTimeout(r, 200));
    const { body, type } = csvUpload(40_000);
    const outcome = await new Promise<{ answeredAt: number; sentAt: number; error: string }>(
      (resolve) => {
        const s = connect(port, "127.0.0.1");
        let sentAt = -1;
        let answeredAt = -1;
        let error = "";
        s.on("error", (e: NodeJS.ErrnoException) => (error ||= e.code ?? e.message));
        s.on("data", (d) => {
          if (answeredAt < 0 && d.toString("latin1").startsWith("HTTP/1.1 503")) {
            answeredAt = performance.now();
          }
        });
        s.on("close", () => resolve({ answeredAt, sentAt, error }));
        s.on("connect", async () => {
          s.write(
            `POST /api/explain HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n` +
              `Content-Type: ${type}\r\nContent-Length: ${body.length}\r\n\r\n`,
          );
          // 64 kB every 5 ms: a client on a slower link than loopback
          for (let at = 0; at < body.length && !s.destroyed; at += 65_536) {
            if (at + 65_536 >= body.length) sentAt = performance.now();
            s.write(body.subarray(at, at + 65_536));
            await new Promise((r) => setTimeout(r, 5));
          }
          setTimeout(() => s.end(), 500);
        });
      },
    );
    await Promise.all(holders);
    assert.equal(outcome.error, "", "the client could send its whole body");
    assert.ok(outcome.sentAt > 0 && outcome.answeredAt > 0, JSON.stringify(outcome));
    assert.ok(outcome.answeredAt >= outcome.sentAt, "503 answered before the body was read");
  });

  test("multipart bodies of countless parts are refused fast, the server answering", async () => {
    for (const n of [65, 1000, 150_000]) {
      const parts = Array.from({ length: n }, () => ({ name: "x", data: "" }));
      const { body, type } = multipart(parts);
      const t0 = performance.now();
      const answer = ask(app.url + "api/explain", {
        method: "POST",
        headers: { "content-type": type },
        body,
      });
      const h = await healthMs(app.url);
      const res = await answer;
      assert.equal(res.status, 400, res.body);
      assert.match(JSON.parse(res.body).error, /more than 64 parts/);
      assert.ok(performance.now() - t0 < 1500, `${n} parts: ${performance.now() - t0} ms`);
      assert.ok(h < 200, `health took ${h} ms beside ${n} parts`);
    }
  });

  test("headers claiming what no ECG holds are 400s in one short line; odd valid ones read", async () => {
    const post = async (hea: string, dat?: Buffer, name = "r") => {
      const parts = [{ name: "files", filename: `${name}.hea`, data: hea }];
      if (dat) parts.push({ name: "files", filename: `${name}.dat`, data: dat as never });
      const { body, type } = multipart(parts);
      const t0 = performance.now();
      const res = await ask(app.url + "api/explain", {
        method: "POST",
        headers: { "content-type": type },
        body,
      });
      return { ...res, ms: performance.now() - t0 };
    };
    const line = (n: number) => `r.dat 16 200 16 0 0 0 0 L${n}`;
    const dat = Buffer.alloc(2 * 1000 * 12);
    const twelve = Array.from({ length: 12 }, (_, i) => line(i)).join("\n");
    const hostile: [string, RegExp][] = [
      [`r 12 1e300 1000\n${twelve}\n`, /sampling frequency/],
      [`r 12 1e-300 1000\n${twelve}\n`, /sampling frequency/],
      [`r 12 0.01 1000\n${twelve}\n`, /sampling frequency/],
      [`r 12 0.002 1000\n${twelve}\n`, /sampling frequency/],
      [`r 12 5e5 1000\n${twelve}\n`, /sampling frequency/],
      [`r 99999 500 1000\n${twelve}\n`, /number of signals/],
      [
        `r 3 500 20000000\n~ 0 200 16 0 0 0 0 I\n~ 0 200 16 0 0 0 0 II\n~ 0 200 16 0 0 0 0 V1\n`,
        /in no signal file|more than the explorer reads from an upload/,
      ],
      [`r 12 500 99999999999\n${twelve}\n`, /implausible number of samples/],
      [`r/150000 12 500\n`, /multi-segment/],
    ];
    for (const [hea, pattern] of hostile) {
      const res = await post(hea, dat);
      const what = `${hea.slice(0, 30)}: ${res.status} ${res.body.slice(0, 200)}`;
      assert.ok(res.status === 400 || res.status === 413, what);
      const error = JSON.parse(res.body).error as string;
      assert.match(error, pattern);
      assert.ok(error.length < 300 && !error.includes("\n"), error.slice(0, 300));
      assert.ok(!error.includes("ecg-tlc-upload-"), error);
      assert.ok(res.ms < 1000, `${hea.slice(0, 30)}: ${res.ms} ms`);
    }
    // The same claims through a CSV's rate field.
    for (const fs of ["1e300", "1e-300", "0.002", "0.5", "NaN", "-100", "2e5"]) {
      const { body, type } = multipart([
        { name: "file", filename: "rec05.csv", data: "I,II\n1,2\n3,4\n" },
        { name: "fs", data: fs },
      ]);
      const res = await ask(app.url + "api/explain", {
        method: "POST",
        headers: { "content-type": type },
        body,
      });
      assert.equal(res.status, 400, `fs ${fs}: ${res.body}`);
      assert.match(JSON.parse(res.body).error, /^fs: expected a sampling rate in Hz between 1 and/);
    }
    // A CSV of more columns than any ECG has leads: refused at its first line.
    for (const [cols, sep] of [
      [1025, ","],
      [5_000_000, ","],
      [100_000, ";"],
    ] as const) {
      const { body, type } = multipart([
        { name: "file", filename: "wide.csv", data: Array(cols).fill("1").join(sep) + "\n" },
        { name: "fs", data: "500" },
      ]);
      const t0 = performance.now();
      const res = await ask(app.url + "api/explain", {
        method: "POST",
        headers: { "content-type": type },
        body,
      });
      assert.equal(res.status, 400, res.body.slice(0, 200));
      assert.match(JSON.parse(res.body).error, /^wide\.csv: more than 1024 columns/);
      assert.ok(performance.now() - t0 < 2000, `${cols} columns: ${performance.now() - t0} ms`);
    }
    // A byte-order mark and a record name with a '/' are no reason to refuse.
    for (const hea of [`\ufeffr 12 100 1000\n${twelve}\n`, `dir/r 12 100 1000\n${twelve}\n`]) {
      const res = await post(hea, dat);
      assert.equal(res.status, 200, res.body.slice(0, 200));
    }
  });

  test("a FLAC upload decodes to no more than its header says, within the upload bound", async () => {
    const src = join(ROOT, "..", "shared", "data", "wfdb-samples");
    const hea = readFileSync(join(src, "mixedsignals.hea"), "latin1");
    const files = ["mixedsignals_e.dat", "mixedsignals_p.dat", "mixedsignals_r.dat"].map((f) => ({
      name: "files",
      filename: f,
      data: readFileSync(join(src, f)),
    }));
    const send = async (text: string) => {
      const { body, type } = multipart([
        { name: "files", filename: "mixedsignals.hea", data: text },
        ...files,
      ]);
      return ask(app.url + "api/explain", {
        method: "POST",
        headers: { "content-type": type },
        body,
      });
    };
    assert.equal((await send(hea)).status, 200);
    for (const [claim, status, pattern] of [
      [" 100", 400, /FLAC stream holds/],
      [" 33554432", 413, /more than the explorer reads from an upload/],
      ["", 400, /needs the number of samples/],
    ] as const) {
      const res = await send(hea.replace(" 14400", claim));
      assert.equal(res.status, status, res.body);
      assert.match(JSON.parse(res.body).error, pattern);
    }
  });

  test("a signal too long to send is refused (413), a chosen segment is sent", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ecg-tlc-hostile-"));
    try {
      // 100 s of 12 leads at 1 kHz: 1.2 M values, beyond what is drawn
      const rec: EcgRecord = { ...fakeRecord("rec05", 1000, 100), leads: [...STANDARD_LEADS] };
      const base = writeRecord(dir, rec);
      const files = [
        { name: "files", filename: "rec05.hea", data: readFileSync(base + ".hea") },
        { name: "files", filename: "rec05.dat", data: readFileSync(base + ".dat") },
      ];
      let { body, type } = multipart(files);
      const t0 = performance.now();
      let res = await ask(app.url + "api/explain?signal=1", {
        method: "POST",
        headers: { "content-type": type },
        body,
      });
      assert.equal(res.status, 413, res.body.slice(0, 200));
      assert.match(JSON.parse(res.body).error, /too long to send.*from\/to/);
      assert.ok(performance.now() - t0 < 3000);
      ({ body, type } = multipart([
        ...files,
        { name: "from", data: "40" },
        { name: "to", data: "50" },
      ]));
      res = await ask(app.url + "api/explain?signal=1", {
        method: "POST",
        headers: { "content-type": type },
        body,
      });
      assert.equal(res.status, 200, res.body.slice(0, 200));
      const e = JSON.parse(res.body) as { samples: number; signal: { data: number[][] } };
      assert.equal(e.samples, 10_000);
      assert.equal(e.signal.data[0].length, 10_000);
      ({ body, type } = multipart([
        ...files,
        { name: "from", data: "95" },
        { name: "to", data: "105" },
      ]));
      res = await ask(app.url + "api/explain", {
        method: "POST",
        headers: { "content-type": type },
        body,
      });
      assert.equal(res.status, 400);
      assert.match(JSON.parse(res.body).error, /not inside it/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
