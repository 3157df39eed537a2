/**
 * The explorer's HTTP server (node:http, no framework): a JSON API over an Explainer and the static
 * page in web/. Every request is handled on its own promise, so a slow explanation never blocks the
 * list, and every failure ends as one JSON `{error}` answer, never as a crashed server.
 */
import { readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { EcgTlcError, NotFoundError } from "../errors.js";
import { topClass } from "../explain/explanation.js";
import type { EcgRecord } from "../types.js";
import { RecordCatalog, type RecordQuery } from "./catalog.js";
import { COMBINED, type Explainer } from "./explainer.js";
import { decodeInWorker, decodeUpload } from "./decode-upload.js";
import { DEFAULT_BODY_DEADLINE_MS, checkOrigin, readBodyWithin } from "./guard.js";
import { HttpError, statusOf } from "./http-error.js";
import { DEFAULT_UPLOAD_LIMIT } from "./upload.js";
import { gradcamJson, recordView, signalJson, type Health } from "./views.js";
import type { RecordReader } from "./wfdb-upload.js";

export interface ExplorerOptions {
  explainer: Explainer;
  /** Interface to bind; 127.0.0.1 unless told otherwise. */
  host?: string;
  /** Port; 0 picks any free port. */
  port?: number;
  /** Largest accepted upload body in bytes (default 20 MB). */
  uploadLimit?: number;
  /**
   * Reader for uploaded WFDB records, run on the server's thread; by default uploads are decoded
   * with io's readRecord in a worker thread of their own.
   */
  readRecord?: RecordReader;
  /** Time an upload body may take to arrive, and its decoding to finish (default 15 s each). */
  bodyDeadlineMs?: number;
  /** Folder holding index.html, app.js, style.css (default: the project's web/). */
  webDir?: string;
  /** Explain every dataset record in the background so the list can filter by prediction/entropy. */
  index?: boolean;
  /** Uploads held in memory at once; more get 503 (bounds memory at this times uploadLimit). */
  maxUploads?: number;
}

export interface ExplorerServer {
  url: string;
  server: Server;
  catalog: RecordCatalog;
  close(): Promise<void>;
}

/** The project's web/ folder (dist/src/server/app.js -> ../../../web). */
export function defaultWebDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "web");
}

const STATIC: Record<string, [string, string]> = {
  "/": ["index.html", "text/html; charset=utf-8"],
  "/index.html": ["index.html", "text/html; charset=utf-8"],
  "/app.js": ["app.js", "text/javascript; charset=utf-8"],
  "/dom.js": ["dom.js", "text/javascript; charset=utf-8"],
  "/chart.js": ["chart.js", "text/javascript; charset=utf-8"],
  "/interact.js": ["interact.js", "text/javascript; charset=utf-8"],
  "/gradcam.js": ["gradcam.js", "text/javascript; charset=utf-8"],
  "/style.css": ["style.css", "text/css; charset=utf-8"],
  "/favicon.svg": ["favicon.svg", "image/svg+xml"],
};

const SECURITY_HEADERS = {
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "content-security-policy":
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'",
};

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
    ...SECURITY_HEADERS,
  });
  res.end(text);
}

function optNumber(q: URLSearchParams, key: string, integer = false): number | undefined {
  const v = q.get(key);
  if (v === null || v === "") return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n))) {
    throw new HttpError(
      400,
      `${key}: expected ${integer ? "an integer" : "a number"}, got '${v.slice(0, 20)}'`,
    );
  }
  return n;
}

function parseQuery(q: URLSearchParams): RecordQuery {
  const match = q.get("match") || undefined;
  if (match !== undefined && match !== "correct" && match !== "incorrect") {
    throw new HttpError(
      400,
      `match: expected 'correct' or 'incorrect', got '${match.slice(0, 20)}'`,
    );
  }
  const sort = q.get("sort") || undefined;
  if (sort !== undefined && sort !== "id" && sort !== "entropy" && sort !== "-entropy") {
    throw new HttpError(
      400,
      `sort: expected 'id', 'entropy' or '-entropy', got '${sort.slice(0, 20)}'`,
    );
  }
  return {
    class: q.get("class") || undefined,
    fold: optNumber(q, "fold", true),
    match,
    minEntropy: optNumber(q, "minEntropy"),
    maxEntropy: optNumber(q, "maxEntropy"),
    sort,
    offset: optNumber(q, "offset", true),
    limit: optNumber(q, "limit", true),
  };
}

/** The `block` asked for, one of the explainer's (`blocks`: "combined" first). */
function parseBlock(q: URLSearchParams, blocks: string[]): string {
  const b = q.get("block") ?? COMBINED;
  if (!blocks.includes(b)) {
    throw new HttpError(
      400,
      `block: expected one of ${blocks.join(", ")}, got '${b.slice(0, 20)}'`,
    );
  }
  return b;
}

/**
 * One of `names` (any case) for the query or form field `field`, or undefined when it is absent
 * (a Grad-CAM `target`: the record's top class; a `tap`: the explainer's default).
 */
function parseChoice(
  field: string,
  value: string | null | undefined,
  names: string[],
): string | undefined {
  if (value === null || value === undefined || value === "") return undefined;
  const c = names.find((x) => x.toLowerCase() === value.toLowerCase());
  if (c === undefined) {
    throw new HttpError(
      400,
      `${field}: expected one of ${names.join(", ")}, got '${value.slice(0, 20)}'`,
    );
  }
  return c;
}

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

/** Builds the request handler (exported for tests that want no socket). */
export function createExplorerHandler(
  opts: ExplorerOptions,
  catalog: RecordCatalog,
  boundHost: string,
): (req: IncomingMessage, res: ServerResponse) => void {
  const { explainer } = opts;
  const limit = opts.uploadLimit ?? DEFAULT_UPLOAD_LIMIT;
  const webDir = opts.webDir ?? defaultWebDir();
  const loopback = LOOPBACK_HOSTS.has(boundHost) || boundHost === "::1";
  const maxUploads = opts.maxUploads ?? 4;
  const deadline = opts.bodyDeadlineMs ?? DEFAULT_BODY_DEADLINE_MS;
  let uploads = 0;
  /**
   * What the server holds beyond its fixed footprint, in bytes: per upload in flight its body, the
   * worker's copy, the multipart parser's copies, the text and the record in float32, and the
   * worker itself: 12 x the limit (measured: a 19 MB one-column CSV, 9.5 million rows, costs
   * 223 MB); plus the caches of explanations and Grad-CAM maps (24 + 48 entries of 10 s ECGs,
   * under 64 MB).
   */
  const memoryBound = maxUploads * 12 * limit + 64 * 1024 * 1024;
  const { blocks } = catalog;

  /** The record of an upload (multipart, as /api/explain takes it) and its plain fields. */
  async function readUpload(
    req: IncomingMessage,
  ): Promise<{ record: EcgRecord; fields: Record<string, string> }> {
    const body = await readBodyWithin(req, limit, deadline);
    const type = req.headers["content-type"];
    return opts.readRecord
      ? decodeUpload(body, type, opts.readRecord)
      : decodeInWorker(body, type, deadline);
  }

  /** The explanation of an upload; with `?block=`, the same view a dataset record gets. */
  async function explainUpload(req: IncomingMessage, url: URL): Promise<unknown> {
    const { record } = await readUpload(req);
    const explanation = await explainer.explain(record);
    if (url.searchParams.has("block")) {
      const block = parseBlock(url.searchParams, blocks);
      return recordView(explainer, record, explanation, {
        id: record.name,
        block,
        blocks,
        clusterWaves: catalog.clusterWaves(block),
      });
    }
    if (url.searchParams.get("signal") === "1") {
      return { ...explanation, signal: signalJson(record) };
    }
    return explanation;
  }

  async function gradcamUpload(req: IncomingMessage): Promise<unknown> {
    const { gradcam } = explainer;
    if (!gradcam) throw new HttpError(404, "Grad-CAM is not available from this explainer");
    const { record, fields } = await readUpload(req);
    const tap = parseChoice("tap", fields.tap, explainer.gradcamTaps ?? []);
    const target =
      parseChoice("target", fields.target, explainer.classes) ??
      topClass(explainer.classes, (await explainer.explain(record)).outputs);
    return { record: record.name, ...gradcamJson(await gradcam(record, target, tap)) };
  }

  /**
   * Runs an upload route within the bound on uploads held at once. Beyond it the body is read and
   * dropped before the 503, so that the client, still sending, receives the answer instead of a
   * broken pipe.
   */
  async function withUploadSlot(
    req: IncomingMessage,
    res: ServerResponse,
    work: () => Promise<unknown>,
  ): Promise<void> {
    if (uploads >= maxUploads) {
      const busy = uploads;
      await readBodyWithin(req, limit, deadline, false);
      throw new HttpError(503, `busy: ${busy} uploads in progress, try again in a moment`);
    }
    uploads++;
    try {
      sendJson(res, 200, await work());
    } finally {
      uploads--;
    }
  }

  /** The dataset record id of /api/records/:id/...; ids are keys into the entry list, never paths. */
  function recordId(encoded: string): string {
    let id: string;
    try {
      id = decodeURIComponent(encoded);
    } catch {
      throw new HttpError(400, "record id: bad percent-encoding");
    }
    if (!catalog.has(id))
      throw new NotFoundError(`record '${id.slice(0, 64)}' is not in the dataset`);
    return id;
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://localhost");
    const path = url.pathname;
    const method = req.method ?? "GET";
    if (loopback) {
      // a page on another origin that resolves its name to 127.0.0.1 must not reach the API
      const host = (req.headers.host ?? "").replace(/:\d+$/, "");
      if (!LOOPBACK_HOSTS.has(host))
        throw new HttpError(421, `unexpected Host '${host.slice(0, 40)}'`);
    }
    // nor may a page of another origin post to it (a form POST needs no permission)
    if (path.startsWith("/api/")) checkOrigin(req);
    if (path === "/api/health" && method === "GET") {
      const health: Health = {
        status: "ok",
        classes: explainer.classes,
        thresholds: explainer.thresholds,
        k: explainer.k,
        clusterWaves: catalog.clusterWaves(COMBINED),
        blockWaves: catalog.blockWaves(),
        records: explainer.entries.length,
        labels: [...new Set(explainer.entries.flatMap((e) => e.labels))].sort(),
        folds: [
          ...new Set(
            explainer.entries.map((e) => e.fold).filter((f): f is number => f !== undefined),
          ),
        ].sort((a, b) => a - b),
        indexed: catalog.indexed,
        blocks,
        leaves: explainer.leaves ?? null,
        gradcam: explainer.gradcam !== undefined,
        labelsComparable: catalog.labelsComparable,
        gradcamTaps: explainer.gradcamTaps ?? [],
        gradcamTap: explainer.gradcamTap ?? null,
        uploads: { limit, slots: maxUploads, deadlineMs: deadline, memoryBound },
      };
      sendJson(res, 200, health);
      return;
    }
    if (path === "/api/records" && method === "GET") {
      sendJson(res, 200, catalog.query(parseQuery(url.searchParams)));
      return;
    }
    const m = /^\/api\/records\/([^/]+)\/(explanation|gradcam)$/.exec(path);
    if (m && method === "GET" && m[2] === "gradcam") {
      const id = recordId(m[1]);
      if (!explainer.gradcam) {
        throw new HttpError(404, "Grad-CAM is not available from this explainer");
      }
      const target = parseChoice("target", url.searchParams.get("target"), explainer.classes);
      const tap = parseChoice("tap", url.searchParams.get("tap"), explainer.gradcamTaps ?? []);
      sendJson(res, 200, { id, ...gradcamJson(await catalog.gradcam(id, target, tap)) });
      return;
    }
    if (m && method === "GET") {
      const id = recordId(m[1]);
      const block = parseBlock(url.searchParams, blocks);
      const { record, explanation } = await catalog.explained(id);
      const entry = explainer.entries.find((e) => e.id === id);
      sendJson(
        res,
        200,
        recordView(explainer, record, explanation, {
          id,
          block,
          blocks,
          clusterWaves: catalog.clusterWaves(block),
          entry,
        }),
      );
      return;
    }
    if (path === "/api/explain" || path === "/api/gradcam") {
      if (method !== "POST") throw new HttpError(405, `${path} takes POST multipart/form-data`);
      await withUploadSlot(req, res, () =>
        path === "/api/explain" ? explainUpload(req, url) : gradcamUpload(req),
      );
      return;
    }
    if (path.startsWith("/api/"))
      throw new HttpError(404, `no API route ${method} ${path.slice(0, 80)}`);
    const file = STATIC[path];
    if (!file || (method !== "GET" && method !== "HEAD")) {
      throw new HttpError(404, `not found: ${path.slice(0, 80)}`);
    }
    const body = await readFile(join(webDir, file[0])).catch(() => {
      throw new HttpError(404, `not found: ${path.slice(0, 80)} (missing from ${webDir})`);
    });
    res.writeHead(200, {
      "content-type": file[1],
      "content-length": body.length,
      "cache-control": "no-cache",
      ...SECURITY_HEADERS,
    });
    res.end(method === "HEAD" ? undefined : body);
  }

  return (req, res) => {
    route(req, res).catch((err: unknown) => {
      const status = statusOf(err);
      const message =
        status === 500 && !(err instanceof EcgTlcError)
          ? `internal error: ${(err as Error)?.message?.split("\n")[0] ?? String(err)}`
          : ((err as Error).message ?? String(err)).split("\n")[0];
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (status === 413 || status === 503 || status === 408) {
        // stop reading a body we refused; the client gets the answer, then the socket closes
        res.setHeader("connection", "close");
        if (status !== 408) req.resume();
      }
      sendJson(res, status, { error: message });
    });
  };
}

/** Starts the explorer; resolves once it listens (url has the actual port when port was 0). */
export async function startExplorer(opts: ExplorerOptions): Promise<ExplorerServer> {
  const host = opts.host ?? "127.0.0.1";
  const catalog = new RecordCatalog(opts.explainer);
  // Node's own bounds on slow clients (its defaults are minutes, checked every 30 s): headers
  // within the body deadline (10 s at most), a whole request within the deadline plus a margin
  // (the handler answers 408 first), checked every half second.
  const deadline = opts.bodyDeadlineMs ?? DEFAULT_BODY_DEADLINE_MS;
  const server = createServer(
    { connectionsCheckingInterval: 500, headersTimeout: Math.min(10_000, deadline) },
    createExplorerHandler(opts, catalog, host),
  );
  server.requestTimeout = deadline + 5_000;
  server.on("clientError", (err: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) return socket.destroy();
    // Node's header and request timeouts end here: say so (408), not "bad request"
    const slow = err.code === "ERR_HTTP_REQUEST_TIMEOUT";
    const body = JSON.stringify({
      error: slow ? "request too slow: headers and body must arrive in time" : "malformed request",
    });
    socket.end(
      `HTTP/1.1 ${slow ? "408 Request Timeout" : "400 Bad Request"}\r\nConnection: close\r\n` +
        `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    );
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 8080, host, () => {
      server.off("error", reject);
      resolveListen();
    });
  });
  const { port } = server.address() as AddressInfo;
  const shown = host.includes(":") ? `[${host}]` : host === "0.0.0.0" ? "127.0.0.1" : host;
  if (opts.index !== false) void catalog.startIndexing();
  return {
    url: `http://${shown}:${port}/`,
    server,
    catalog,
    close: async () => {
      catalog.stop();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      opts.explainer.close?.();
    },
  };
}
