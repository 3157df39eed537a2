/**
 * The worker thread that decodes one upload (decode-upload.ts): gets the body, answers with the
 * record (its signal handed over, not copied) or with the status and one-line message of the error.
 */
import { parentPort, workerData } from "node:worker_threads";
import { readRecord } from "../io/record.js";
import { decodeUpload } from "./decode-upload.js";
import { statusOf } from "./http-error.js";

const port = parentPort!;
port.once("message", (bytes: Uint8Array) => {
  const body = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  decodeUpload(body, (workerData as { contentType?: string }).contentType, (p) => readRecord(p))
    .then(({ record, fields }) => {
      const { name, fs, samples, leads, units, signal, comments } = record;
      port.postMessage(
        { ok: true, record: { name, fs, samples, leads, units, signal, comments }, fields },
        [signal.buffer as ArrayBuffer],
      );
    })
    .catch((err: unknown) => {
      const message = ((err as Error)?.message ?? String(err)).split("\n")[0];
      port.postMessage({ ok: false, status: statusOf(err), message });
    });
});
