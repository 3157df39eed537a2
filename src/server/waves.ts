/**
 * What each cluster means, learnt while the explorer goes over the dataset: every explained record
 * is delineated (P, QRS, T; consensus over leads), and a cluster x wave table is pooled per block.
 * A cluster is named by the wave it is most enriched in (clusterWaveNames, src/eval/alignment.ts),
 * as the report's legend does. Only the blocks the explainer holds are tallied (the names follow
 * the explorer's block list).
 */
import { addTables, clusterWaveNames, contingency, type Table } from "../eval/alignment.js";
import { delineate } from "../signal/delineate/index.js";
import { waveLabels } from "../signal/waves.js";
import { WAVE_LABELS, type EcgRecord } from "../types.js";
import type { ExplanationView } from "./explainer.js";

/** Records pooled before clusters get names: fewer would name them from noise. */
export const MIN_RECORDS_FOR_WAVES = 5;
/** Records after which the names are settled: delineating more costs CPU for nothing. */
export const MAX_RECORDS_FOR_WAVES = 300;

export class WaveTally {
  private readonly tables = new Map<string, Table>();
  private counted = 0;

  /** `blocks`: "combined" and the explainer's per-block clusterings. */
  constructor(
    private readonly k: number,
    private readonly blocks: readonly string[],
  ) {}

  get records(): number {
    return this.counted;
  }

  /** Adds one record; records the delineator finds no beat in are skipped. */
  add(record: EcgRecord, e: ExplanationView): void {
    if (this.counted >= MAX_RECORDS_FOR_WAVES) return;
    const { waves } = delineate(record, { consensusOnly: true });
    if (waves.length === 0) return;
    const labels = waveLabels(waves, record.samples);
    for (const name of this.blocks) {
      const clusters = name === "combined" ? e.clusters : e.blocks?.[name]?.clusters;
      if (!clusters) continue;
      const k = Math.max(this.k, ...Array.from(clusters, (c) => c + 1));
      const t = contingency(clusters, labels, k, WAVE_LABELS.length);
      const old = this.tables.get(name);
      this.tables.set(name, old && old.length === t.length ? addTables(old, t) : t);
    }
    this.counted++;
  }

  /** Wave name per cluster of a block, once enough records are pooled (else undefined). */
  names(block = "combined"): (string | null)[] | undefined {
    const t = this.tables.get(block);
    if (!t || this.counted < MIN_RECORDS_FOR_WAVES) return undefined;
    return clusterWaveNames(t).map((w) => w ?? null);
  }

  /** The pooled table of a block (clusters x [P, QRS, T, TP] sample counts). */
  table(block = "combined"): Table | undefined {
    return this.tables.get(block);
  }
}
