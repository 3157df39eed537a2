/**
 * The explorer's view of "something that explains ECGs". The HTTP layer only talks to this
 * interface, so tests run the whole server with a fast fake and `ecg-tlc serve` plugs in the real
 * model + fitted TLC (createTlcExplainer below).
 */
import { NotFoundError, UsageError } from "../errors.js";
import { tapToSamples } from "../model/model.js";
import { checkPreparedWindow } from "../signal/window.js";
import type { PreparedSignal } from "../signal/preprocess.js";
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

/** TLC's clusters of all its taps together; the other blocks are one residual unit alone. */
export const COMBINED = "combined";

/** Grad-CAM of one output for one record: one value >= 0 per source sample. */
export interface GradcamMap {
  /** The tap (residual unit) the map was taken at, e.g. "B4". */
  tap: string;
  /** The output (class name) it explains. */
  target: string;
  samples: ArrayLike<number>;
}

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
  /**
   * Grad-CAM of output `target` (one of `classes`) at `tap` (one of `gradcamTaps`, default
   * `gradcamTap`), when the explainer's model provides it.
   */
  gradcam?(record: EcgRecord, target: string, tap?: string): Promise<GradcamMap>;
  /** Taps Grad-CAM can be taken at (the model's), and the one used when a request names none. */
  gradcamTaps?: string[];
  gradcamTap?: string;
  close?(): void;
}

/** What a user can choose in the explorer: "combined", then the explainer's own blocks. */
export function explainerBlocks(explainer: Pick<Explainer, "blocks">): string[] {
  return [COMBINED, ...explainer.blocks];
}

/** The output with the highest value (first of ties): the default Grad-CAM target. */
export function topClass(classes: string[], outputs: Record<string, number>): string {
  let best = classes[0];
  for (const c of classes) if ((outputs[c] ?? -Infinity) > (outputs[best] ?? -Infinity)) best = c;
  return best;
}

/** An age model's explainer: one output, years, nothing to threshold. */
export function isAgeExplainer(explainer: Pick<Explainer, "classes">): boolean {
  return explainer.classes.length === 1 && explainer.classes[0] === "age";
}

/** Classes whose output reaches its threshold (the network's thresholded prediction). */
export function predictedClasses(
  explainer: Pick<Explainer, "classes" | "thresholds">,
  outputs: Record<string, number>,
): string[] {
  if (isAgeExplainer(explainer)) return [];
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
  block: string;
  clusters: number[];
  entropy: number[];
  proportions: number[];
  segments: { start: number; end: number; cluster: number; entropy: number }[];
  meanEntropy: number;
}

/** The clusters of one block (or the combined ones); NotFoundError when the block was not kept. */
export function selectBlock(e: ExplanationView, block: string): BlockView {
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

/**
 * Structural types of the model, TLC and dataset the real explainer needs (CONTRACTS.md). A model
 * with `prepare` and `gradcam` (src/model's Model) gives the explorer Grad-CAM as well.
 */
export interface ModelLike {
  config: { classes: string[]; thresholds: number[]; taps?: string[] };
  prepare?(record: EcgRecord): PreparedSignal;
  gradcam?(input: Float32Array, tap: string, target: number): Promise<Float32Array>;
}
export interface TlcLike<M extends ModelLike> {
  explain(model: M, record: EcgRecord): Promise<ExplanationView>;
  explainMany?(model: M, records: EcgRecord[]): Promise<ExplanationView[]>;
  k?: number;
  clusterWaves?: (string | null)[];
  /** The per-block clusterings, by block name in tap order (src/tlc's Tlc.blockFits). */
  blockFits: Record<string, unknown>;
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
  clusterWaves?: (string | null)[];
  /** Default tap of the Grad-CAM maps (default: the model's last, where they are most faithful). */
  gradcamTap?: string;
}): Explainer {
  const byId = new Map<string, E>();
  const queue = new EngineQueue();
  const { model, tlc } = opts;
  const { classes } = model.config;
  const priority = (o?: { background?: boolean }) => (o?.background ? "low" : "high");
  for (const e of opts.dataset?.entries ?? []) byId.set(e.id, e);
  const { prepare, gradcam } = model;
  const taps = model.config.taps ?? [];
  const defaultTap = opts.gradcamTap ?? taps.at(-1);
  const gradcamOf =
    prepare && gradcam && defaultTap
      ? async (record: EcgRecord, target: string, tap = defaultTap): Promise<GradcamMap> => {
          const t = classes.indexOf(target);
          if (t < 0) {
            throw new UsageError(
              `Grad-CAM target '${target}' is not an output of this model (${classes.join(", ")})`,
            );
          }
          if (!taps.includes(tap)) {
            throw new UsageError(
              `Grad-CAM tap '${tap}' is not a tap of this model (${taps.join(", ")})`,
            );
          }
          return queue.run(async () => {
            const prepared = prepare.call(model, record);
            checkPreparedWindow(prepared, record.name); // no map for samples the network did not see
            const steps = await gradcam.call(model, prepared.signal, tap, t);
            return { tap, target, samples: tapToSamples(steps, prepared) };
          });
        }
      : undefined;
  return {
    classes,
    thresholds: model.config.thresholds,
    k: opts.k,
    clusterWaves: opts.clusterWaves ?? opts.tlc.clusterWaves,
    blocks: Object.keys(tlc.blockFits),
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
    gradcam: gradcamOf,
    gradcamTaps: gradcamOf ? [...taps] : undefined,
    gradcamTap: gradcamOf ? defaultTap : undefined,
    close: () => opts.dataset?.close(),
  };
}
