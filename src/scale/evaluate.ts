/**
 * A sharded evaluation: each shard runs the per-ECG pass on its records and writes its state
 * (FILE.json, atomically, with a manifest): the collected columns (ids, folds, proportions hard
 * and soft, outputs, labels, ages) and each per-ECG analysis's state, the ECGs' contributions in
 * order. Merging concatenates the columns, appends the states in shard order and runs the
 * dataset-level analyses (the cross-validated surrogate) once: every sum is taken in the single
 * run's order, so the merged result is the single run's to the bit.
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { dirname, join } from "node:path";
import { ShardError } from "../errors.js";
import type { BoundExplainer } from "../explain/explanation.js";
import type { RecordSource } from "../io/datasets/types.js";
import type { EvalEntry } from "../eval/analyses/ecg.js";
import type { GradcamState } from "../eval/analyses/gradcam.js";
import type { PrototypeState } from "../eval/analyses/prototypes.js";
import type { Collected } from "../eval/analyses/surrogates.js";
import type { UncertaintyState } from "../eval/analyses/uncertainty.js";
import {
  evaluationPass,
  finishEvaluation,
  passOptions,
  perEcgAnalyses,
  type EvaluateOptions,
  type EvaluationResult,
} from "../eval/evaluate.js";
import { checkShards } from "./merge.js";
import {
  commitOutput,
  datasetIdentity,
  manifestPath,
  sha256File,
  type ShardManifest,
} from "./output.js";
import { ProgressMeter } from "./progress.js";
import { shardRange, type Shard } from "./shard.js";

/** One shard's pass, as written (plain JSON; non-finite numbers as {"nonFinite": "NaN"}). */
interface EvaluationShardState {
  columns: {
    ids: string[];
    folds: number[];
    k: number;
    features: number[];
    soft: number[];
    scores: number[];
    truth: number[];
    ages: number[];
  };
  uncertainty: UncertaintyState;
  prototypes: PrototypeState | null;
  deletion: number[][];
  stability: [number, number][];
  gradcam: GradcamState;
}

// JSON has no NaN or Infinity (ages, outputs and means may be either): tagged, and back.
const replacer = (_k: string, v: unknown) =>
  typeof v === "number" && !Number.isFinite(v) ? { nonFinite: String(v) } : v;
const reviver = (_k: string, v: unknown) =>
  v !== null &&
  typeof v === "object" &&
  !Array.isArray(v) &&
  Object.keys(v).length === 1 &&
  typeof (v as { nonFinite?: unknown }).nonFinite === "string"
    ? Number((v as { nonFinite: string }).nonFinite)
    : v;

/** What makes shards of one evaluation: the model, the explainer and the pass's options. */
function evaluationInputs(
  explainer: BoundExplainer,
  opts: EvaluateOptions,
  explainerSha256: string,
): Record<string, string> {
  const options = createHash("sha256")
    .update(JSON.stringify(passOptions(explainer, opts)))
    .digest("hex");
  return { model: explainer.model.fingerprint, explainer: explainerSha256, options };
}

/**
 * Shard `shard` of an evaluation of `entries` (all the evaluated entries, in order: the shard
 * takes its range, the costly analyses' sample is counted in all of them) written to `out`.
 */
export async function evaluateShard<E extends EvalEntry>(
  explainer: BoundExplainer,
  dataset: RecordSource<E> & { root: string; kind: string },
  entries: E[],
  opts: EvaluateOptions & { out: string; shard?: Shard; explainerSha256: string },
): Promise<ShardManifest> {
  rmSync(manifestPath(opts.out), { force: true });
  const range = opts.shard
    ? shardRange(entries.length, opts.shard)
    : ([0, entries.length] as [number, number]);
  const meter = new ProgressMeter("evaluate", range[1] - range[0], () => {});
  const { col, analyses } = await evaluationPass(explainer, dataset, entries, opts, range);
  meter.add(col.ids.length);
  const state: EvaluationShardState = {
    columns: {
      ids: col.ids,
      folds: col.folds,
      k: col.k,
      features: Array.from(col.features),
      soft: Array.from(col.soft),
      scores: Array.from(col.scores),
      truth: Array.from(col.truth),
      ages: col.ages,
    },
    uncertainty: analyses.uncertainty.state(),
    prototypes: analyses.prototypes.state(),
    deletion: analyses.deletion.state(),
    stability: analyses.stability.state(),
    gradcam: analyses.gradcam.state(),
  };
  const tmp = `${opts.out}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(state, replacer) + "\n");
  renameSync(tmp, opts.out);
  return commitOutput(
    opts.out,
    {
      command: "evaluate",
      shard: opts.shard,
      dataset: datasetIdentity({ root: dataset.root, kind: dataset.kind, entries }),
      inputs: evaluationInputs(explainer, opts, opts.explainerSha256),
      records: col.ids.length,
      // The merge runs with the shards' options.
      payload: passOptions(explainer, opts),
    },
    meter.cost(),
  );
}

/**
 * Merges the shards of an evaluation (every shard once, from the same dataset, model, explainer
 * and pass options, which the merge takes from them) and runs the dataset-level analyses (with
 * `opts.forest`): the single run's result.
 */
export async function mergeEvaluationShards(
  explainer: BoundExplainer,
  parts: string[],
  merging: Pick<EvaluateOptions, "forest" | "perEcg" | "progress"> & {
    explainerSha256: string;
    expectShards?: number;
  },
): Promise<{ result: EvaluationResult; shards: ShardManifest[] }> {
  const t0 = performance.now();
  const checked = checkShards(parts, merging.expectShards);
  const opts: EvaluateOptions = {
    ...(checked[0].manifest.payload as ReturnType<typeof passOptions>),
    forest: merging.forest,
    perEcg: merging.perEcg,
    progress: merging.progress,
  };
  const want = evaluationInputs(explainer, opts, merging.explainerSha256);
  const analyses = perEcgAnalyses(explainer, opts);
  const cols: EvaluationShardState["columns"][] = [];
  for (const { part, manifest: m } of checked) {
    if (m.command !== "evaluate")
      throw new ShardError(`${part}: output of '${m.command}', not of 'evaluate'`);
    if (JSON.stringify(m.inputs) !== JSON.stringify(want))
      throw new ShardError(
        `${part}: made with another model or explainer than these; merge with the shards' own`,
      );
    const file = join(dirname(part), m.output.file);
    if (sha256File(file) !== m.output.sha256)
      throw new ShardError(
        `${file}: content differs from its manifest's SHA-256; re-run shard ${m.shard?.index ?? 0}`,
      );
    const s = JSON.parse(readFileSync(file, "utf8"), reviver) as EvaluationShardState;
    cols.push(s.columns);
    analyses.uncertainty.merge(s.uncertainty);
    analyses.prototypes.merge(s.prototypes);
    analyses.deletion.merge(s.deletion);
    analyses.stability.merge(s.stability);
    analyses.gradcam.merge(s.gradcam);
  }
  const k = Math.max(0, ...cols.map((c) => c.k));
  const cat = (f: (c: EvaluationShardState["columns"]) => number[]) => cols.flatMap(f);
  const col: Collected = {
    ids: cols.flatMap((c) => c.ids),
    folds: cat((c) => c.folds),
    k,
    features: Float64Array.from(cat((c) => c.features)),
    soft: Float64Array.from(cat((c) => c.soft)),
    scores: Float64Array.from(cat((c) => c.scores)),
    truth: Uint8Array.from(cat((c) => c.truth)),
    ages: cat((c) => c.ages),
  };
  const result = await finishEvaluation(explainer, { col, analyses }, opts, t0);
  return { result, shards: checked.map((c) => c.manifest) };
}
