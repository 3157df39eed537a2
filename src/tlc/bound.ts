/**
 * A fitted explainer bound to its model (`tlc.bind(model)`): the model is checked once, then
 * `explain(records)` turns ECGs into explanations with one forward call per batch.
 */
import {
  predictedLabels,
  segmentsOf,
  stepOfSamples,
  type BoundExplainer,
  type Explanation,
} from "../explain/explanation.js";
import type { ModelFace } from "../model/face.js";
import type { PreparedSignal } from "../signal/preprocess.js";
import { checkPreparedWindow, checkWindow } from "../signal/window.js";
import type { EcgRecord } from "../types.js";
import type { SoftAssignment } from "./assign.js";
import type { CompositeLayout } from "./features.js";
import type { ClusterFit } from "./fit.js";
import { assignLeaves, leafNames, type StateLevel } from "./states.js";
import { prepareRecords, type PreparedBatch, type TapBatch } from "./stream.js";
import { hardProportions, softProportions } from "./segments.js";

/** The wave level of one ECG of a forwarded batch (`Tlc.waveAssignments`). */
export interface WaveAssignments {
  prepared: PreparedSignal;
  /** Kept fine steps [first, end). */
  range: { first: number; end: number };
  outputs: Float32Array;
  /** Soft assignment of the kept steps to the composite clusters. */
  main: SoftAssignment;
  /** ... and to each block's clusters. */
  blocks: Record<string, SoftAssignment>;
}

/** What a bound explainer reads of its fitted TLC (`Tlc` is one). */
export interface FittedTlc {
  readonly k: number;
  readonly layout: CompositeLayout;
  readonly main: ClusterFit;
  readonly blockFits: Record<string, ClusterFit>;
  readonly options: { taps: string[] };
  readonly clusterWaves?: (string | null)[];
  readonly states?: StateLevel;
  forwardTaps(model: ModelFace, records: readonly EcgRecord[]): Promise<TapBatch<unknown>>;
  forwardPrepared(model: ModelFace, batch: PreparedBatch): Promise<TapBatch<unknown>>;
  waveAssignments(
    model: ModelFace,
    batch: TapBatch<unknown>,
    i: number,
    opts?: { blocks?: boolean; scratch?: Float32Array },
  ): WaveAssignments;
}

export class TlcExplainer implements BoundExplainer {
  /** The composite vectors of one ECG when they are built whole (reused). */
  private scratch?: Float32Array;

  constructor(
    readonly tlc: FittedTlc,
    readonly model: ModelFace,
  ) {}

  get k(): number {
    return this.tlc.k;
  }
  get taps(): string[] {
    return this.tlc.options.taps;
  }
  get blocks(): string[] {
    return Object.keys(this.tlc.blockFits);
  }
  get clusterWaves(): (string | null)[] | undefined {
    return this.tlc.clusterWaves;
  }
  /** States per wave cluster (empty for a single-level explainer). */
  get statesPerWave(): number[] {
    return this.tlc.states?.fits.map((f) => f.k) ?? [];
  }
  /** Each leaf's name ("QRS · CD-like"), when the explainer has states. */
  get leafNames(): string[] | undefined {
    return this.tlc.states && leafNames(this.tlc.states, this.tlc.clusterWaves);
  }

  /**
   * Explains several ECGs with one forward call (segmentation, entropy, proportions, blocks).
   * Never a cluster for a sample the network did not see: longer records are refused.
   */
  async explain(records: readonly EcgRecord[]): Promise<Explanation[]> {
    return [...this.explainForwarded(await this.forward(records))];
  }

  /**
   * The network's part of `explain`: window checks, preprocessing, one forward call. A pipeline
   * starts the next batch's forward with it before `explainForwarded` works on this one.
   */
  async forward(records: readonly EcgRecord[]): Promise<TapBatch<unknown>> {
    return this.forwardPrepared(this.prepare(records));
  }

  /** `forward` in two steps (a pipeline prepares the next batch while this one is in the network). */
  prepare(records: readonly EcgRecord[]): PreparedBatch {
    for (const r of records) checkWindow(r, this.model.config.preprocessing);
    return prepareRecords(this.model, records);
  }

  forwardPrepared(batch: PreparedBatch): Promise<TapBatch<unknown>> {
    return this.tlc.forwardPrepared(this.model, batch);
  }

  /** The rest of `explain`, one ECG at a time (composite vectors, when built, in one buffer). */
  *explainForwarded(batch: TapBatch<unknown>): Generator<Explanation> {
    const { records, prepared } = batch;
    prepared.forEach((p, i) => checkPreparedWindow(p, records[i].path ?? records[i].name));
    const { layout } = this.tlc;
    this.scratch ??= new Float32Array(layout.fineSteps * layout.dims);
    for (let i = 0; i < records.length; i++) {
      const w = this.tlc.waveAssignments(this.model, batch, i, { scratch: this.scratch });
      yield this.explainWaves(records[i], w, batch, i);
    }
  }

  /** Explains one ECG. */
  async explainOne(record: EcgRecord): Promise<Explanation> {
    return (await this.explain([record]))[0];
  }

  private explainWaves(
    record: EcgRecord,
    f: WaveAssignments,
    batch: TapBatch<unknown>,
    item: number,
  ): Explanation {
    const { layout, main, blockFits, states } = this.tlc;
    const rows = f.range.end - f.range.first;
    const stepOf = stepOfSamples(f.prepared, layout.fineSteps, f.range);
    const first = f.range.first;
    const perSample = (s: SoftAssignment) => {
      const n = stepOf.length;
      const clusters = new Array<number>(n);
      const entropy = new Array<number>(n);
      for (let i = 0; i < n; i++) {
        const r = stepOf[i] - first;
        clusters[i] = s.labels[r];
        entropy[i] = s.entropy[r];
      }
      return { s, clusters, entropy };
    };
    const { s, clusters, entropy } = perSample(f.main);
    let meanEntropy = 0;
    for (let r = 0; r < rows; r++) meanEntropy += s.entropy[r];
    const { config } = this.model;
    const outputs: Record<string, number> = {};
    config.classes.forEach((c, j) => (outputs[c] = f.outputs[j]));
    const out: Explanation = {
      record: record.name,
      fs: record.fs,
      samples: record.samples,
      outputs,
      labels: predictedLabels(config, f.outputs),
      clusters,
      entropy,
      segments: segmentsOf(clusters, entropy),
      proportions: hardProportions(s.labels, main.k),
      softProportions: softProportions(s.probs, rows, main.k),
      meanEntropy: rows ? meanEntropy / rows : 0,
    };
    if (states) {
      const wave = { fineSteps: layout.fineSteps, range: f.range, waves: s };
      const a = assignLeaves(states, batch, item, wave);
      const n = stepOf.length;
      const perState = new Array<number>(n);
      const perLeaf = new Array<number>(n);
      const stateEntropy = new Array<number>(n);
      let mean = 0;
      for (let i = 0; i < n; i++) {
        const r = stepOf[i] - first;
        perState[i] = a.states[r];
        perLeaf[i] = a.leaves[r];
        stateEntropy[i] = a.entropy[r];
      }
      for (let r = 0; r < rows; r++) mean += a.entropy[r];
      out.states = perState;
      out.leaves = perLeaf;
      out.stateEntropy = stateEntropy;
      out.leafProportions = a.proportions;
      out.softLeafProportions = a.softProportions;
      out.meanStateEntropy = rows ? mean / rows : 0;
    }
    const names = Object.keys(blockFits);
    if (names.length) {
      out.blocks = {};
      for (const name of names) {
        const c = blockFits[name];
        const b = perSample(f.blocks[name]);
        out.blocks[name] = {
          clusters: b.clusters,
          entropy: b.entropy,
          proportions: hardProportions(b.s.labels, c.k),
        };
      }
    }
    return out;
  }
}

/**
 * Explains records given by path (or any key `read` understands) in batches, reading the next
 * batch while the current one is in the network; yields each record with its explanation, in
 * input order.
 */
export async function* explainRecords<K>(
  explainer: Pick<BoundExplainer, "explain">,
  keys: K[],
  read: (key: K) => EcgRecord | Promise<EcgRecord>,
  batch = 16,
): AsyncGenerator<{ record: EcgRecord; explanation: Explanation }> {
  const load = (ks: K[]) => {
    const p = Promise.all(ks.map(async (k) => read(k)));
    p.catch(() => {}); // read ahead: the error surfaces when this batch is awaited
    return p;
  };
  let next = keys.length ? load(keys.slice(0, batch)) : null;
  for (let s = 0; s < keys.length; s += batch) {
    const records = await next!;
    next = s + batch < keys.length ? load(keys.slice(s + batch, s + 2 * batch)) : null;
    const explanations = await explainer.explain(records);
    for (let i = 0; i < records.length; i++)
      yield { record: records[i], explanation: explanations[i] };
  }
}
