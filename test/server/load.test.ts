/**
 * The explorer over the real engine under the mix an attacker or a busy lab makes at once: 100
 * concurrent record explanations, slow clients holding upload slots, and a stream of bad uploads
 * (headers claiming what no ECG holds, countless parts, a recording longer than the network's
 * window, a large CSV). Health must answer within 200 ms throughout and memory stay within the
 * bound the server states. Loopback only, bounded in count and time.
 */
import { strict as assert } from "node:assert";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:http";
import { connect } from "node:net";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { Worker } from "node:worker_threads";
import { ROOT } from "../data.js";

function post(url: string, body: Buffer, type: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(url, {
      method: "POST",
      headers: { "content-type": type, "content-length": body.length },
    });
    req.on("response", (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", (e) => {
      process.stderr.write(`upload error: ${String(e)} (${body.length} bytes)\n`);
      resolve(-1);
    });
    req.end(body);
  });
}

function multipart(parts: { name: string; filename?: string; data: string | Buffer }[]) {
  const b = "loadboundary";
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const fn = p.filename ? `; filename="${p.filename}"` : "";
    chunks.push(
      Buffer.from(`--${b}\r\nContent-Disposition: form-data; name="${p.name}"${fn}\r\n\r\n`),
    );
    chunks.push(Buffer.isBuffer(p.data) ? p.data : Buffer.from(p.data));
    chunks.push(Buffer.from("\r\n"));
  }
  chunks.push(Buffer.from(`--${b}--\r\n`));
  return { body: Buffer.concat(chunks), type: `multipart/form-data; boundary=${b}` };
}

/** The bad uploads, one of each kind. */
function badUploads(): { body: Buffer; type: string }[] {
  const twelve = Array.from({ length: 12 }, (_, i) => `r.dat 16 200 16 0 0 0 0 L${i}`).join("\n");
  const dat = Buffer.alloc(2 * 12 * 1000);
  const wfdb = (hea: string) =>
    multipart([
      { name: "files", filename: "r.hea", data: hea },
      { name: "files", filename: "r.dat", data: dat },
    ]);
  const rows: string[] = ["I,II,III,AVR,AVL,AVF,V1,V2,V3,V4,V5,V6"];
  for (let i = 0; i < 120_000; i++)
    rows.push(
      Array(12)
        .fill(((i % 97) / 97).toFixed(3))
        .join(","),
    );
  return [
    wfdb(`r 12 0.01 1000\n${twelve}\n`),
    wfdb(`r 12 1e300 1000\n${twelve}\n`),
    wfdb(`r 99999 500 1000\n${twelve}\n`),
    wfdb(`r 12 500 20000000\n${twelve.replaceAll("r.dat", "~")}\n`),
    wfdb(`r 12 0.5 1000\n${twelve}\n`),
    multipart(Array.from({ length: 150_000 }, () => ({ name: "x", data: "" }))),
    // 20 minutes at 100 Hz in a 9 MB CSV: parsed in the worker, refused by the window
    multipart([
      { name: "file", filename: "long.csv", data: rows.join("\n") },
      { name: "fs", data: "100" },
    ]),
  ];
}

/** A client trickling a body one byte every 200 ms until the server answers. */
function trickler(port: number): Promise<void> {
  return new Promise((resolve) => {
    const s = connect(port, "127.0.0.1");
    let timer: NodeJS.Timeout | undefined;
    const done = () => {
      clearInterval(timer);
      s.destroy();
      resolve();
    };
    s.on("data", done);
    s.on("error", done);
    s.on("close", done);
    s.on("connect", () => {
      s.write(
        `POST /api/explain HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n` +
          "Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 100000\r\n\r\n",
      );
      timer = setInterval(() => s.write("x"), 200);
    });
  });
}

/** Polls health every 25 ms until told to stop; answers with the latencies (ms). */
const POLLER = `
const { parentPort, workerData } = require("node:worker_threads");
let running = true;
parentPort.once("message", () => (running = false));
(async () => {
  const out = [];
  while (running) {
    const t0 = performance.now();
    const r = await fetch(workerData.url + "api/health");
    await r.arrayBuffer();
    out.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, 25));
  }
  parentPort.postMessage(out);
})();
`;

/** Resident memory of process `pid` in bytes (Linux /proc). */
function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) * 1024 : 0;
}

describe("health under a mixed hostile load (real engine)", { timeout: 300_000 }, () => {
  let dir: string;
  let server: ChildProcess;
  let url: string;
  let out = "";

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "ecg-tlc-load-"));
    server = spawn(
      process.execPath,
      [join(ROOT, "dist", "test", "server", "load-server.js"), dir],
      {
        stdio: ["ignore", "pipe", "inherit"],
        env: { ...process.env, ECG_TLC_THREADS: "1" },
      },
    );
    url = await new Promise<string>((resolve, reject) => {
      server.stdout!.on("data", (d: Buffer) => {
        out += d.toString();
        if (out.includes("\n")) resolve(out.split("\n")[0].trim());
      });
      server.on("exit", (code) => reject(new Error(`load server exited (${code})`)));
    });
  });
  after(async () => {
    if (server && server.exitCode === null) {
      server.kill("SIGTERM");
      await new Promise((r) => server.once("exit", r));
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("health answers within 200 ms throughout; memory within the stated bound", async () => {
    const port = Number(new URL(url).port);
    const health = (await (await fetch(url + "api/health")).json()) as {
      uploads: { memoryBound: number };
    };
    const bound = health.uploads.memoryBound;
    assert.ok(bound > 0);
    const bad = badUploads();
    const rss0 = rssOf(server.pid!);
    let peak = rss0;
    // health is polled from a thread of its own, so that the clients' work here is not counted
    const poller = new Worker(POLLER, { eval: true, workerData: { url } });
    const polled = new Promise<number[]>((resolve) => poller.once("message", resolve));
    const rssPoll = setInterval(() => (peak = Math.max(peak, rssOf(server.pid!))), 25);
    // two slow clients hold two of the four upload slots for the whole deadline
    const slow = [0, 1].map(() => trickler(port));
    const ids = (
      (await (await fetch(url + "api/records?limit=100")).json()) as {
        items: { id: string }[];
      }
    ).items.map((i) => i.id);
    assert.equal(ids.length, 100);
    const explained = ids.map((id) =>
      fetch(url + `api/records/${encodeURIComponent(id)}/explanation`).then(async (r) => {
        await r.arrayBuffer();
        return r.status;
      }),
    );
    // the bad uploads one after another (two at once: the slots the slow clients leave)
    const sender = async () => {
      const out: number[] = [];
      for (let round = 0; round < 2; round++) {
        for (const u of bad) out.push(await post(url + "api/explain", u.body, u.type));
      }
      return out;
    };
    const uploads = Promise.all([sender(), sender()]).then((a) => a.flat());
    const statuses = await Promise.all(explained);
    const uploadStatuses = await uploads;
    await Promise.all(slow);
    poller.postMessage("stop");
    const latencies = await polled;
    clearInterval(rssPoll);
    await poller.terminate();
    assert.deepEqual([...new Set(statuses)], [200], "every record explained");
    for (const s of uploadStatuses) assert.ok([400, 413, 422, 503].includes(s), `upload: ${s}`);
    const decoded = uploadStatuses.filter((s) => s !== 503).length;
    assert.ok(decoded >= bad.length, `only ${decoded} bad uploads were read (${uploadStatuses})`);
    // the server's own view: the longest its event loop was held
    server.kill("SIGTERM");
    await new Promise((r) => server.once("exit", r));
    const { delayMaxMs } = JSON.parse(out.trim().split("\n").at(-1)!) as { delayMaxMs: number };
    const sorted = [...latencies].sort((a, b) => a - b);
    const max = sorted.at(-1)!;
    const median = sorted[Math.floor(sorted.length / 2)];
    const grew = peak - rss0;
    // 200 ms on a machine of its own; wall-clock waits grow with the run queue when other jobs
    // share the cores (load average above the core count), so the bound scales with it
    const load = loadavg()[0] / availableParallelism();
    const within = 200 * Math.max(1, load);
    process.stderr.write(
      `load mix: ${latencies.length} health checks, median ${median.toFixed(1)} ms, max ${max.toFixed(1)} ms; server event loop held at most ${delayMaxMs.toFixed(0)} ms; server RSS +${(grew / 1e6).toFixed(0)} MB (bound ${(bound / 1e6).toFixed(0)} MB); load ${load.toFixed(1)} per core, bound ${within.toFixed(0)} ms\n`,
    );
    assert.ok(latencies.length >= 20, `${latencies.length} health checks`);
    assert.ok(max < within, `health: max ${max.toFixed(0)} ms, median ${median.toFixed(0)} ms`);
    assert.ok(delayMaxMs < within, `server event loop held ${delayMaxMs.toFixed(0)} ms`);
    assert.ok(
      grew < bound,
      `server RSS grew ${(grew / 1e6).toFixed(0)} MB, bound ${bound / 1e6} MB`,
    );
  });
});
