/**
 * Export of the composite vectors and their per-step clusters as `.npy`, for analysis in Python
 * or R, with the inertia of the fitted centroids on exactly those vectors. Streams: memory holds
 * one batch of ECGs whatever the dataset size.
 */
import { writeFileSync } from "node:fs";
import { NpyWriter } from "../io/npy.js";
import { kmeansAssign } from "./kmeans.js";
import { DEFAULT_BATCH } from "./stream.js";
import type { RecordSource } from "../io/datasets/types.js";
import type { ModelFace } from "../model/face.js";
import type { Tlc } from "./tlc.js";

export interface FeatureExport {
  features: string;
  labels: string;
  points: number;
  dims: number;
  k: number;
  /** Sum of squared distances of the exported vectors to their nearest fitted centroid. */
  inertia: number;
  /** inertia / (points x dims): comparable with the explainer's sigma^2. */
  sigma2: number;
  records: { id: string; start: number; rows: number; firstStep: number; fineSteps: number }[];
}

/** Sidecar paths: FILE.npy -> FILE.labels.npy and FILE.json. */
export function exportPaths(out: string): { labels: string; json: string } {
  const base = out.endsWith(".npy") ? out.slice(0, -4) : out;
  return { labels: `${base}.labels.npy`, json: `${base}.json` };
}

export async function exportFeatures<E extends { id: string }>(
  tlc: Tlc,
  model: ModelFace,
  dataset: RecordSource<E>,
  entries: E[],
  out: string,
  opts: {
    batch?: number;
    threads?: number;
    onProgress?: (done: number, total: number) => void;
  } = {},
): Promise<FeatureExport> {
  tlc.checkModel(model);
  const paths = exportPaths(out);
  const D = tlc.dims;
  const fx = new NpyWriter(out, "float32", [D]);
  const lx = new NpyWriter(paths.labels, "int32", []);
  const batch = opts.batch ?? DEFAULT_BATCH;
  const records: FeatureExport["records"] = [];
  let inertia = 0;
  for (let s = 0; s < entries.length; s += batch) {
    const chunk = entries.slice(s, s + batch);
    const recs = await Promise.all(chunk.map((e) => dataset.read(e)));
    const feats = await tlc.features(model, recs);
    for (let i = 0; i < feats.length; i++) {
      const f = feats[i];
      const rows = f.range.end - f.range.first;
      const a = await kmeansAssign(f.x, D, tlc.main.centroids, opts.threads ?? 0);
      records.push({
        id: chunk[i].id,
        start: fx.count,
        rows,
        firstStep: f.range.first,
        fineSteps: tlc.layout.fineSteps,
      });
      fx.append(f.x);
      lx.append(a.labels);
      inertia += a.inertia;
    }
    opts.onProgress?.(Math.min(entries.length, s + batch), entries.length);
  }
  fx.close();
  lx.close();
  const points = fx.count;
  const result: FeatureExport = {
    features: out,
    labels: paths.labels,
    points,
    dims: D,
    k: tlc.k,
    inertia,
    sigma2: points ? inertia / (points * D) : 0,
    records,
  };
  writeFileSync(paths.json, JSON.stringify(result) + "\n");
  return result;
}
