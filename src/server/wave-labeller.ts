/**
 * Wave labels of records computed in a worker thread (wave-worker.ts), one at a time, so that the
 * explorer's background naming of clusters never runs on the thread that answers requests.
 */
import { Worker } from "node:worker_threads";
import type { EcgRecord } from "../types.js";

type Answer = { id: number; labels?: Uint8Array; error?: string };

export class WaveLabeller {
  private worker: Worker | null = null;
  private next = 0;
  private readonly waiting = new Map<number, (a: Answer) => void>();

  /** Wave label per sample of `record` (undefined: no beat found); rejects on a delineator error. */
  labels(record: EcgRecord): Promise<Uint8Array | undefined> {
    const worker = this.start();
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, (a) =>
        a.error !== undefined ? reject(new Error(a.error)) : resolve(a.labels),
      );
      const { name, fs, samples, leads, units } = record;
      // a copy: the record stays usable here
      worker.postMessage({
        id,
        record: { name, fs, samples, leads, units, signal: record.signal.slice() },
      });
    });
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(new URL("./wave-worker.js", import.meta.url));
    w.unref(); // background work: never what keeps a process alive
    w.on("message", (a: Answer) => {
      const done = this.waiting.get(a.id);
      this.waiting.delete(a.id);
      done?.(a);
    });
    const fail = (message: string) => {
      for (const done of this.waiting.values()) done({ id: -1, error: message });
      this.waiting.clear();
      this.worker = null;
    };
    w.on("error", (err) => fail(err.message));
    w.on("exit", (code) => fail(`wave labeller stopped (exit ${code})`));
    this.worker = w;
    return w;
  }

  close(): void {
    void this.worker?.terminate();
    this.worker = null;
  }
}
