/**
 * What each cluster means: every explained record is delineated (P, QRS, T; consensus over
 * leads), and a cluster x wave table is pooled per block. A cluster is named by the wave it is
 * most enriched in (clusterWaveNames, src/eval/alignment.ts), as the report's legend does.
 * `ecg-tlc fit` names the clusters this way on a sample of its training ECGs (`nameClusters`) and
 * stores the names in the explainer; the explorer tallies the records it browses when the
 * explainer has none (explainers written before names were stored).
 */
import type { Explains, Explanation } from "../explain/explanation.js";
import { WAVE_LABELS, type ClusterWaves, type EcgRecord } from "../types.js";
import { delineate } from "../signal/delineate/index.js";
import { waveLabels } from "../signal/waves.js";
import { addTables, clusterWaveNames, contingency, type Table } from "./alignment.js";

/** What the tally reads of an explanation: the combined clusters and, optionally, per block. */
type ClusteredRecord = Pick<Explanation, "clusters" | "blocks">;

/** Records pooled before clusters get names: fewer would name them from noise. */
export const MIN_RECORDS_FOR_WAVES = 5;
/** Records after which the names are settled: delineating more costs CPU for nothing. */
export const MAX_RECORDS_FOR_WAVES = 300;

/** Wave label per sample of a record (consensus delineation), or undefined when it has no beat. */
export function recordWaveLabels(record: EcgRecord): Uint8Array | undefined {
  const { waves } = delineate(record, { consensusOnly: true });
  return waves.length === 0 ? undefined : waveLabels(waves, record.samples);
}

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

  /** Whether enough records are pooled: more are not delineated. */
  get full(): boolean {
    return this.counted >= MAX_RECORDS_FOR_WAVES;
  }

  /** Adds one record; records the delineator finds no beat in are skipped. */
  add(record: EcgRecord, e: ClusteredRecord): void {
    if (this.full) return;
    const labels = recordWaveLabels(record);
    if (labels) this.addLabels(labels, e);
  }

  /** Adds one record given its wave label per sample (recordWaveLabels, computed elsewhere). */
  addLabels(labels: Uint8Array, e: ClusteredRecord): void {
    if (this.full) return;
    for (const name of this.blocks) {
      const clusters = name === "combined" ? e.clusters : e.blocks?.[name]?.clusters;
      if (!clusters) continue;
      let k = this.k;
      for (let i = 0; i < clusters.length; i++) k = Math.max(k, clusters[i] + 1);
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

/** What naming needs of an explainer (a bound one, `tlc.bind(model)`, is one). */
export type NamingExplainer = Explains<"clusters" | "blocks"> & { readonly k: number };

/**
 * Names the explainer's (combined) clusters from `records`: explains them `batch` at a time,
 * delineates each and pools the cluster x wave table. Undefined when fewer than
 * MIN_RECORDS_FOR_WAVES records had beats the delineator could find.
 */
export async function nameClusters(
  explainer: NamingExplainer,
  records: AsyncIterable<EcgRecord> | Iterable<EcgRecord>,
  opts: { batch?: number; progress?: (done: number) => void } = {},
): Promise<ClusterWaves | undefined> {
  const batch = opts.batch ?? 16;
  const tally = new WaveTally(explainer.k, ["combined"]);
  let pending: EcgRecord[] = [];
  let done = 0;
  const flush = async () => {
    const exs = await explainer.explain(pending);
    pending.forEach((r, i) => tally.add(r, exs[i]));
    done += pending.length;
    pending = [];
    opts.progress?.(done);
  };
  for await (const r of records) {
    pending.push(r);
    if (pending.length >= batch) await flush();
  }
  if (pending.length) await flush();
  const names = tally.names();
  const table = tally.table();
  if (!names || !table) return undefined;
  return { names, table, records: tally.records, source: "delineator" };
}

/**
 * Names the clusters on up to `n` of `entries` (default MAX_RECORDS_FOR_WAVES) spread evenly over
 * them: what `ecg-tlc fit` and the pipeline store in the explainer. `progress` gets (done, total).
 */
export function nameClustersOn<E>(
  explainer: NamingExplainer,
  dataset: { read(entry: E): Promise<EcgRecord> },
  entries: readonly E[],
  opts: { n?: number; progress?: (done: number, total: number) => void } = {},
): Promise<ClusterWaves | undefined> {
  const total = Math.min(opts.n ?? MAX_RECORDS_FOR_WAVES, entries.length);
  const records = spreadSample(entries, total, (e) => dataset.read(e));
  return nameClusters(explainer, records, {
    progress: (done) => opts.progress?.(done, total),
  });
}

/**
 * Up to `n` entries spread evenly over `entries` (deterministic: the first, then every
 * entries.length / n-th), read one by one: the sample `ecg-tlc fit` names clusters on.
 */
export async function* spreadSample<E>(
  entries: readonly E[],
  n: number,
  read: (entry: E) => Promise<EcgRecord>,
): AsyncGenerator<EcgRecord> {
  const m = Math.min(n, entries.length);
  for (let i = 0; i < m; i++) yield await read(entries[Math.floor((i * entries.length) / m)]);
}
