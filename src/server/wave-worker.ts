/**
 * The thread that delineates the explorer's records for the cluster names (WaveTally): a record's
 * delineation takes 20-200 ms, which on the server's thread would hold every request back.
 * Answers each { id, record } with { id, labels } (labels undefined: no beat; error: a message).
 */
import { parentPort } from "node:worker_threads";
import { recordWaveLabels } from "../eval/cluster-waves.js";
import type { EcgRecord } from "../types.js";

const port = parentPort!;
port.on("message", ({ id, record }: { id: number; record: EcgRecord }) => {
  try {
    const labels = recordWaveLabels(record);
    port.postMessage({ id, labels }, labels ? [labels.buffer as ArrayBuffer] : []);
  } catch (err) {
    port.postMessage({ id, error: String((err as Error)?.message ?? err) });
  }
});
