/**
 * The explorer's view of "something that explains ECGs". The HTTP layer only talks to this
 * interface, so tests run the whole server with a fast fake and `ecg-tlc serve` plugs in the real
 * model + fitted TLC (createTlcExplainer below).
 */
import { NotFoundError } from "../errors.js";
import {
  defaultGradcamTap,
  segmentsOf,
  type BoundExplainer,
  type Explanation,
  type Segment,
} from "../explain/explanation.js";
import { checkTap, gradcamRecord, targetIndex, type GradcamMap } from "../explain/gradcam.js";
import { leavesOf, type Leaves } from "../explain/levels.js";
import type { EcgRecord } from "../types.js";
import type { RecordSource } from "../io/datasets/types.js";
import { EngineQueue } from "./queue.js";

/** TLC's clusters of all its taps together; the other blocks are one residual unit alone. */
export const COMBINED = "combined";

/** Grad-CAM of one output for one record, as the explorer sends it: per source sample. */
export type ExplorerGradcam = Pick<GradcamMap, "tap" | "target" | "samples">;

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
  clusterWaves?: (string | null)[];
  /**
   * Names of the per-block clusterings the explainer holds, in tap order (e.g. ["B1", "B2"]);
   * empty when it was fitted without them. A user chooses between these and "combined".
   */
  blocks: string[];
  /**
   * A two-level explainer's leaves (wave cluster · state), index = leaf: its explanations carry
   * `leaves` and `stateEntropy` per sample, and the page offers the state view.
   */
  leaves?: Leaves;
  /** Dataset entries to browse (empty when the server has no dataset). */
  entries: ExplorerEntry[];
  /** Reads the entry's record; NotFoundError for an unknown id. */
  readEntry(id: string): Promise<EcgRecord>;
  /**
   * Explains one record (the same object `ecg-tlc explain --json` prints). `background` marks
   * work nobody is waiting for (the dataset pass), which yields to users' requests.
   */
  explain(record: EcgRecord, opts?: { background?: boolean }): Promise<Explanation>;
  /** Several records in one engine call, when the explainer can (faster for the dataset pass). */
  explainBatch?(records: EcgRecord[], opts?: { background?: boolean }): Promise<Explanation[]>;
  /**
   * Grad-CAM of output `target` (one of `classes`) at `tap` (one of `gradcamTaps`, default
   * `gradcamTap`), when the explainer's model provides it.
   */
  gradcam?(record: EcgRecord, target: string, tap?: string): Promise<ExplorerGradcam>;
  /** Taps Grad-CAM can be taken at (the model's), and the one used when a request names none. */
  gradcamTaps?: string[];
  gradcamTap?: string;
  close?(): void;
}

/** What a user can choose in the explorer: "combined", then the explainer's own blocks. */
export function explainerBlocks(explainer: Pick<Explainer, "blocks">): string[] {
  return [COMBINED, ...explainer.blocks];
}

/** One block's view of an explanation: what the page draws. */
export interface BlockView {
  block: string;
  clusters: number[];
  entropy: number[];
  proportions: number[];
  segments: Segment[];
  meanEntropy: number;
}

/** The clusters of one block (or the combined ones); NotFoundError when the block was not kept. */
export function selectBlock(e: Explanation, block: string): BlockView {
  if (block === COMBINED) {
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

/** What the explorer needs of a dataset to browse (src/io's Dataset is one). */
export interface BrowsedDataset<E extends ExplorerEntry> extends RecordSource<E> {
  entries: E[];
  close(): void;
}

/** The real explainer: an explainer bound to its model and (optionally) a dataset to browse. */
export function createTlcExplainer<E extends ExplorerEntry>(opts: {
  explainer: BoundExplainer;
  dataset?: BrowsedDataset<E>;
  /** Default tap of the Grad-CAM maps (default: `defaultGradcamTap`, the model's last). */
  gradcamTap?: string;
}): Explainer {
  const byId = new Map<string, E>();
  const queue = new EngineQueue();
  const { explainer } = opts;
  const { model } = explainer;
  const { classes, taps } = model.config;
  const priority = (o?: { background?: boolean }) => (o?.background ? "low" : "high");
  for (const e of opts.dataset?.entries ?? []) byId.set(e.id, e);
  const defaultTap = checkTap(model.config, opts.gradcamTap ?? defaultGradcamTap(model));
  const gradcam = async (record: EcgRecord, target: string, tap = defaultTap) => {
    // Checked before the queue: a wrong request fails at once.
    const t = targetIndex(model.config, target);
    checkTap(model.config, tap, "tap");
    // Errors name the record, not where an upload was written.
    const { path: _path, ...named } = record;
    return queue.run(() => gradcamRecord(model, named, { tap, target: t }));
  };
  return {
    classes,
    thresholds: model.config.thresholds,
    k: explainer.k,
    clusterWaves: explainer.clusterWaves,
    blocks: explainer.blocks,
    leaves: leavesOf(explainer),
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
    explain: (record, o) =>
      queue.run(async () => (await explainer.explain([record]))[0], priority(o)),
    explainBatch: (records, o) => queue.run(() => explainer.explain(records), priority(o)),
    gradcam,
    gradcamTaps: [...taps],
    gradcamTap: defaultTap,
    close: () => opts.dataset?.close(),
  };
}
