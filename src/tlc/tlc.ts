/**
 * The fitted TLC explainer (scikit-learn's estimator shape): `Tlc.fit` on a dataset, `explain` any
 * ECG, `toJSON`/`fromJSON` to persist. Tied to the model it was fitted on by its fingerprint:
 * `bind(model)` checks it once and returns the explainer that explains ECGs.
 */
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { EcgFormatError, ModelMismatchError, NotFoundError } from "../errors.js";
import type { RecordSource } from "../io/datasets/types.js";
import type { ModelFace } from "../model/face.js";
import type { ClusterWaves, EcgRecord } from "../types.js";
import { TlcExplainer, type WaveAssignments } from "./bound.js";
import {
  composite,
  compositeDistances,
  keptSteps,
  type CentroidSet,
  type CompositeLayout,
  type CompositeSpec,
  type RecordFeatures,
} from "./features.js";
import {
  fitSample,
  fitState,
  fitStates,
  resolveOptions,
  type ClusterFit,
  type FitState,
  type ResolvedOptions,
  type TlcOptions,
  type VectorSample,
  defaultTaps,
} from "./fit.js";
import { softAssign, type SoftAssignment } from "./assign.js";
import { softmaxRows } from "./softmax.js";
import { partsFromJson, partsToJson, type TlcJson, type TlcParts } from "./json.js";
import { defaultStateTaps, type WavePass, type WaveSteps } from "./state-pass.js";
import { fitStateLevel, leafNames, type StateLevel, type StateOptions } from "./states.js";
import { forwardPrepared, prepareRecords, type PreparedBatch, type TapBatch } from "./stream.js";

/** Fit options of a two-level explainer: the wave level's, and the states' (`false`: none). */
export interface TwoLevelOptions extends TlcOptions {
  /**
   * The second level, states within each wave cluster (default: fitted when the model has the
   * state taps, DEFAULT_STATES_PER_WAVE per wave on its last tap); `false` gives the single-level, paper-style explainer.
   */
  states?: StateOptions | false;
}

export class Tlc {
  readonly fingerprint: string;
  readonly layout: CompositeLayout;
  readonly spec: CompositeSpec;
  readonly main: ClusterFit;
  readonly blockFits: Record<string, ClusterFit>;
  readonly options: ResolvedOptions;
  readonly info: TlcParts["info"];
  /** What each cluster stands for (see `withClusterWaves`). */
  readonly waves?: ClusterWaves;
  /** The second level: states within each wave cluster (absent: a single-level explainer). */
  readonly states?: StateLevel;
  private sets?: CentroidSet[];

  private constructor(parts: TlcParts) {
    this.fingerprint = parts.fingerprint;
    this.layout = parts.layout;
    this.spec = parts.spec;
    this.main = parts.main;
    this.blockFits = parts.blockFits;
    this.options = parts.options;
    this.info = parts.info;
    this.waves = parts.waves;
    this.states = parts.states;
  }

  /** The wave each cluster stands for (P, QRS, T, TP; null: no sample), when the file has them. */
  get clusterWaves(): (string | null)[] | undefined {
    return this.waves?.names;
  }

  /** This explainer with its clusters named (`nameClusters` in src/eval/cluster-waves.ts). */
  withClusterWaves(waves: ClusterWaves): Tlc {
    if (waves.names.length !== this.k)
      throw new RangeError(`${waves.names.length} cluster names for K = ${this.k}`);
    return new Tlc({ ...this.parts(), waves });
  }

  /** This explainer with its states named (`nameStates` in src/eval/state-names.ts). */
  withStateNames(names: string[][]): Tlc {
    if (!this.states) throw new RangeError("a single-level explainer has no states to name");
    if (names.length !== this.k || names.some((n, w) => n.length !== this.states!.fits[w].k))
      throw new RangeError("state names do not match the states");
    return new Tlc({ ...this.parts(), states: { ...this.states, names } });
  }

  /** Leaves (wave, state) of a two-level explainer; 0 for a single-level one. */
  get leaves(): number {
    return this.states ? this.states.fits.reduce((n, f) => n + f.k, 0) : 0;
  }

  /** Each leaf's name ("QRS · CD-like"), for a two-level explainer. */
  get leafNames(): string[] | undefined {
    return this.states && leafNames(this.states, this.clusterWaves);
  }

  private parts(): TlcParts {
    const { fingerprint, layout, spec, main, blockFits, options, info, waves, states } = this;
    return { fingerprint, layout, spec, main, blockFits, options, info, waves, states };
  }

  /** Number of clusters K. */
  get k(): number {
    return this.main.k;
  }
  get dims(): number {
    return this.layout.dims;
  }
  get inertia(): number {
    return this.main.inertia;
  }
  get sigma2(): number {
    return this.main.sigma2;
  }

  /**
   * Fits TLC on `entries` of `dataset` through `model` (see fit.ts for memory bounds): the wave
   * clusters, then (unless `states: false`) the states within each wave, one more pass.
   */
  static async fit<E>(
    model: ModelFace,
    dataset: RecordSource<E>,
    entries: E[],
    opts: TwoLevelOptions = {},
  ): Promise<Tlc> {
    const { states, ...waveOpts } = opts;
    const s: FitState = await fitState(model, dataset, entries, waveOpts);
    const tlc = Tlc.fromState(model, s, waveOpts);
    const stateTaps = states === false ? [] : (states?.taps ?? defaultStateTaps(model));
    if (states === false || !stateTaps.every((t) => model.config.taps.includes(t))) return tlc;
    const t0 = performance.now();
    const level = await fitStateLevel(model, dataset, entries, tlc.wavePass(model), {
      seed: opts.seed,
      threads: opts.threads,
      batch: opts.batch,
      onProgress: opts.onProgress,
      ...states,
    });
    return tlc.withStates(level, (performance.now() - t0) / 1000);
  }

  /** What the state pass reads of this explainer's waves (each step's wave, on the fine grid). */
  wavePass(model: ModelFace): WavePass {
    return {
      k: this.k,
      taps: this.layout.taps,
      scratchSize: this.layout.fineSteps * this.layout.dims,
      steps: (batch, i, scratch) => this.waveSteps(model, batch, i, scratch),
    };
  }

  /**
   * This explainer's waves with `states` as their second level (replacing any it had), the fit's
   * time grown by `seconds`.
   */
  withStates(states: StateLevel, seconds = 0): Tlc {
    const info = { ...this.info, seconds: this.info.seconds + seconds };
    return new Tlc({ ...this.parts(), states, info });
  }

  /**
   * One explainer per K in `ks`, every other option shared (fidelity by K): the training ECGs go
   * through the model once and their composite vectors are clustered for each K. The wave level
   * only (no states).
   */
  static async fitEach<E>(
    model: ModelFace,
    dataset: RecordSource<E>,
    entries: E[],
    ks: number[],
    opts: TlcOptions = {},
  ): Promise<Tlc[]> {
    const states = await fitStates(model, dataset, entries, opts, ks);
    return states.map((s, i) => Tlc.fromState(model, s, { ...opts, k: ks[i] }));
  }

  /**
   * Explainers like this one (taps, scaling, block weights, variance, seed, restarts) but with
   * other K, fitted on `entries` in one pass through the model (fidelity by K). Without per-block
   * fits; `maxPoints` defaults to this explainer's.
   */
  refitEach<E>(
    model: ModelFace,
    dataset: RecordSource<E>,
    entries: E[],
    ks: number[],
    opts: { maxPoints?: number; onProgress?: TlcOptions["onProgress"] } = {},
  ): Promise<Tlc[]> {
    // Every setting carries over but K, the per-block fits and the sample size.
    const { k: _k, blocks: _blocks, maxPoints, ...same } = this.options;
    return Tlc.fitEach(model, dataset, entries, ks, {
      ...same,
      maxPoints: opts.maxPoints ?? maxPoints ?? Infinity,
      blocks: false,
      onProgress: opts.onProgress,
    });
  }

  /** Clusters a vector sample (the merged samples of a sharded fit) into an explainer. */
  static async fitSample(
    model: ModelFace,
    sample: VectorSample,
    opts: TlcOptions = {},
  ): Promise<Tlc> {
    const o = { ...opts, taps: opts.taps ?? defaultTaps(model) };
    return Tlc.fromState(model, await fitSample(sample, o), o);
  }

  private static fromState(model: ModelFace, s: FitState, opts: TlcOptions): Tlc {
    return new Tlc({
      fingerprint: model.fingerprint,
      layout: s.layout,
      spec: s.spec,
      main: s.main,
      blockFits: s.blocks,
      options: resolveOptions(opts, model),
      info: {
        points: s.points,
        records: s.records,
        seconds: s.seconds,
        preset: model.config.preset,
        classes: model.config.classes,
      },
    });
  }

  /** Refuses a model other than the one the explainer was fitted on. */
  checkModel(model: ModelFace): void {
    if (model.fingerprint !== this.fingerprint) {
      throw new ModelMismatchError(
        `the explainer was fitted on model ${this.fingerprint.slice(0, 12)}, not on ${model.dir ?? "this model"} (${model.fingerprint.slice(0, 12)}): fit it again on this model`,
      );
    }
  }

  /** Composite vectors of a batch of records (one forward call). */
  async features(model: ModelFace, records: readonly EcgRecord[]): Promise<RecordFeatures[]> {
    const batch = await this.forwardTaps(model, records);
    return batch.prepared.map((_, i) => this.featuresOf(model, batch, i));
  }

  /** The taps a forward call must return: the waves' and the states'. */
  get forwardTapNames(): string[] {
    return [...new Set([...this.layout.taps, ...(this.states?.layout.taps ?? [])])];
  }

  /** The network's part of `features`: preprocessing and one forward call with this TLC's taps. */
  async forwardTaps(model: ModelFace, records: readonly EcgRecord[]): Promise<TapBatch<unknown>> {
    return this.forwardPrepared(model, prepareRecords(model, records));
  }

  /** `forwardTaps` on records already preprocessed (`prepareRecords`). */
  async forwardPrepared(model: ModelFace, batch: PreparedBatch): Promise<TapBatch<unknown>> {
    this.checkModel(model);
    return forwardPrepared(model, batch, this.forwardTapNames);
  }

  /** The wave level's soft assignment of item `i` of a forwarded batch (what the states read). */
  waveSteps(
    model: ModelFace,
    batch: TapBatch<unknown>,
    i: number,
    scratch?: Float32Array,
  ): WaveSteps {
    const a = this.waveAssignments(model, batch, i, { blocks: false, scratch });
    return { fineSteps: this.layout.fineSteps, range: a.range, waves: a.main };
  }

  /**
   * The wave level of item `i` of a forwarded batch: the soft assignment of its kept fine steps to
   * the composite clusters and (unless `blocks: false`) to each block's, every clustering reading
   * the composite vectors (in `scratch` when given) while they are in cache when the native
   * kernels can (`compositeDistances`); the results are the same bits either way.
   */
  waveAssignments(
    model: ModelFace,
    batch: TapBatch<unknown>,
    i: number,
    opts: { blocks?: boolean; scratch?: Float32Array } = {},
  ): WaveAssignments {
    const C = model.config.classes.length;
    const prepared = batch.prepared[i];
    const range = keptSteps(this.layout.fineSteps, prepared);
    const outputs = batch.outputs.subarray(i * C, (i + 1) * C);
    const fits: [string | null, ClusterFit][] = [[null, this.main]];
    if (opts.blocks !== false)
      for (const [name, c] of Object.entries(this.blockFits)) fits.push([name, c]);
    const sets = this.centroidSets(fits.length);
    const rows = range.end - range.first;
    let assigned: SoftAssignment[];
    const d = compositeDistances(this.layout, this.spec, batch.taps, i, range, sets, opts.scratch);
    if (d)
      assigned = d.map(({ d2, repeats }, s) => {
        const labels = new Int32Array(rows);
        const entropy = new Float64Array(rows);
        softmaxRows(d2, repeats, rows, sets[s].k, fits[s][1].sigma2, labels, entropy);
        return { labels, probs: d2, entropy };
      });
    else {
      const x = composite(this.layout, this.spec, batch.taps, i, range, opts.scratch);
      assigned = fits.map(([name, c]) =>
        softAssign(x, rows, this.dims, c.centroids, c.k, c.sigma2, name ? c.columns : undefined),
      );
    }
    const blocks: Record<string, SoftAssignment> = {};
    fits.forEach(([name], s) => {
      if (name) blocks[name] = assigned[s];
    });
    return { prepared, range, outputs, main: assigned[0], blocks };
  }

  /** The composite's centroids and each block's, as the distance kernels take them. */
  private centroidSets(n: number): CentroidSet[] {
    this.sets ??= [this.main, ...Object.values(this.blockFits)].map((c, s) => ({
      c0: s ? c.columns[0] : 0,
      w: s ? c.columns[1] - c.columns[0] : this.dims,
      k: c.k,
      centroids: Float64Array.from(c.centroids),
    }));
    return this.sets.slice(0, n);
  }

  /**
   * The composite vectors of item `i` of a forwarded batch (into `scratch`, at least fineSteps x
   * dims values, when given).
   */
  featuresOf(
    model: ModelFace,
    batch: TapBatch<unknown>,
    i: number,
    scratch?: Float32Array,
  ): RecordFeatures {
    const C = model.config.classes.length;
    const prepared = batch.prepared[i];
    const range = keptSteps(this.layout.fineSteps, prepared);
    const x = composite(this.layout, this.spec, batch.taps, i, range, scratch);
    return { prepared, range, x, outputs: batch.outputs.subarray(i * C, (i + 1) * C) };
  }

  /** This explainer bound to `model` (refused unless it was fitted on that model). */
  bind(model: ModelFace): TlcExplainer {
    this.checkModel(model);
    return new TlcExplainer(this, model);
  }

  toJSON(): TlcJson {
    return partsToJson(this.parts());
  }

  /** Rebuilds an explainer; with `model`, refuses one fitted on another model. */
  static fromJSON(json: TlcJson, model?: ModelFace, source = "explainer"): Tlc {
    if (!json || json.format !== "ecg-tlc-explainer" || json.version !== 1) {
      throw new EcgFormatError(
        source,
        "not an ecg-tlc explainer (expected format 'ecg-tlc-explainer', version 1)",
      );
    }
    let tlc: Tlc;
    try {
      tlc = new Tlc(partsFromJson(json));
    } catch (err) {
      throw new EcgFormatError(source, `corrupt explainer: ${(err as Error).message}`);
    }
    if (model) tlc.checkModel(model);
    return tlc;
  }

  /** Writes the explainer as one JSON file, atomically. */
  save(path: string): void {
    const tmp = `${path}.tmp-${process.pid}`;
    writeFileSync(tmp, JSON.stringify(this.toJSON()) + "\n");
    renameSync(tmp, path);
  }

  /** Reads an explainer file; with `model`, refuses one fitted on another model. */
  static load(path: string, model?: ModelFace): Tlc {
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch {
      throw new NotFoundError(`${path}: explainer file not found`);
    }
    let json: TlcJson;
    try {
      json = JSON.parse(text) as TlcJson;
    } catch {
      throw new EcgFormatError(
        path,
        "not valid JSON (is it an explainer written by 'ecg-tlc fit'?)",
      );
    }
    return Tlc.fromJSON(json, model, path);
  }
}

/** One line on how the explainer's composite features were built (the choices docs/EVIDENCE.md
 * measures). */
export function describeFeatures(tlc: Tlc): string {
  const o = tlc.options;
  const scaling =
    o.recordScale === 1
      ? "each channel standardised over its own record"
      : o.recordScale
        ? `each channel centred per record, scaled by std_record^${o.recordScale} x std_train^${1 - o.recordScale}`
        : `${o.standardise ? "channels standardised with training statistics" : "raw channels"}${o.centre ? ", centred per record" : ""}`;
  return `taps ${tlc.layout.taps.join(", ")}; ${scaling}; sigma^2 ${o.variance}`;
}
