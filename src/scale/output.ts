/**
 * What one run (a shard, or the whole dataset) writes: its output file, written to a temporary
 * name and renamed when complete, then a manifest beside it (`FILE.manifest.json`) saying what
 * the output holds (command, shard, dataset, input fingerprints, records, bytes, SHA-256) and
 * what it cost. The manifest is written last and removed first: a manifest exists only beside a
 * complete output, so a killed shard leaves nothing `merge` would take.
 */
import { createHash } from "node:crypto";
import {
  closeSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { hostname } from "node:os";
import { basename } from "node:path";
import { EcgFormatError, NotFoundError } from "../errors.js";
import { ProgressMeter, type Cost } from "./progress.js";
import { formatShard, shardRange, type Shard } from "./shard.js";

export interface DatasetIdentity {
  root: string;
  kind: string;
  records: number;
  /** SHA-256 of the record ids in dataset order. */
  fingerprint: string;
}

export interface ShardManifest {
  format: "ecg-tlc-shard";
  version: 1;
  command: string;
  /** null: the whole dataset in one run. */
  shard: Shard | null;
  dataset: DatasetIdentity;
  /** Dataset positions [start, end) this output holds. */
  range: [number, number];
  /** Fingerprints of what produced the output (model, explainer, options). */
  inputs: Record<string, string>;
  output: { file: string; records: number; bytes: number; sha256: string };
  cost: Cost & { host: string; finishedAt: string };
  /** What else merging needs (a sharded fit: layout, column statistics, vectors seen). */
  payload?: unknown;
}

export function manifestPath(out: string): string {
  return `${out}.manifest.json`;
}

export function datasetIdentity(d: { root: string; kind: string; entries: { id: string }[] }) {
  const h = createHash("sha256");
  for (const e of d.entries) h.update(e.id + "\n");
  return { root: d.root, kind: d.kind, records: d.entries.length, fingerprint: h.digest("hex") };
}

export function sha256File(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

export function readManifest(path: string): ShardManifest {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw new NotFoundError(`${path}: no shard manifest (the shard has not finished)`);
  }
  try {
    const m = JSON.parse(text) as ShardManifest;
    if (m.format !== "ecg-tlc-shard") throw new Error("not a shard manifest");
    return m;
  } catch (err) {
    throw new EcgFormatError(path, `corrupt shard manifest (${(err as Error).message})`);
  }
}

function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

export interface RunOutput<T> {
  out: string;
  command: string;
  shard?: Shard;
  dataset: DatasetIdentity;
  inputs: Record<string, string>;
  /** One JSON line per item, in order. */
  items: AsyncIterable<T>;
  /** JSON text of one item (default JSON.stringify; another must give the same text). */
  serialize?: (item: T) => string;
  /** The line's bytes, "\n" included (instead of `serialize`); read before the next call. */
  encode?: (item: T) => Uint8Array;
  /** Label of the progress lines on stderr (none when undefined). */
  progress?: string;
  progressEverySeconds?: number;
}

/**
 * Writes `items` as JSON lines to `out` (atomically), then the manifest. Lines are written with
 * synchronous writes as they come (small ones gathered into 64 KiB chunks): no copy of a line is
 * kept, so an encoder can hand out its reused buffer.
 */
export async function writeJsonLines<T>(run: RunOutput<T>): Promise<ShardManifest> {
  const { out, shard } = run;
  const range = shard
    ? shardRange(run.dataset.records, shard)
    : ([0, run.dataset.records] as [number, number]);
  rmSync(manifestPath(out), { force: true });
  const tmp = `${out}.tmp-${process.pid}`;
  const hash = createHash("sha256");
  const meter = new ProgressMeter(
    run.progress ?? "",
    range[1] - range[0],
    run.progress ? undefined : () => {},
    run.progressEverySeconds,
  );
  let bytes = 0;
  const serialize = run.serialize ?? ((item: T) => JSON.stringify(item));
  const fd = openSync(tmp, "w");
  const chunk = Buffer.allocUnsafe(1 << 16);
  let held = 0;
  const writeAll = (b: Uint8Array) => {
    for (let o = 0; o < b.length;) o += writeSync(fd, b, o, b.length - o);
  };
  const flush = () => {
    writeAll(chunk.subarray(0, held));
    held = 0;
  };
  try {
    for await (const item of run.items) {
      // Encoded once for the hash, the count and the file.
      const line = run.encode ? run.encode(item) : Buffer.from(serialize(item) + "\n");
      hash.update(line);
      bytes += line.length;
      if (held + line.length > chunk.length) flush();
      if (line.length > chunk.length) writeAll(line);
      else {
        chunk.set(line, held);
        held += line.length;
      }
      meter.add(1);
    }
    flush();
    closeSync(fd);
  } catch (err) {
    try {
      closeSync(fd);
    } catch {
      // already closed: the error is the write's
    }
    rmSync(tmp, { force: true });
    throw err;
  }
  if (meter.done !== range[1] - range[0]) {
    rmSync(tmp, { force: true });
    throw new Error(`${run.command}: wrote ${meter.done} records, expected ${range[1] - range[0]}`);
  }
  renameSync(tmp, out);
  const manifest: ShardManifest = {
    format: "ecg-tlc-shard",
    version: 1,
    command: run.command,
    shard: shard ?? null,
    dataset: run.dataset,
    range,
    inputs: run.inputs,
    output: { file: basename(out), records: meter.done, bytes, sha256: hash.digest("hex") },
    cost: { ...meter.cost(), host: hostname(), finishedAt: new Date().toISOString() },
  };
  writeAtomic(manifestPath(out), JSON.stringify(manifest, null, 1) + "\n");
  return manifest;
}

/**
 * Writes the manifest of an output already complete at `out` (written atomically by its
 * writer): size and SHA-256 from the file itself.
 */
export function commitOutput(
  out: string,
  run: Pick<ShardManifest, "command" | "dataset" | "inputs" | "payload"> & {
    shard?: Shard;
    records: number;
  },
  cost: Cost,
): ShardManifest {
  const manifest: ShardManifest = {
    format: "ecg-tlc-shard",
    version: 1,
    command: run.command,
    shard: run.shard ?? null,
    dataset: run.dataset,
    range: run.shard ? shardRange(run.dataset.records, run.shard) : [0, run.dataset.records],
    inputs: run.inputs,
    output: {
      file: basename(out),
      records: run.records,
      bytes: statSync(out).size,
      sha256: sha256File(out),
    },
    cost: { ...cost, host: hostname(), finishedAt: new Date().toISOString() },
    payload: run.payload,
  };
  writeAtomic(manifestPath(out), JSON.stringify(manifest) + "\n");
  return manifest;
}

export function describeRun(m: ShardManifest): string {
  return `${m.command}${m.shard ? ` shard ${formatShard(m.shard)}` : ""}: ${m.output.records} ECGs`;
}
