/**
 * What each state means to the network: a state is named by the class its leaf is most enriched
 * in among the ECGs the model gives that class ("CD-like": its share of the steps is highest, relative
 * to all ECGs, in the ECGs the model calls CD), or for an age model by the direction of the
 * network's age it goes with ("older", "younger"). `ecg-tlc fit` names the states on a sample of its
 * training ECGs and stores the names in the explainer, beside the wave names.
 */
import {
  isAgeModel,
  predictedLabels,
  type Explains,
  type Explanation,
} from "../explain/explanation.js";
import type { ModelFace } from "../model/face.js";
import type { EcgRecord } from "../types.js";
import { pearson } from "./metrics.js";

/** ECGs the states are named on at most (no delineation: explaining is all it costs). */
export const MAX_RECORDS_FOR_STATES = 1000;

/** What naming the states reads of an explainer. */
export type StateNamingExplainer = Explains<"leafProportions" | "outputs"> & {
  readonly model: Pick<ModelFace, "config">;
  /** States per wave (the explainer's state level). */
  readonly statesPerWave: readonly number[];
};

/**
 * Enrichment of each leaf in each class, accumulated one ECG at a time: the leaf's mean share in
 * the ECGs labelled c over its mean share in all ECGs (1 = as often as anywhere).
 */
export class EnrichmentTally {
  private readonly all: Float64Array;
  private readonly byClass: { sum: Float64Array; n: number }[];
  private n = 0;

  constructor(
    readonly leaves: number,
    readonly classes: readonly string[],
  ) {
    this.all = new Float64Array(leaves);
    this.byClass = classes.map(() => ({ sum: new Float64Array(leaves), n: 0 }));
  }

  /** One ECG: its leaf proportions and its labels (the network's, for naming states). */
  add(proportions: ArrayLike<number>, labels: readonly string[]): void {
    const L = this.leaves;
    for (let l = 0; l < L; l++) this.all[l] += proportions[l] ?? 0;
    this.n++;
    this.classes.forEach((c, j) => {
      if (!labels.includes(c)) return;
      const b = this.byClass[j];
      b.n++;
      for (let l = 0; l < L; l++) b.sum[l] += proportions[l] ?? 0;
    });
  }

  /** Mean share of each leaf over the ECGs added. */
  get share(): number[] {
    return Array.from(this.all, (v) => (this.n ? v / this.n : NaN));
  }

  /** leaves x classes enrichment (NaN for a class no ECG has, or a leaf no ECG visits). */
  result(): number[][] {
    const share = this.share;
    return share.map((all, l) =>
      this.byClass.map((b) => (b.n && all > 0 ? b.sum[l] / b.n / all : NaN)),
    );
  }
}

/** Enrichment of each leaf in each class (`EnrichmentTally` over all the ECGs at once). */
export function leafEnrichment(
  proportions: readonly (readonly number[])[],
  labels: readonly (readonly string[])[],
  classes: readonly string[],
): number[][] {
  const tally = new EnrichmentTally(proportions[0]?.length ?? 0, classes);
  proportions.forEach((p, i) => tally.add(p, labels[i]));
  return tally.result();
}

/** Distinct names within a wave: a repeated name gets its state's number ("CD-like 2"). */
function distinct(names: string[]): string[] {
  const count = new Map<string, number>();
  for (const n of names) count.set(n, (count.get(n) ?? 0) + 1);
  return names.map((n, q) => (count.get(n)! > 1 ? `${n} ${q}` : n));
}

/**
 * Names per wave, per state, from the explanations of some ECGs: their leaf proportions and the
 * model's outputs.
 */
export function stateNames(
  model: Pick<ModelFace, "config">,
  statesPerWave: readonly number[],
  explanations: readonly { leafProportions?: number[]; outputs: Record<string, number> }[],
): string[][] {
  const props = explanations.map((e) => {
    if (!e.leafProportions) throw new RangeError("naming states needs a two-level explainer");
    return e.leafProportions;
  });
  const { config } = model;
  let leafName: (l: number) => string;
  if (isAgeModel(config)) {
    const age = explanations.map((e) => e.outputs[config.classes[0]]);
    leafName = (l) => {
      const r = pearson(
        props.map((p) => p[l]),
        age,
      );
      return Number.isFinite(r) && r < 0 ? "younger" : "older";
    };
  } else {
    const labels = explanations.map((e) => predictedLabels(config, e.outputs));
    const enrichment = leafEnrichment(props, labels, config.classes);
    leafName = (l) => {
      let best = -1;
      enrichment[l].forEach((v, j) => {
        if (Number.isFinite(v) && (best < 0 || v > enrichment[l][best])) best = j;
      });
      return best < 0 ? "unseen" : `${config.classes[best]}-like`;
    };
  }
  const out: string[][] = [];
  let l = 0;
  for (const k of statesPerWave) {
    out.push(distinct(Array.from({ length: k }, () => leafName(l++))));
  }
  return out;
}

/** Explains `records` in batches and names the states from them. */
export async function nameStates(
  explainer: StateNamingExplainer,
  records: AsyncIterable<EcgRecord> | Iterable<EcgRecord>,
  opts: { batch?: number; progress?: (done: number) => void } = {},
): Promise<string[][]> {
  const batch = opts.batch ?? 32;
  const exs: Pick<Explanation, "leafProportions" | "outputs">[] = [];
  let pending: EcgRecord[] = [];
  const flush = async () => {
    exs.push(...(await explainer.explain(pending)));
    pending = [];
    opts.progress?.(exs.length);
  };
  for await (const r of records) {
    pending.push(r);
    if (pending.length >= batch) await flush();
  }
  if (pending.length) await flush();
  return stateNames(explainer.model, explainer.statesPerWave, exs);
}
