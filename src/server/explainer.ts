/**
 * The explorer's view of "something that explains ECGs". The HTTP layer only talks to this
 * interface, so tests run the whole server with a fast fake and `ecg-tlc serve` plugs in the real
 * model + fitted TLC (createTlcExplainer below).
 */
import { NotFoundError } from "../errors.js";
import type { EcgRecord } from "../types.js";
import { EngineQueue } from "./queue.js";

/** The explanation fields the explorer reads (docs/CONTRACTS.md, tlc's Explanation). */
export interface ExplanationView {
  record: string;
  fs: number;
  samples: number;
  outputs: Record<string, number>;
  labels: string[];
  clusters: number[];
  entropy: number[];
  segments: { start: number; end: number; cluster: number; entropy: number }[];
  proportions: number[];
  softProportions: number[];
  meanEntropy: number;
  blocks?: Record<string, { clusters: number[]; entropy: number[]; proportions: number[] }>;
}

/** The blocks a user can choose between: one residual unit alone, or TLC's combined clusters. */
export const BLOCKS = ["combined", "B2", "B3", "B4"] as const;
export type Block = (typeof BLOCKS)[number];

/** One dataset entry as the explorer lists it (ids are opaque keys, never paths). */
export interface ExplorerEntry {
  id: string;
  labels: string[];
  fold?: number;
  age?: number;
  sex?: string;
}

export interface Explainer {
  /** Output names of the network, e.g. ["NORM","MI","STTC","CD","HYP"] or ["age"]. */
  classes: string[];
  /** Decision threshold per class (probability >= threshold means "predicted"). */
  thresholds: number[];
  /** Number of clusters K. */
  k: number;
  /** Optional name of the wave each cluster aligns with (e.g. "QRS"), index = cluster. */
  clusterWaves?: string[];
  /** Dataset entries to browse (empty when the server has no dataset). */
  entries: ExplorerEntry[];
  /** Reads the entry's record; NotFoundError for an unknown id. */
  readEntry(id: string): Promise<EcgRecord>;
  /**
   * Explains one record (the same object `ecg-tlc explain --json` prints). `background` marks
   * work nobody is waiting for (the dataset pass), which yields to users' requests.
   */
  explain(record: EcgRecord, opts?: { background?: boolean }): Promise<ExplanationView>;
  /** Several records in one engine call, when the explainer can (faster for the dataset pass). */
  explainBatch?(records: EcgRecord[], opts?: { background?: boolean }): Promise<ExplanationView[]>;
  close?(): void;
}

/** Classes whose output reaches its threshold (the network's thresholded prediction). */
export function predictedClasses(
  explainer: Pick<Explainer, "classes" | "thresholds">,
  outputs: Record<string, number>,
): string[] {
  if (explainer.classes.length === 1 && explainer.classes[0] === "age") return [];
  return explainer.classes.filter((c, i) => (outputs[c] ?? 0) >= (explainer.thresholds[i] ?? 0.5));
}

/** Runs of one cluster: the segments of a per-sample cluster sequence (end exclusive). */
export function segmentsOf(
  clusters: ArrayLike<number>,
  entropy: ArrayLike<number>,
): { start: number; end: number; cluster: number; entropy: number }[] {
  const out: { start: number; end: number; cluster: number; entropy: number }[] = [];
  let start = 0;
  let sum = 0;
  for (let i = 0; i < clusters.length; i++) {
    sum += entropy[i] ?? 0;
    if (i + 1 === clusters.length || clusters[i + 1] !== clusters[i]) {
      out.push({ start, end: i + 1, cluster: clusters[i], entropy: sum / (i + 1 - start) });
      start = i + 1;
      sum = 0;
    }
  }
  return out;
}

/** One block's view of an explanation: what the page draws. */
export interface BlockView {
  block: Block;
  clusters: number[];
  entropy: number[];
  proportions: number[];
  segments: { start: number; end: number; cluster: number; entropy: number }[];
  meanEntropy: number;
}

/** The clusters of one block (or the combined ones); NotFoundError when the block was not kept. */
export function selectBlock(e: ExplanationView, block: Block): BlockView {
  if (block === "combined") {
    return {
      block,
      clusters: e.clusters,
      entropy: e.entropy,
      proportions: e.proportions,
      segments: e.segments,
      meanEntropy: e.meanEntropy,
    };
  }
  const b = e.blocks?.[block];
  if (!b) {
    const kept = Object.keys(e.blocks ?? {}).join(", ") || "none";
    throw new NotFoundError(`block ${block} is not in this explanation (blocks: ${kept})`);
  }
  let sum = 0;
  for (const h of b.entropy) sum += h;
  return {
    block,
    clusters: b.clusters,
    entropy: b.entropy,
    proportions: b.proportions,
    segments: segmentsOf(b.clusters, b.entropy),
    meanEntropy: b.entropy.length ? sum / b.entropy.length : 0,
  };
}

/** Structural types of the model, TLC and dataset the real explainer needs (CONTRACTS.md). */
export interface ModelLike {
  config: { classes: string[]; thresholds: number[] };
}
export interface TlcLike<M extends ModelLike> {
  explain(model: M, record: EcgRecord): Promise<ExplanationView>;
  explainMany?(model: M, records: EcgRecord[]): Promise<ExplanationView[]>;
  k?: number;
  clusterWaves?: string[];
}
export interface DatasetLike<E extends ExplorerEntry> {
  entries: E[];
  read(entry: E): Promise<EcgRecord>;
  close(): void;
}

/** The real explainer: a loaded model, its fitted TLC and (optionally) a dataset to browse. */
export function createTlcExplainer<M extends ModelLike, E extends ExplorerEntry>(opts: {
  model: M;
  tlc: TlcLike<M>;
  k: number;
  dataset?: DatasetLike<E>;
  clusterWaves?: string[];
}): Explainer {
  const byId = new Map<string, E>();
  const queue = new EngineQueue();
  const { model, tlc } = opts;
  const priority = (o?: { background?: boolean }) => (o?.background ? "low" : "high");
  for (const e of opts.dataset?.entries ?? []) byId.set(e.id, e);
  return {
    classes: opts.model.config.classes,
    thresholds: opts.model.config.thresholds,
    k: opts.k,
    clusterWaves: opts.clusterWaves ?? opts.tlc.clusterWaves,
    entries: [...byId.values()].map((e) => ({
      id: e.id,
      labels: e.labels,
      fold: e.fold,
      age: e.age,
      sex: e.sex,
    })),
    async readEntry(id) {
      const entry = byId.get(id);
      if (!entry || !opts.dataset) throw new NotFoundError(`record '${id}' is not in the dataset`);
      return opts.dataset.read(entry);
    },
    explain: (record, o) => queue.run(() => tlc.explain(model, record), priority(o)),
    explainBatch: (records, o) =>
      queue.run(
        () =>
          tlc.explainMany
            ? tlc.explainMany(model, records)
            : Promise.all(records.map((r) => tlc.explain(model, r))),
        priority(o),
      ),
    close: () => opts.dataset?.close(),
  };
}
