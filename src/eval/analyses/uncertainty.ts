/** Uncertainty (mean assignment entropy) by class, by wave and by class x wave. */
import { delineate } from "../../signal/delineate/index.js";
import { waveLabels } from "../../signal/waves.js";
import type { EcgAnalysis, EvaluatedEcg } from "./ecg.js";

export class UncertaintyAnalysis implements EcgAnalysis<UncertaintyResult> {
  private readonly acc: UncertaintyAccumulator;

  /** `waves`: delineate each ECG for the by-wave means (an age model has one group, "all"). */
  constructor(
    private readonly classes: string[],
    private readonly task: string,
    private readonly waves = true,
  ) {
    this.acc = new UncertaintyAccumulator(task === "age" ? ["all"] : classes);
  }

  add({ entry, record, explanation }: EvaluatedEcg): void {
    const labels =
      this.task === "age" ? [1] : this.classes.map((name) => (entry.labels.includes(name) ? 1 : 0));
    let wl: Uint8Array | undefined;
    if (this.waves) {
      const d = delineate(record);
      if (d.waves.length) wl = waveLabels(d.waves, record.samples);
    }
    this.acc.add({
      meanEntropy: explanation.meanEntropy,
      labels,
      entropy: explanation.entropy,
      waveLabels: wl,
    });
  }

  state(): UncertaintyState {
    return this.acc.state();
  }

  /** Appends a later shard's state. */
  merge(s: UncertaintyState): void {
    this.acc.merge(s);
  }

  result(): UncertaintyResult {
    return this.acc.result();
  }
}

/** One ECG's share of the means: its mean entropy, positive classes, and per-wave means. */
interface UncertaintyRow {
  e: number;
  classes: number[];
  /** Per wave, the ECG's mean entropy (NaN for a wave it lacks); null without delineation. */
  waves: number[] | null;
}

/** The ECGs' shares in order: a shard's state (the means are summed in order at the end). */
export type UncertaintyState = UncertaintyRow[];

/** Running sums for means by group. */
export class GroupMeans {
  readonly sum: Float64Array;
  readonly count: Float64Array;
  constructor(readonly groups: number) {
    this.sum = new Float64Array(groups);
    this.count = new Float64Array(groups);
  }
  add(group: number, value: number, weight = 1): void {
    if (group < 0 || group >= this.groups || !Number.isFinite(value)) return;
    this.sum[group] += value * weight;
    this.count[group] += weight;
  }
  means(): number[] {
    return Array.from(this.sum, (s, i) => (this.count[i] > 0 ? s / this.count[i] : NaN));
  }
}

/**
 * Uncertainty by class and by wave. `perRecord` gives for each ECG its mean entropy, its labels
 * (0/1 per class) and optionally per-sample entropy and wave labels (0..3). The result has the mean
 * entropy per class, per wave, and per class x wave (which waves are stable for which classes).
 */
export interface UncertaintyResult {
  byClass: Record<string, number>;
  byWave: Record<string, number>;
  byClassWave: Record<string, Record<string, number>>;
  /** Mean entropy of all ECGs. */
  overall: number;
}

export class UncertaintyAccumulator {
  private rows: UncertaintyRow[] = [];
  constructor(
    readonly classes: string[],
    readonly waves: readonly string[] = ["P", "QRS", "T", "TP"],
  ) {}
  add(rec: {
    meanEntropy: number;
    labels: ArrayLike<number>;
    entropy?: ArrayLike<number>;
    waveLabels?: ArrayLike<number>;
  }): void {
    const classes: number[] = [];
    for (let c = 0; c < this.classes.length; c++) if (rec.labels[c]) classes.push(c);
    let waves: number[] | null = null;
    if (rec.entropy && rec.waveLabels) {
      // Per-record wave means first, so that long records do not outweigh short ones.
      const local = new GroupMeans(this.waves.length);
      const n = Math.min(rec.entropy.length, rec.waveLabels.length);
      for (let i = 0; i < n; i++) local.add(rec.waveLabels[i], rec.entropy[i]);
      waves = local.means();
    }
    this.rows.push({ e: rec.meanEntropy, classes, waves });
  }
  state(): UncertaintyState {
    return this.rows;
  }
  merge(rows: UncertaintyState): void {
    this.rows.push(...rows);
  }
  result(): UncertaintyResult {
    const cls = new GroupMeans(this.classes.length);
    const wave = new GroupMeans(this.waves.length);
    const cw = this.classes.map(() => new GroupMeans(this.waves.length));
    const all = new GroupMeans(1);
    for (const r of this.rows) {
      all.add(0, r.e);
      for (const c of r.classes) cls.add(c, r.e);
      r.waves?.forEach((m, w) => {
        if (!Number.isFinite(m)) return;
        wave.add(w, m);
        for (const c of r.classes) cw[c].add(w, m);
      });
    }
    const named = (names: readonly string[], v: number[]) =>
      Object.fromEntries(names.map((n, i) => [n, v[i]]));
    return {
      byClass: named(this.classes, cls.means()),
      byWave: named(this.waves, wave.means()),
      byClassWave: Object.fromEntries(
        this.classes.map((c, i) => [c, named(this.waves, cw[i].means())]),
      ),
      overall: all.means()[0],
    };
  }
}

/** A class x wave cell of the uncertainty, relative to that wave's entropy over all ECGs. */
export interface UnstableWave {
  cls: string;
  wave: string;
  entropy: number;
  /** entropy / the wave's mean entropy over all ECGs: > 1 is less stable than usual. */
  ratio: number;
}

/**
 * The class x wave cells whose entropy stands out most against the same wave in all ECGs, most
 * unstable first. Ratios, not raw entropies, because sigma^2 sets the entropies' scale (per-dim
 * variance in hundreds of dimensions gives entropies of order 0.001) but not their ranking.
 */
export function leastStable(u: UncertaintyResult, n = 3): UnstableWave[] {
  const cells: UnstableWave[] = [];
  for (const [cls, waves] of Object.entries(u.byClassWave))
    for (const [wave, entropy] of Object.entries(waves)) {
      const ratio = entropy / u.byWave[wave];
      if (Number.isFinite(ratio)) cells.push({ cls, wave, entropy, ratio });
    }
  return cells.sort((a, b) => b.ratio - a.ratio).slice(0, n);
}
