/**
 * Grad-CAM beside TLC: per ECG, Pearson of the Grad-CAM of the most probable class with the
 * entropy and with the importance of each sample's cluster; and deletion curves of Grad-CAM, the
 * clusters and a random order.
 */
import { tapToSamples } from "../../explain/explanation.js";
import type { ModelFace } from "../../model/face.js";
import {
  DELETION_FRACTIONS,
  deletionSignals,
  gradcamRelation,
  rankByAttribution,
} from "../analyses.js";
import type { EcgAnalysis, EvaluatedEcg } from "./ecg.js";

export interface GradcamResult {
  tap: string;
  /** Pearson per ECG, mean over the ECGs whose map is not zero at every step. */
  entropy: number;
  importance: number;
  records: number;
  /**
   * ECGs whose map is zero at every step (the gradient-weighted activations are negative
   * throughout, common below the last block): no correlation, left out of the means.
   */
  zeroMaps: number;
  disagreements: { id: string; entropy: number; importance: number }[];
  /**
   * Deletion curves (RISE's deletion metric): mean drop of the top class's output when the
   * `fractions` of each ECG's samples an attribution ranks highest are blanked (set to each
   * lead's median). `clusters` ranks a sample by how much blanking its whole cluster lowers that
   * output in this ECG (K occlusions); `random` is a seeded random order, the baseline.
   */
  deletion?: {
    fractions: number[];
    gradcam: number[];
    clusters: number[];
    random: number[];
    records: number;
  };
}

export interface GradcamState {
  maps: { id: string; cam: number[]; entropy: number[]; clusters: number[] }[];
  drops: number[][][];
}

const CURVES = ["gradcam", "clusters", "random"] as const;

interface Map {
  id: string;
  cam: Float64Array;
  entropy: ArrayLike<number>;
  clusters: ArrayLike<number>;
}

export class GradcamAnalysis implements EcgAnalysis<GradcamResult | undefined, [number[]]> {
  private readonly maps: Map[] = [];
  /** Per ECG with curves, in order: the drop per curve and fraction (summed in order at the end). */
  private readonly drops: number[][][] = [];

  constructor(
    private readonly model: ModelFace,
    private readonly tap: string,
    private readonly deletionCurves = true,
  ) {}

  async add(ecg: EvaluatedEcg): Promise<void> {
    if (!ecg.inSample || this.model.config.task === "age") return;
    const { record: rec, explanation: ex, index } = ecg;
    const { prepared, base, blanked } = await ecg.probe();
    const c = base.length;
    let target = 0;
    for (let j = 1; j < c; j++) if (base[j] > base[target]) target = j;
    const steps = await this.model.gradcam(prepared.signal, this.tap, target);
    const cam = Float64Array.from(tapToSamples(steps, prepared));
    this.maps.push({ id: ecg.entry.id, cam, entropy: ex.entropy, clusters: ex.clusters });
    if (!this.deletionCurves) return;
    // Each sample's cluster attribution: the target's drop when its cluster is blanked.
    const byCluster = new Float64Array(rec.samples);
    for (let t = 0; t < rec.samples; t++)
      byCluster[t] = base[target] - blanked[ex.clusters[t] * c + target];
    const attributions = [cam, byCluster, new Float64Array(rec.samples)];
    // One seed for the three: equal attributions are cut in the same random order.
    const signals = attributions.flatMap((a) =>
      deletionSignals(rec.signal, rec.leads.length, rankByAttribution(a, 5000 + index)),
    );
    const per = prepared.signal.length;
    const deleted = new Float32Array(per * signals.length);
    signals.forEach((sig, j) =>
      deleted.set(this.model.prepare({ ...rec, signal: sig }).signal, j * per),
    );
    const after = (await this.model.forward(deleted, signals.length)).outputs;
    this.drops.push(
      CURVES.map((_, m) =>
        DELETION_FRACTIONS.map((_, f) => {
          const j = m * DELETION_FRACTIONS.length + f;
          return base[target] - after[j * c + target];
        }),
      ),
    );
  }

  /** The sampled ECGs' maps and drops, in order (plain JSON), for {@link GradcamAnalysis.merge}. */
  state(): GradcamState {
    return {
      maps: this.maps.map((x) => ({
        id: x.id,
        cam: Array.from(x.cam),
        entropy: Array.from(x.entropy),
        clusters: Array.from(x.clusters),
      })),
      drops: this.drops,
    };
  }

  /** Appends a later shard's state. */
  merge(s: GradcamState): void {
    for (const x of s.maps) this.maps.push({ ...x, cam: Float64Array.from(x.cam) });
    this.drops.push(...s.drops);
  }

  /**
   * The result given each cluster's importance (deletion, else permutation), or undefined when
   * no map was taken (an age model, or no ECG in the sample).
   */
  result(importance: number[]): GradcamResult | undefined {
    if (!this.maps.length) return undefined;
    const rel = this.maps.map((x) => ({
      id: x.id,
      ...gradcamRelation(x.cam, x.entropy, x.clusters, importance),
    }));
    const mean = (v: number[]) => {
      const f = v.filter(Number.isFinite);
      return f.length ? f.reduce((a, b) => a + b, 0) / f.length : NaN;
    };
    const n = this.drops.length;
    const drop = CURVES.map(() => new Float64Array(DELETION_FRACTIONS.length));
    for (const d of this.drops) d.forEach((row, m) => row.forEach((v, f) => (drop[m][f] += v)));
    return {
      tap: this.tap,
      entropy: mean(rel.map((r) => r.entropy)),
      importance: mean(rel.map((r) => r.importance)),
      records: rel.length,
      zeroMaps: this.maps.filter((x) => !x.cam.some((v) => v > 0)).length,
      // Where Grad-CAM points away from the clusters the CNN depends on.
      disagreements: rel
        .filter((r) => Number.isFinite(r.importance))
        .sort((a, b) => a.importance - b.importance)
        .slice(0, 10),
      ...(n
        ? {
            deletion: {
              fractions: [...DELETION_FRACTIONS],
              gradcam: Array.from(drop[0], (v) => v / n),
              clusters: Array.from(drop[1], (v) => v / n),
              random: Array.from(drop[2], (v) => v / n),
              records: n,
            },
          }
        : {}),
    };
  }
}
