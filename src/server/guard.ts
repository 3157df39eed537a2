/**
 * What the explorer refuses before doing any work: requests a page of another origin makes (a
 * browser lets any page POST a form to 127.0.0.1; the explorer is for the page it serves), and
 * bodies that do not arrive in time (a client trickling bytes would hold an upload slot for as
 * long as it likes).
 */
import type { IncomingMessage } from "node:http";
import { HttpError } from "./http-error.js";

/** Time a request body may take to arrive (a 20 MB upload takes well under a second locally). */
export const DEFAULT_BODY_DEADLINE_MS = 15_000;

/**
 * Refuses a request made by a page of another origin: an `Origin` other than this server's own
 * (including the opaque `null` of sandboxed frames and file: pages), or a browser's
 * `Sec-Fetch-Site` saying cross-site or same-site (another port of localhost is same-site).
 * Requests without either header (curl, the CLI, a user typing the address) pass.
 */
export function checkOrigin(req: IncomingMessage): void {
  const site = req.headers["sec-fetch-site"];
  if (site !== undefined && site !== "same-origin" && site !== "none") {
    throw new HttpError(403, `cross-origin request refused (Sec-Fetch-Site: ${site.slice(0, 20)})`);
  }
  const origin = req.headers.origin;
  if (origin === undefined) return;
  let host: string | undefined;
  try {
    const u = new URL(origin);
    host = u.protocol === "http:" ? u.host : undefined;
  } catch {
    host = undefined;
  }
  if (host === undefined || host !== req.headers.host) {
    throw new HttpError(403, `cross-origin request refused (Origin ${origin.slice(0, 60)})`);
  }
}

/**
 * Reads a whole body of at most `limit` bytes within `deadlineMs` (408 after it, 413 past the
 * limit, both as soon as they happen). With `keep` false the bytes are counted and dropped.
 */
export function readBodyWithin(
  req: IncomingMessage,
  limit: number,
  deadlineMs: number,
  keep = true,
): Promise<Buffer> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) {
    return Promise.reject(
      new HttpError(413, `upload too large: ${declared} bytes (limit ${limit})`),
    );
  }
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (err: HttpError | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
      req.off("aborted", onAborted);
      if (err) {
        // stop reading: the answer goes out, then the connection closes
        req.pause();
        reject(err);
      } else resolve(Buffer.concat(chunks, size));
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) return finish(new HttpError(413, `upload too large: over ${limit} bytes`));
      if (keep) chunks.push(chunk);
    };
    const onEnd = () => finish(null);
    const onError = () => finish(new HttpError(400, "upload interrupted"));
    const onAborted = () => finish(new HttpError(400, "upload aborted by the client"));
    const timer = setTimeout(
      () =>
        finish(
          new HttpError(
            408,
            `upload too slow: ${size} bytes in ${deadlineMs / 1000} s (the whole body must arrive within it)`,
          ),
        ),
      deadlineMs,
    );
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
    req.on("aborted", onAborted);
  });
}
