/**
 * The leaf level of a two-level explainer as an explainer of its own: the same explanations with
 * the leaves (wave, state) in place of the wave clusters, so that every reader of clusters (the
 * surrogate, importance, deletion, prototypes, stability, uncertainty) works per leaf unchanged.
 * A leaf's wave name is its wave cluster's, so analyses by wave still pool by wave.
 */
import type { ModelFace } from "../model/face.js";
import type { EcgRecord } from "../types.js";
import { segmentsOf, type BoundExplainer, type Explanation } from "./explanation.js";

/** What the leaf view needs of a two-level explainer. */
export interface TwoLevelExplainer extends BoundExplainer {
  readonly leafNames?: string[];
  /** States per wave cluster (empty for a single-level explainer). */
  readonly statesPerWave: number[];
}

/** Whether an explainer has a second level (states within the wave clusters). */
export function hasLeaves(e: BoundExplainer): e is TwoLevelExplainer & { leafNames: string[] } {
  return Array.isArray((e as TwoLevelExplainer).leafNames);
}

/** The wave cluster of each leaf. */
export function wavesOfLeaves(statesPerWave: readonly number[]): number[] {
  return statesPerWave.flatMap((k, w) => Array.from({ length: k }, () => w));
}

/** The leaves of a two-level explainer as figures and reports name them (index = leaf). */
export interface Leaves {
  /** "C1 QRS · CD-like": the wave cluster's name, then the state's. */
  names: string[];
  /** The wave cluster of each leaf. */
  waves: number[];
}

/** The leaves of an explainer, or undefined for a single-level one. */
export function leavesOf(e: BoundExplainer): Leaves | undefined {
  return hasLeaves(e) ? { names: e.leafNames, waves: wavesOfLeaves(e.statesPerWave) } : undefined;
}

/** The state's part of a leaf name: "C1 QRS · CD-like" -> "CD-like". */
export function stateName(leafName: string): string {
  const at = leafName.lastIndexOf(" · ");
  return at < 0 ? leafName : leafName.slice(at + 3);
}

/** An explanation with its leaves as its clusters (state entropy as its entropy). */
export function leafExplanation(ex: Explanation): Explanation {
  if (!ex.leaves || !ex.leafProportions || !ex.stateEntropy)
    throw new RangeError(`${ex.record}: the explanation has no leaves (a single-level explainer)`);
  return {
    record: ex.record,
    fs: ex.fs,
    samples: ex.samples,
    outputs: ex.outputs,
    labels: ex.labels,
    clusters: ex.leaves,
    entropy: ex.stateEntropy,
    segments: segmentsOf(ex.leaves, ex.stateEntropy),
    proportions: ex.leafProportions,
    softProportions: ex.softLeafProportions ?? ex.leafProportions,
    meanEntropy: ex.meanStateEntropy ?? 0,
  };
}

export class LeafView implements BoundExplainer {
  readonly k: number;
  readonly blocks: string[] = [];
  /** The wave cluster of each leaf. */
  readonly leafWaves: number[];
  /** Each leaf's wave name (its wave cluster's), so analyses by wave pool the leaves. */
  readonly clusterWaves?: (string | null)[];

  constructor(readonly waves: TwoLevelExplainer & { leafNames: string[] }) {
    this.leafWaves = wavesOfLeaves(waves.statesPerWave);
    this.k = this.leafWaves.length;
    const names = waves.clusterWaves;
    this.clusterWaves = names && this.leafWaves.map((w) => names[w] ?? null);
  }

  get model(): ModelFace {
    return this.waves.model;
  }
  get taps(): string[] {
    return this.waves.taps;
  }
  get leafNames(): string[] {
    return this.waves.leafNames;
  }

  async explain(records: readonly EcgRecord[]): Promise<Explanation[]> {
    return (await this.waves.explain(records)).map(leafExplanation);
  }
}

/** The level an evaluation reads: the leaves of a two-level explainer, else its clusters. */
export function evaluationLevel(explainer: BoundExplainer): BoundExplainer {
  return explainer instanceof LeafView || !hasLeaves(explainer)
    ? explainer
    : new LeafView(explainer);
}

/** n x K1 wave proportions from n x L leaf proportions (each wave's states merged). */
export function mergeLeaves(
  features: ArrayLike<number>,
  leafWaves: readonly number[],
  waves: number,
): Float64Array {
  const L = leafWaves.length;
  const n = features.length / L;
  const out = new Float64Array(n * waves);
  for (let i = 0; i < n; i++)
    for (let l = 0; l < L; l++) out[i * waves + leafWaves[l]] += features[i * L + l];
  return out;
}
