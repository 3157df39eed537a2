/**
 * A sharded feature export: each shard writes its composite vectors and clusters (FILE.npy,
 * FILE.labels.npy, FILE.json, as `features --out` does); merging concatenates the arrays row
 * block by row block (memory: one block) and the per-record index with its offsets moved.
 */
import { closeSync, openSync, readFileSync, readSync, rmSync, writeFileSync } from "node:fs";
import type { ModelFace } from "../model/face.js";
import { dirname, join } from "node:path";
import { ShardError } from "../errors.js";
import type { Dataset, DatasetEntry } from "../io/index.js";
import { NpyWriter } from "../io/npy.js";
import { exportFeatures, exportPaths, type FeatureExport, type Tlc } from "../tlc/index.js";
import { checkShards } from "./merge.js";
import {
  commitOutput,
  datasetIdentity,
  manifestPath,
  sha256File,
  type ShardManifest,
} from "./output.js";
import { ProgressMeter } from "./progress.js";
import { shardEntries, type Shard } from "./shard.js";

interface FeaturesPayload {
  dims: number;
  k: number;
  points: number;
  inertia: number;
  labelsSha256: string;
}

/** Shard `shard` of `entries` (the selected records of `dataset`) exported to `out`. */
export async function exportFeaturesShard(
  tlc: Tlc,
  model: ModelFace,
  dataset: Dataset,
  entries: DatasetEntry[],
  opts: { out: string; shard?: Shard; threads?: number; explainerSha256: string },
): Promise<ShardManifest> {
  rmSync(manifestPath(opts.out), { force: true });
  const mine = shardEntries(entries, opts.shard);
  const meter = new ProgressMeter("features", mine.length);
  let shown = 0;
  const r = await exportFeatures(tlc, model, dataset, mine, opts.out, {
    threads: opts.threads,
    onProgress: (done) => {
      meter.add(done - shown);
      shown = done;
    },
  });
  const payload: FeaturesPayload = {
    dims: r.dims,
    k: r.k,
    points: r.points,
    inertia: r.inertia,
    labelsSha256: sha256File(r.labels),
  };
  return commitOutput(
    opts.out,
    {
      command: "features",
      shard: opts.shard,
      dataset: datasetIdentity({ root: dataset.root, kind: dataset.kind, entries }),
      inputs: { model: model.fingerprint, explainer: opts.explainerSha256 },
      records: mine.length,
      payload,
    },
    meter.cost(),
  );
}

/** Appends the data rows of a .npy file to `w`, a block at a time. */
function copyRows(file: string, w: NpyWriter, dtype: "float32" | "int32"): void {
  const fd = openSync(file, "r");
  try {
    const head = Buffer.alloc(12);
    readSync(fd, head, 0, 12, 0);
    const major = head[6];
    let at = major === 1 ? 10 + head.readUInt16LE(8) : 12 + head.readUInt32LE(8);
    const row = w.rowShape.reduce((a, b) => a * b, 1) * 4;
    const block = Buffer.alloc(Math.max(row, Math.floor((16 << 20) / row) * row));
    for (;;) {
      const n = readSync(fd, block, 0, block.length, at);
      if (n === 0) break;
      at += n;
      const bytes = n - (n % row);
      const view = block.subarray(0, bytes);
      const copy = new ArrayBuffer(bytes);
      new Uint8Array(copy).set(view);
      w.append(dtype === "float32" ? new Float32Array(copy) : new Int32Array(copy));
      if (bytes < n) at -= n - bytes;
    }
  } finally {
    closeSync(fd);
  }
}

/** Merges the shards of a feature export into `out` (+ labels and index). */
export function mergeFeatureShards(
  parts: string[],
  out: string,
  expectShards?: number,
): FeatureExport {
  const checked = checkShards(parts, expectShards);
  const first = checked[0].manifest.payload as FeaturesPayload;
  const paths = exportPaths(out);
  const files = checked.map(({ part, manifest: m }) => {
    const p = m.payload as FeaturesPayload;
    const npy = join(dirname(part), m.output.file);
    const labels = exportPaths(npy).labels;
    if (m.command !== "features")
      throw new ShardError(`${part}: output of '${m.command}', not of 'features'`);
    if (sha256File(npy) !== m.output.sha256 || sha256File(labels) !== p.labelsSha256)
      throw new ShardError(
        `${npy}: content differs from its manifest's SHA-256; re-run shard ${m.shard?.index ?? 0}`,
      );
    return { npy, labels, json: exportPaths(npy).json, payload: p };
  });
  rmSync(manifestPath(out), { force: true });
  const fx = new NpyWriter(out, "float32", [first.dims]);
  const lx = new NpyWriter(paths.labels, "int32", []);
  const records: FeatureExport["records"] = [];
  let inertia = 0;
  for (const f of files) {
    const offset = fx.count;
    copyRows(f.npy, fx, "float32");
    copyRows(f.labels, lx, "int32");
    const index = JSON.parse(readFileSync(f.json, "utf8")) as FeatureExport;
    for (const r of index.records) records.push({ ...r, start: r.start + offset });
    inertia += f.payload.inertia;
  }
  fx.close();
  lx.close();
  const points = fx.count;
  const result: FeatureExport = {
    features: out,
    labels: paths.labels,
    points,
    dims: first.dims,
    k: first.k,
    inertia,
    sigma2: points ? inertia / (points * first.dims) : 0,
    records,
  };
  writeFileSync(paths.json, JSON.stringify(result) + "\n");
  const ms = checked.map((c) => c.manifest);
  commitOutput(
    out,
    {
      command: "features",
      dataset: ms[0].dataset,
      inputs: ms[0].inputs,
      records: records.length,
      payload: { ...first, points, inertia, labelsSha256: sha256File(paths.labels) },
    },
    {
      records: records.length,
      seconds: ms.reduce((a, m) => a + m.cost.seconds, 0),
      peakRss: Math.max(...ms.map((m) => m.cost.peakRss)),
    },
  );
  return result;
}
