/**
 * The fitted TLC explainer (scikit-learn's estimator shape): `Tlc.fit` on a dataset, `explain` any
 * ECG, `toJSON`/`fromJSON` to persist. Tied to the model it was fitted on by its fingerprint.
 */
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { EcgFormatError, ModelMismatchError, NotFoundError } from "../errors.js";
import type { PreparedSignal } from "../signal/preprocess.js";
import { checkPreparedWindow, checkWindow } from "../signal/window.js";
import type { ClusterWaves, EcgRecord } from "../types.js";
import { softAssign } from "./assign.js";
import { composite, keptSteps, type CompositeLayout, type CompositeSpec } from "./features.js";
import {
  fitSample,
  fitState,
  fitStates,
  recordScaleExponent,
  resolveOptions,
  sliceColumns,
  type ClusterFit,
  type FitState,
  type ResolvedOptions,
  type TlcOptions,
  type VectorSample,
  defaultTaps,
} from "./fit.js";
import {
  hardProportions,
  segmentsOf,
  softProportions,
  stepOfSamples,
  type Segment,
} from "./segments.js";
import { forwardRecords, type TlcDataset, type TlcModel } from "./stream.js";

export interface BlockExplanation {
  clusters: number[];
  entropy: number[];
  proportions: number[];
}

/** docs/CONTRACTS.md, tlc's Explanation. */
export interface Explanation {
  record: string;
  fs: number;
  samples: number;
  outputs: Record<string, number>;
  labels: string[];
  /** Cluster per source sample. */
  clusters: number[];
  /** Normalised entropy per source sample, in [0, 1]. */
  entropy: number[];
  segments: Segment[];
  /** Hard proportions over the kept steps (K values, sum 1). */
  proportions: number[];
  softProportions: number[];
  meanEntropy: number;
  blocks?: Record<string, BlockExplanation>;
}

interface ClusterJson {
  columns: [number, number];
  k: number;
  centroids: number[][];
  sigma2: number;
  inertia: number;
  iterations: number;
}

/** The explainer as saved on disk: everything needed to explain without the training data. */
export interface TlcJson {
  format: "ecg-tlc-explainer";
  version: 1;
  model: { fingerprint: string; preset?: string; classes: string[] };
  taps: string[];
  channels: number[];
  steps: number[];
  fineSteps: number;
  weights: number[];
  centre: boolean;
  /** Per-record scaling exponent (absent when off, and in explainers saved before it existed). */
  recordScale?: number | boolean;
  scaler: { mean: number[]; std: number[] };
  k: number;
  seed: number;
  options: Omit<ResolvedOptions, "taps" | "k" | "seed">;
  centroids: number[][];
  sigma2: number;
  inertia: number;
  points: number;
  records: number;
  dims: number;
  iterations: number;
  seconds: number;
  blocks: Record<string, ClusterJson>;
  /** The wave each cluster stands for, from a sample of the training ECGs (absent in explainers
   * written before names were stored, or fitted with `--name-ecgs 0`). */
  clusterWaves?: ClusterWaves;
}

/** The composite vectors of one ECG and where they lie. */
export interface RecordFeatures {
  prepared: PreparedSignal;
  /** Kept fine steps [first, end). */
  range: { first: number; end: number };
  /** (end - first) x dims. */
  x: Float32Array;
  outputs: Float32Array;
}

function clusterToJson(c: ClusterFit): ClusterJson {
  const w = c.columns[1] - c.columns[0];
  const centroids: number[][] = [];
  for (let q = 0; q < c.k; q++)
    centroids.push(Array.from(c.centroids.subarray(q * w, (q + 1) * w)));
  return {
    columns: c.columns,
    k: c.k,
    centroids,
    sigma2: c.sigma2,
    inertia: c.inertia,
    iterations: c.iterations,
  };
}

function clusterFromJson(j: ClusterJson): ClusterFit {
  const w = j.columns[1] - j.columns[0];
  const centroids = new Float32Array(j.k * w);
  j.centroids.forEach((row, q) => {
    if (row.length !== w)
      throw new RangeError(`centroid ${q} has ${row.length} values, expected ${w}`);
    centroids.set(row, q * w);
  });
  return {
    columns: j.columns,
    k: j.k,
    centroids,
    sigma2: j.sigma2,
    inertia: j.inertia,
    iterations: j.iterations,
  };
}

export class Tlc {
  private constructor(
    readonly fingerprint: string,
    readonly layout: CompositeLayout,
    readonly spec: CompositeSpec,
    readonly main: ClusterFit,
    readonly blockFits: Record<string, ClusterFit>,
    readonly options: ResolvedOptions,
    readonly info: {
      points: number;
      records: number;
      seconds: number;
      preset?: string;
      classes: string[];
    },
    /** What each cluster stands for (see `withClusterWaves`). */
    readonly waves?: ClusterWaves,
  ) {}

  /** The wave each cluster stands for (P, QRS, T, TP; null: no sample), when the file has them. */
  get clusterWaves(): (string | null)[] | undefined {
    return this.waves?.names;
  }

  /** This explainer with its clusters named (`nameClusters` in src/eval/cluster-waves.ts). */
  withClusterWaves(waves: ClusterWaves): Tlc {
    if (waves.names.length !== this.k)
      throw new RangeError(`${waves.names.length} cluster names for K = ${this.k}`);
    return new Tlc(
      this.fingerprint,
      this.layout,
      this.spec,
      this.main,
      this.blockFits,
      this.options,
      this.info,
      waves,
    );
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

  /** Fits TLC on `entries` of `dataset` through `model` (see fit.ts for memory bounds). */
  static async fit<E>(
    model: TlcModel,
    dataset: TlcDataset<E>,
    entries: E[],
    opts: TlcOptions = {},
  ): Promise<Tlc> {
    const s: FitState = await fitState(model, dataset, entries, opts);
    return Tlc.fromState(model, s, opts);
  }

  /**
   * One explainer per K in `ks`, every other option shared (fidelity by K): the training ECGs go
   * through the model once and their composite vectors are clustered for each K.
   */
  static async fitEach<E>(
    model: TlcModel,
    dataset: TlcDataset<E>,
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
    model: TlcModel,
    dataset: TlcDataset<E>,
    entries: E[],
    ks: number[],
    opts: { maxPoints?: number; onProgress?: TlcOptions["onProgress"] } = {},
  ): Promise<Tlc[]> {
    const o = this.options;
    return Tlc.fitEach(model, dataset, entries, ks, {
      taps: o.taps,
      seed: o.seed,
      nInit: o.nInit,
      weights: o.weights,
      centre: o.centre,
      recordScale: o.recordScale,
      standardise: o.standardise,
      variance: o.variance,
      streaming: o.streaming,
      miniBatchPoints: o.miniBatchPoints,
      maxPoints: opts.maxPoints ?? o.maxPoints ?? Infinity,
      blocks: false,
      onProgress: opts.onProgress,
    });
  }

  /** Clusters a vector sample (the merged samples of a sharded fit) into an explainer. */
  static async fitSample(
    model: TlcModel,
    sample: VectorSample,
    opts: TlcOptions = {},
  ): Promise<Tlc> {
    const o = { ...opts, taps: opts.taps ?? defaultTaps(model) };
    return Tlc.fromState(model, await fitSample(sample, o), o);
  }

  private static fromState(model: TlcModel, s: FitState, opts: TlcOptions): Tlc {
    return new Tlc(
      model.fingerprint,
      s.layout,
      s.spec,
      s.main,
      s.blocks,
      resolveOptions(opts, model),
      {
        points: s.points,
        records: s.records,
        seconds: s.seconds,
        preset: model.config.preset,
        classes: model.config.classes,
      },
    );
  }

  /** Refuses a model other than the one the explainer was fitted on. */
  checkModel(model: TlcModel): void {
    if (model.fingerprint !== this.fingerprint) {
      throw new ModelMismatchError(
        `the explainer was fitted on model ${this.fingerprint.slice(0, 12)}, not on ${model.dir ?? "this model"} (${model.fingerprint.slice(0, 12)}): fit it again on this model`,
      );
    }
  }

  /** Composite vectors of a batch of records (one forward call). */
  async features(model: TlcModel, records: EcgRecord[]): Promise<RecordFeatures[]> {
    this.checkModel(model);
    const batch = await forwardRecords(model, records, this.layout.taps);
    const C = model.config.classes.length;
    return batch.prepared.map((prepared, i) => {
      const range = keptSteps(this.layout.fineSteps, prepared);
      const x = composite(this.layout, this.spec, batch.taps, i, range);
      return { prepared, range, x, outputs: batch.outputs.subarray(i * C, (i + 1) * C) };
    });
  }

  /** Explains one ECG: segmentation, entropy, proportions, per-block variants. */
  async explain(model: TlcModel, record: EcgRecord): Promise<Explanation> {
    return (await this.explainMany(model, [record]))[0];
  }

  /** Explains several ECGs with one forward call (faster than one by one). */
  async explainMany(model: TlcModel, records: EcgRecord[]): Promise<Explanation[]> {
    // Never a cluster for a sample the network did not see: longer records are refused.
    for (const r of records) checkWindow(r, model.config.preprocessing);
    const feats = await this.features(model, records);
    feats.forEach((f, i) => checkPreparedWindow(f.prepared, records[i].path ?? records[i].name));
    return feats.map((f, i) => this.explainFeatures(model, records[i], f));
  }

  private explainFeatures(model: TlcModel, record: EcgRecord, f: RecordFeatures): Explanation {
    const rows = f.range.end - f.range.first;
    const D = this.layout.dims;
    const stepOf = stepOfSamples(f.prepared, this.layout.fineSteps, f.range);
    const perSample = (c: ClusterFit, x: Float32Array, w: number) => {
      const s = softAssign(x, rows, w, c.centroids, c.k, c.sigma2);
      const clusters = new Array<number>(stepOf.length);
      const entropy = new Array<number>(stepOf.length);
      for (let i = 0; i < stepOf.length; i++) {
        const r = stepOf[i] - f.range.first;
        clusters[i] = s.labels[r];
        entropy[i] = s.entropy[r];
      }
      return { s, clusters, entropy };
    };
    const { s, clusters, entropy } = perSample(this.main, f.x, D);
    let meanEntropy = 0;
    for (let r = 0; r < rows; r++) meanEntropy += s.entropy[r];
    const { classes, thresholds, task } = model.config;
    const outputs: Record<string, number> = {};
    const labels: string[] = [];
    classes.forEach((c, j) => {
      outputs[c] = f.outputs[j];
      if (task !== "age" && thresholds[j] !== undefined && f.outputs[j] >= thresholds[j])
        labels.push(c);
    });
    const out: Explanation = {
      record: record.name,
      fs: record.fs,
      samples: record.samples,
      outputs,
      labels,
      clusters,
      entropy,
      segments: segmentsOf(clusters, entropy),
      proportions: hardProportions(s.labels, this.k),
      softProportions: softProportions(s.probs, rows, this.k),
      meanEntropy: rows ? meanEntropy / rows : 0,
    };
    const names = Object.keys(this.blockFits);
    if (names.length) {
      out.blocks = {};
      for (const name of names) {
        const c = this.blockFits[name];
        const w = c.columns[1] - c.columns[0];
        const b = perSample(c, sliceColumns(f.x, rows, D, c.columns), w);
        out.blocks[name] = {
          clusters: b.clusters,
          entropy: b.entropy,
          proportions: hardProportions(b.s.labels, c.k),
        };
      }
    }
    return out;
  }

  toJSON(): TlcJson {
    const { taps, k, seed, ...rest } = this.options;
    const blocks: Record<string, ClusterJson> = {};
    for (const [name, c] of Object.entries(this.blockFits)) blocks[name] = clusterToJson(c);
    const main = clusterToJson(this.main);
    return {
      format: "ecg-tlc-explainer",
      version: 1,
      model: {
        fingerprint: this.fingerprint,
        preset: this.info.preset,
        classes: this.info.classes,
      },
      taps,
      channels: this.layout.channels,
      steps: this.layout.steps,
      fineSteps: this.layout.fineSteps,
      weights: this.spec.weights,
      centre: this.spec.centre,
      ...(this.spec.recordScale ? { recordScale: this.spec.recordScale } : {}),
      scaler: { mean: Array.from(this.spec.mean), std: Array.from(this.spec.std) },
      k,
      seed,
      options: rest,
      centroids: main.centroids,
      sigma2: main.sigma2,
      inertia: main.inertia,
      points: this.info.points,
      records: this.info.records,
      dims: this.layout.dims,
      iterations: main.iterations,
      seconds: this.info.seconds,
      blocks,
      ...(this.waves ? { clusterWaves: this.waves } : {}),
    };
  }

  /** Rebuilds an explainer; with `model`, refuses one fitted on another model. */
  static fromJSON(json: TlcJson, model?: TlcModel, source = "explainer"): Tlc {
    if (!json || json.format !== "ecg-tlc-explainer" || json.version !== 1) {
      throw new EcgFormatError(
        source,
        "not an ecg-tlc explainer (expected format 'ecg-tlc-explainer', version 1)",
      );
    }
    try {
      const offsets: number[] = [];
      let dims = 0;
      for (const c of json.channels) {
        offsets.push(dims);
        dims += c;
      }
      const layout: CompositeLayout = {
        taps: json.taps,
        channels: json.channels,
        steps: json.steps,
        fineSteps: json.fineSteps,
        offsets,
        dims,
      };
      if (json.scaler.mean.length !== dims || json.scaler.std.length !== dims) {
        throw new RangeError(
          `scaler has ${json.scaler.mean.length} columns, the taps give ${dims}`,
        );
      }
      const spec: CompositeSpec = {
        weights: json.weights,
        mean: Float64Array.from(json.scaler.mean),
        std: Float64Array.from(json.scaler.std),
        centre: json.centre,
        ...(json.recordScale ? { recordScale: recordScaleExponent(json.recordScale) } : {}),
      };
      const main = clusterFromJson({
        columns: [0, dims],
        k: json.k,
        centroids: json.centroids,
        sigma2: json.sigma2,
        inertia: json.inertia,
        iterations: json.iterations,
      });
      const blocks: Record<string, ClusterFit> = {};
      for (const [name, b] of Object.entries(json.blocks ?? {})) blocks[name] = clusterFromJson(b);
      if (json.clusterWaves && json.clusterWaves.names?.length !== json.k)
        throw new RangeError(
          `clusterWaves names ${json.clusterWaves.names?.length} clusters, K = ${json.k}`,
        );
      const tlc = new Tlc(
        json.model.fingerprint,
        layout,
        spec,
        main,
        blocks,
        // Explainers saved before record scaling existed did not scale.
        {
          ...json.options,
          recordScale: recordScaleExponent(json.recordScale ?? false),
          taps: json.taps,
          k: json.k,
          seed: json.seed,
        },
        {
          points: json.points,
          records: json.records,
          seconds: json.seconds,
          preset: json.model.preset,
          classes: json.model.classes,
        },
        json.clusterWaves,
      );
      if (model) tlc.checkModel(model);
      return tlc;
    } catch (err) {
      if (err instanceof ModelMismatchError) throw err;
      throw new EcgFormatError(source, `corrupt explainer: ${(err as Error).message}`);
    }
  }

  /** Writes the explainer as one JSON file, atomically. */
  save(path: string): void {
    const tmp = `${path}.tmp-${process.pid}`;
    writeFileSync(tmp, JSON.stringify(this.toJSON()) + "\n");
    renameSync(tmp, path);
  }

  /** Reads an explainer file; with `model`, refuses one fitted on another model. */
  static load(path: string, model?: TlcModel): Tlc {
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

/**
 * Explains records given by path (or any key `read` understands) in batches, reading the next
 * batch while the current one is in the network; yields explanations in input order.
 */
export async function* explainRecords<K>(
  tlc: Tlc,
  model: TlcModel,
  keys: K[],
  read: (key: K) => EcgRecord | Promise<EcgRecord>,
  batch = 16,
): AsyncGenerator<Explanation> {
  const load = (ks: K[]) => {
    const p = Promise.all(ks.map(async (k) => read(k)));
    p.catch(() => {}); // read ahead: the error surfaces when this batch is awaited
    return p;
  };
  let next = keys.length ? load(keys.slice(0, batch)) : null;
  for (let s = 0; s < keys.length; s += batch) {
    const records = await next!;
    next = s + batch < keys.length ? load(keys.slice(s + batch, s + 2 * batch)) : null;
    for (const e of await tlc.explainMany(model, records)) yield e;
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
