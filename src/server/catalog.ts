/**
 * The dataset as the explorer browses it: entries, plus what the network said about each one
 * (prediction, mean entropy) filled in by a background pass, so that the list can be filtered by
 * "prediction vs label" and by entropy. Opened records, and the Grad-CAM maps asked of them, are
 * kept in small LRU caches.
 */
import { NotFoundError } from "../errors.js";
import type { EcgRecord } from "../types.js";
import { isAgeModel, predictedLabels, topClass, type Explanation } from "../explain/explanation.js";
import {
  COMBINED,
  explainerBlocks,
  type Explainer,
  type ExplorerEntry,
  type ExplorerGradcam,
} from "./explainer.js";
import { PromiseLru } from "./lru.js";
import { WaveLabeller } from "./wave-labeller.js";
import { WaveTally } from "../eval/cluster-waves.js";

export interface RecordSummary extends ExplorerEntry {
  /** Thresholded prediction, once the background pass reached this record. */
  predicted?: string[];
  outputs?: Record<string, number>;
  meanEntropy?: number;
  /** Prediction equals the label set (classification only). */
  correct?: boolean;
}

export interface RecordQuery {
  /** Keep records labelled with this class ("none" keeps records without any label). */
  class?: string;
  fold?: number;
  /** "correct": prediction equals labels; "incorrect": it does not (indexed records only). */
  match?: "correct" | "incorrect";
  minEntropy?: number;
  maxEntropy?: number;
  sort?: "id" | "entropy" | "-entropy";
  offset?: number;
  limit?: number;
}

export interface RecordPage {
  total: number;
  offset: number;
  limit: number;
  /** How many records the background pass has explained so far, of `records`. */
  indexed: number;
  records: number;
  items: RecordSummary[];
}

export interface ExplainedRecord {
  record: EcgRecord;
  explanation: Explanation;
}

function sameSet(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  const s = new Set(a);
  return b.every((x) => s.has(x));
}

export class RecordCatalog {
  private readonly summaries: RecordSummary[];
  private readonly byId = new Map<string, RecordSummary>();
  private readonly cache: PromiseLru<ExplainedRecord>;
  private readonly gradcams: PromiseLru<ExplorerGradcam>;
  private indexedCount = 0;
  private stopped = false;
  private indexing: Promise<void> | null = null;
  /** Delineates records off the server's thread, for the cluster names. */
  private readonly labeller = new WaveLabeller();
  /** Cluster x wave tables pooled over the records of the background pass. */
  readonly waves: WaveTally;
  /** The blocks whose cluster names the background pass learns. */
  private readonly tallied: readonly string[];
  /** "combined" and the explainer's own blocks: what a user can choose between. */
  readonly blocks: string[];
  /**
   * Whether the dataset labels its records with the model's classes (PTB-XL's superclasses for a
   * superclass model), so that "prediction = label" means something; CinC's SNOMED codes do not.
   */
  readonly labelsComparable: boolean;

  constructor(
    private readonly explainer: Explainer,
    cacheSize = 24,
  ) {
    this.summaries = explainer.entries.map((e) => ({ ...e }));
    for (const s of this.summaries) this.byId.set(s.id, s);
    this.blocks = explainerBlocks(explainer);
    const classes = new Set(explainer.classes);
    this.labelsComparable =
      !isAgeModel(explainer) && explainer.entries.some((e) => e.labels.some((l) => classes.has(l)));
    // Names the explainer brings (stored by `ecg-tlc fit`) are not learnt again: the blocks' are.
    this.tallied = explainer.clusterWaves ? this.blocks.filter((b) => b !== COMBINED) : this.blocks;
    this.waves = new WaveTally(explainer.k, this.tallied);
    this.cache = new PromiseLru(cacheSize);
    // a map is one value per sample: twice as many as explanations cost less memory than those
    this.gradcams = new PromiseLru(2 * cacheSize);
  }

  /**
   * The wave each cluster of a block aligns with: the explainer's own names when it has them
   * (combined clusters), else what the background pass has learnt so far (null: not yet known).
   */
  clusterWaves(block = COMBINED): (string | null)[] | null {
    if (block === COMBINED && this.explainer.clusterWaves) return this.explainer.clusterWaves;
    return this.waves.names(block) ?? null;
  }

  /** Wave names of every block the explainer holds, keyed by block. */
  blockWaves(): Record<string, (string | null)[] | null> {
    return Object.fromEntries(this.blocks.map((b) => [b, this.clusterWaves(b)]));
  }

  /** Delineates a record in the labeller's thread and pools its clusters by wave. */
  private async tally(record: EcgRecord, e: Explanation): Promise<void> {
    if (this.tallied.length === 0 || this.waves.full) return;
    try {
      const labels = await this.labeller.labels(record);
      if (labels && !this.stopped) this.waves.addLabels(labels, e);
    } catch {
      // naming clusters is a nicety: a record the delineator cannot handle is just not counted
    }
  }

  get indexed(): number {
    return this.indexedCount;
  }

  /**
   * Explains every entry once in the background, `batch` records per engine call: small enough
   * that a user's request (which goes before it in the engine queue) waits at most one batch.
   */
  startIndexing(batch = 4): Promise<void> {
    if (!this.indexing) {
      this.indexing = (async () => {
        const todo = this.summaries.filter((s) => s.meanEntropy === undefined);
        for (let i = 0; i < todo.length && !this.stopped; i += batch) {
          const group = todo.slice(i, i + batch).filter((s) => s.meanEntropy === undefined);
          const records: EcgRecord[] = [];
          const readable: RecordSummary[] = [];
          for (const s of group) {
            try {
              records.push(await this.explainer.readEntry(s.id));
              readable.push(s);
            } catch {
              // an unreadable record stays unindexed; opening it reports the error to the user
            }
          }
          if (records.length === 0) continue;
          try {
            const done = this.explainer.explainBatch
              ? await this.explainer.explainBatch(records, { background: true })
              : await Promise.all(
                  records.map((r) => this.explainer.explain(r, { background: true })),
                );
            for (let j = 0; j < done.length; j++) {
              this.note(readable[j], done[j]);
              await this.tally(records[j], done[j]);
            }
          } catch {
            // one bad record fails its batch: retry those one by one
            for (let j = 0; j < records.length; j++) {
              try {
                const e = await this.explainer.explain(records[j], { background: true });
                this.note(readable[j], e);
                await this.tally(records[j], e);
              } catch {
                // stays unindexed
              }
            }
          }
          await new Promise<void>((r) => setImmediate(r));
        }
      })();
    }
    return this.indexing;
  }

  stop(): void {
    this.stopped = true;
    this.labeller.close();
  }

  private note(s: RecordSummary, e: Explanation): void {
    if (s.meanEntropy === undefined) this.indexedCount++;
    s.outputs = e.outputs;
    s.meanEntropy = e.meanEntropy;
    if (!isAgeModel(this.explainer)) {
      s.predicted = predictedLabels(this.explainer, e.outputs);
      if (this.labelsComparable) s.correct = sameSet(s.predicted, s.labels);
    }
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  query(q: RecordQuery = {}): RecordPage {
    const offset = Math.max(0, q.offset ?? 0);
    const limit = Math.min(500, Math.max(1, q.limit ?? 50));
    let list = this.summaries.filter((s) => {
      if (q.class !== undefined) {
        if (q.class === "none" ? s.labels.length > 0 : !s.labels.includes(q.class)) return false;
      }
      if (q.fold !== undefined && s.fold !== q.fold) return false;
      if (q.match !== undefined) {
        if (s.correct === undefined) return false;
        if (s.correct !== (q.match === "correct")) return false;
      }
      if (q.minEntropy !== undefined || q.maxEntropy !== undefined) {
        if (s.meanEntropy === undefined) return false;
        if (q.minEntropy !== undefined && s.meanEntropy < q.minEntropy) return false;
        if (q.maxEntropy !== undefined && s.meanEntropy > q.maxEntropy) return false;
      }
      return true;
    });
    if (q.sort === "entropy" || q.sort === "-entropy") {
      const sign = q.sort === "entropy" ? 1 : -1;
      // unindexed records (no entropy yet) go last either way
      list = [...list].sort(
        (a, b) =>
          (a.meanEntropy === undefined ? 1 : 0) - (b.meanEntropy === undefined ? 1 : 0) ||
          sign * ((a.meanEntropy ?? 0) - (b.meanEntropy ?? 0)),
      );
    }
    return {
      total: list.length,
      offset,
      limit,
      indexed: this.indexedCount,
      records: this.summaries.length,
      items: list.slice(offset, offset + limit),
    };
  }

  private async explainUncached(id: string): Promise<ExplainedRecord> {
    // many records asked at once are read one macrotask each, not in one long microtask run
    await new Promise<void>((r) => setImmediate(r));
    const record = await this.explainer.readEntry(id);
    const explanation = await this.explainer.explain(record);
    return { record, explanation };
  }

  /** The record and its explanation, from the cache or computed (concurrent asks share one run). */
  async explained(id: string): Promise<ExplainedRecord> {
    const s = this.byId.get(id);
    if (!s) throw new NotFoundError(`record '${id}' is not in the dataset`);
    const r = await this.cache.get(id, () => this.explainUncached(id));
    this.note(s, r.explanation);
    return r;
  }

  /**
   * Grad-CAM of a record for `target` (default: its top class) at `tap` (default: the
   * explainer's), from the cache or computed. The record comes from the explanation cache, so
   * opening an ECG with its map reads it once.
   */
  async gradcam(id: string, target?: string, tap?: string): Promise<ExplorerGradcam> {
    const explainer = this.explainer;
    if (!explainer.gradcam)
      throw new NotFoundError("Grad-CAM is not available from this explainer");
    const { record, explanation } = await this.explained(id);
    const t = target ?? topClass(explainer.classes, explanation.outputs);
    const at = tap ?? explainer.gradcamTap;
    return this.gradcams.get(`${id}\n${t}\n${at}`, () => explainer.gradcam!(record, t, at));
  }
}
