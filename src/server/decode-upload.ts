/**
 * An upload body turned into a record: multipart parsing, then a CSV (with its 'fs') or a WFDB
 * header and its signal files, then the segment asked for ('from'/'to' in seconds). This is the
 * CPU-heavy part of an upload, so the explorer runs it in a worker thread (decodeInWorker) and
 * never on the thread that answers requests.
 */
import { Worker } from "node:worker_threads";
import { sliceRecord } from "../io/segment.js";
import type { EcgRecord } from "../types.js";
import { HttpError } from "./http-error.js";
import { parseCsvRecord, parseFs, parseMultipart, parseUnits } from "./upload.js";
import { readWfdbUpload, type RecordReader } from "./wfdb-upload.js";

export interface DecodedUpload {
  record: EcgRecord;
  fields: Record<string, string>;
}

function seconds(fields: Record<string, string>, key: "from" | "to"): number | undefined {
  const v = fields[key];
  if (v === undefined || v.trim() === "") return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) {
    throw new HttpError(400, `${key}: expected seconds >= 0, got '${v.slice(0, 20)}'`);
  }
  return n;
}

/** Decodes an upload on the calling thread. */
export async function decodeUpload(
  body: Buffer,
  contentType: string | undefined,
  readRecord: RecordReader,
): Promise<DecodedUpload> {
  const upload = await parseMultipart(body, contentType);
  const files = upload.files;
  if (files.length === 0) {
    throw new HttpError(
      400,
      "no file uploaded: send the .hea and its signal file in 'files', or a CSV in 'file' with 'fs'",
    );
  }
  let record: EcgRecord;
  if (files.length === 1 && /\.(csv|txt|tsv)$/i.test(files[0].name)) {
    record = parseCsvRecord(
      files[0].data.toString("utf8"),
      parseFs(upload.fields.fs),
      files[0].name,
      parseUnits(upload.fields.units),
    );
  } else {
    record = await readWfdbUpload(files, readRecord);
  }
  const choice = { from: seconds(upload.fields, "from"), to: seconds(upload.fields, "to") };
  return { record: sliceRecord(record, choice), fields: upload.fields };
}

type WorkerAnswer =
  | { ok: true; record: EcgRecord; fields: Record<string, string> }
  | { ok: false; status: number; message: string };

const WORKER = new URL("./upload-worker.js", import.meta.url);

/** Heap of an upload's worker: a 20 MB upload needs about 100 MB (typed arrays live outside it). */
const WORKER_HEAP_MB = 256;

/**
 * Decodes an upload in a worker thread of its own, which is ended when it takes longer than
 * `deadlineMs` (422): a hostile file costs that thread, never the server's.
 */
export function decodeInWorker(
  body: Buffer,
  contentType: string | undefined,
  deadlineMs: number,
): Promise<DecodedUpload> {
  return new Promise<DecodedUpload>((resolve, reject) => {
    // a copy of its own, so that it can be handed over without touching Node's buffer pool
    const bytes = new Uint8Array(body);
    // its heap bounded too: whatever a hostile file costs, it costs that thread
    const worker = new Worker(WORKER, {
      workerData: { contentType },
      resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB },
    });
    let done = false;
    const finish = (f: () => void) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      void worker.terminate();
      f();
    };
    const timer = setTimeout(
      () =>
        finish(() =>
          reject(
            new HttpError(422, `upload took over ${deadlineMs / 1000} s to read: not decoded`),
          ),
        ),
      deadlineMs,
    );
    worker.once("message", (a: WorkerAnswer) =>
      finish(() => {
        if (a.ok) resolve({ record: a.record, fields: a.fields });
        else if (a.status === 500) reject(new Error(a.message));
        else reject(new HttpError(a.status, a.message));
      }),
    );
    worker.once("error", (err: NodeJS.ErrnoException) =>
      finish(() =>
        reject(
          err.code === "ERR_WORKER_OUT_OF_MEMORY"
            ? new HttpError(413, `upload needs over ${WORKER_HEAP_MB} MB to read: not decoded`)
            : err,
        ),
      ),
    );
    worker.once("exit", (code) =>
      finish(() => reject(new Error(`upload reader stopped (exit ${code})`))),
    );
    worker.postMessage(bytes, [bytes.buffer]);
  });
}
