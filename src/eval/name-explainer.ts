/**
 * Names a freshly fitted explainer on its training ECGs: the wave clusters by the wave each is
 * most enriched in (delineated ECGs), then, for a two-level explainer, the states by the class
 * each leaf is most enriched in. What `ecg-tlc fit`, `merge` and the pipeline store.
 */
import type { ModelFace } from "../model/face.js";
import type { Tlc } from "../tlc/tlc.js";
import type { EcgRecord } from "../types.js";
import { MAX_RECORDS_FOR_WAVES, nameClustersOn, spreadSample } from "./cluster-waves.js";
import { MAX_RECORDS_FOR_STATES, nameStates } from "./state-names.js";

export interface NamingOptions {
  /** ECGs delineated to name the wave clusters (default MAX_RECORDS_FOR_WAVES; 0: none). */
  waveEcgs?: number;
  /** ECGs explained to name the states (default MAX_RECORDS_FOR_STATES; 0: none). */
  stateEcgs?: number;
  progress?: (stage: "naming clusters" | "naming states", done: number, total: number) => void;
}

export async function nameExplainer<E>(
  tlc: Tlc,
  model: ModelFace,
  dataset: { read(entry: E): Promise<EcgRecord> },
  entries: readonly E[],
  opts: NamingOptions = {},
): Promise<Tlc> {
  const waveEcgs = opts.waveEcgs ?? MAX_RECORDS_FOR_WAVES;
  const waves = waveEcgs
    ? await nameClustersOn(tlc.bind(model), dataset, entries, {
        n: waveEcgs,
        progress: (done, total) => opts.progress?.("naming clusters", done, total),
      })
    : undefined;
  let named = waves ? tlc.withClusterWaves(waves) : tlc;
  const n = Math.min(opts.stateEcgs ?? MAX_RECORDS_FOR_STATES, entries.length);
  if (named.states && n > 0) {
    const names = await nameStates(
      named.bind(model),
      spreadSample(entries, n, (e) => dataset.read(e)),
      { progress: (done) => opts.progress?.("naming states", done, n) },
    );
    named = named.withStateNames(names);
  }
  return named;
}
