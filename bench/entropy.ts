/**
 * Does the soft assignment's entropy mean something? For each explainer given (the same model,
 * typically one fit per `--variance`), through the library:
 *  - LUDB (cardiologists' lead II waves): mean entropy of the samples within +-20 ms of a P, QRS or
 *    T onset or offset against the samples inside waves, and the AUROC of entropy for telling them
 *    apart (sample by sample, within the annotated span);
 *  - PTB-XL folds 9-10: mean entropy with Gaussian noise of 0, 0.05, 0.1, 0.2 and 0.5 x each lead's
 *    std added (as `evaluate`'s stability analysis adds it), and the AUROC of the noise-free
 *    entropy for the samples whose cluster changes under that noise;
 *  - PTB-XL folds 1-9: the AUROC of each ECG's mean entropy for the ECGs where the surrogate's
 *    out-of-fold labels (the random forest on hard proportions, as `evaluate`) differ from the
 *    CNN's in some class; beside it the AUROC of the CNN's own margin (the smallest distance of a
 *    probability to its threshold, negated), which does not depend on the explainer, and the
 *    entropy's AUROC among the ECGs the CNN calls with a margin of at least 0.1.
 * Hard clusters do not depend on sigma^2, so explainers that differ only in `--variance` share
 * every target; only the entropies differ.
 *
 * usage: node dist/bench/entropy.js MODEL_DIR TLC.json... [--json]   (ECG_TLC_DATA: the data
 * folder, default ../shared/data). Skips with a message without arguments.
 */
import { existsSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { auroc } from "../src/eval/metrics.js";
import { addGaussianNoise } from "../src/eval/analyses.js";
import { datasetRecordPaths } from "../src/eval/landmarks.js";
import { surrogateOutOfFold } from "../src/eval/surrogate.js";
import { decisionThresholds, type Explanation } from "../src/explain/explanation.js";
import { readLudbWaves } from "../src/io/annotations.js";
import { entriesInFolds, openDataset, readRecord } from "../src/io/index.js";
import { loadModel, type ModelFace } from "../src/model/index.js";
import { Tlc, type TlcExplainer } from "../src/tlc/index.js";
import type { EcgRecord } from "../src/types.js";

const args = process.argv.slice(2).filter((a) => a !== "--json");
const asJson = process.argv.includes("--json");
const [modelDir, ...tlcPaths] = args;
const data = process.env.ECG_TLC_DATA ?? resolve("..", "shared", "data");
const NOISES = [0, 0.05, 0.1, 0.2, 0.5];
/** Half-width of a wave boundary, in seconds. */
const BOUNDARY = 0.02;
const BATCH = 32;

interface Row {
  explainer: string;
  variance: string;
  sigma2: number;
  ludb: {
    boundary: number;
    inside: number;
    /** Samples between waves (and beyond a boundary's reach). */
    between: number;
    ratio: number;
    auroc: number;
    byWave: Record<string, { boundary: number; inside: number }>;
    /** Samples within a boundary's reach of a change of the hard cluster, and the others. */
    clusterChange: number;
    clusterSteady: number;
    /** Share of the hard cluster's changes that fall within a wave boundary's reach. */
    changesAtWaveBoundaries: number;
    /** Share of the annotated samples within a wave boundary's reach (what chance would give). */
    boundaryShare: number;
    records: number;
  };
  noise: {
    ecgs: number;
    meanEntropy: number[];
    /** Share of samples whose cluster changes, per noise level (0 at noise 0). */
    changed: number[];
    /** AUROC of the noise-free entropy for a changed cluster, per noise level (NaN at 0). */
    aurocChanged: number[];
  };
  disagreement: {
    ecgs: number;
    disagree: number;
    auroc: number;
    aurocMargin: number;
    /** The same among the ECGs the CNN calls with a margin of at least BORDERLINE. */
    confidentEcgs: number;
    confidentDisagree: number;
    aurocConfident: number;
  };
}

async function explainAll(ex: TlcExplainer, recs: EcgRecord[]): Promise<Explanation[]> {
  const out: Explanation[] = [];
  for (let b = 0; b < recs.length; b += BATCH)
    out.push(...(await ex.explain(recs.slice(b, b + BATCH))));
  return out;
}

function mean(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return s / (xs.length || 1);
}

/** The record with noise of `level` x each lead's std (seeded by position, as stability does). */
function noisy(rec: EcgRecord, level: number, index: number): EcgRecord {
  if (level === 0) return rec;
  const out = Float32Array.from(rec.signal);
  for (let l = 0; l < rec.leads.length; l++) {
    const x = rec.signal.subarray(l * rec.samples, (l + 1) * rec.samples);
    const m = mean(x);
    let v = 0;
    for (const s of x) v += (s - m) ** 2;
    const std = Math.sqrt(v / (x.length || 1));
    const nz = addGaussianNoise(new Float32Array(rec.samples), level * std, 1000 + index * 31 + l);
    for (let t = 0; t < rec.samples; t++) out[l * rec.samples + t] += nz[t];
  }
  return { ...rec, signal: out };
}

const WAVES = ["P", "QRS", "T"] as const;

async function ludb(ex: TlcExplainer): Promise<Row["ludb"]> {
  const paths = await datasetRecordPaths(join(data, "ludb", "data"));
  const bScores: number[] = [];
  const iScores: number[] = [];
  const oScores: number[] = [];
  // Within a boundary's reach of a change of the explainer's own (hard) cluster, and not.
  const cChange: number[] = [];
  const cSteady: number[] = [];
  let changes = 0;
  let changesAtWaves = 0;
  let spanSamples = 0;
  const byWave = Object.fromEntries(
    WAVES.map((w) => [w, { b: [] as number[], i: [] as number[] }]),
  );
  for (let b = 0; b < paths.length; b += BATCH) {
    const chunk = paths.slice(b, b + BATCH);
    const recs = chunk.map((p) => readRecord(p.replace(/\.hea$/, "")));
    const exs = await ex.explain(recs);
    recs.forEach((rec, i) => {
      const { waves, span } = readLudbWaves(chunk[i].replace(/\.hea$/, ""), "II");
      const half = Math.round(BOUNDARY * rec.fs);
      // Per sample: 1 within a boundary's reach, 2 inside a wave away from its boundaries, else
      // 0 (the segments between waves); `wave` the wave type it belongs to (1 + index in WAVES).
      const kind = new Uint8Array(rec.samples);
      const wave = new Uint8Array(rec.samples);
      const inRange = (t: number) => t >= 0 && t < rec.samples;
      for (const w of waves)
        for (let t = w.onset; t <= w.offset; t++)
          if (inRange(t)) {
            kind[t] = 2;
            wave[t] = 1 + WAVES.indexOf(w.type as (typeof WAVES)[number]);
          }
      for (const w of waves)
        for (const edge of [w.onset, w.offset])
          for (let t = edge - half; t <= edge + half; t++)
            if (inRange(t)) {
              kind[t] = 1;
              wave[t] = 1 + WAVES.indexOf(w.type as (typeof WAVES)[number]);
            }
      const h = exs[i].entropy;
      const cl = exs[i].clusters;
      const near = new Uint8Array(rec.samples);
      for (let t = Math.max(1, span[0]); t <= span[1] && t < rec.samples; t++) {
        if (cl[t] === cl[t - 1]) continue;
        changes++;
        if (kind[t] === 1) changesAtWaves++;
        for (let u = t - half; u < t + half; u++) if (inRange(u)) near[u] = 1;
      }
      for (let t = span[0]; t <= span[1] && t < rec.samples; t++) {
        (near[t] ? cChange : cSteady).push(h[t]);
        spanSamples++;
      }
      for (let t = span[0]; t <= span[1] && t < rec.samples; t++) {
        const name = WAVES[wave[t] - 1];
        if (kind[t] === 1) {
          bScores.push(h[t]);
          if (name) byWave[name].b.push(h[t]);
        } else if (kind[t] === 2) {
          iScores.push(h[t]);
          if (name) byWave[name].i.push(h[t]);
        } else oScores.push(h[t]);
      }
    });
  }
  const boundary = mean(bScores);
  const inside = mean(iScores);
  const labels = [...bScores.map(() => 1), ...iScores.map(() => 0)];
  return {
    boundary,
    inside,
    between: mean(oScores),
    ratio: boundary / inside,
    auroc: auroc([...bScores, ...iScores], labels),
    byWave: Object.fromEntries(
      WAVES.map((w) => [w, { boundary: mean(byWave[w].b), inside: mean(byWave[w].i) }]),
    ),
    clusterChange: mean(cChange),
    clusterSteady: mean(cSteady),
    changesAtWaveBoundaries: changesAtWaves / (changes || 1),
    boundaryShare: bScores.length / (spanSamples || 1),
    records: paths.length,
  };
}

async function noise(ex: TlcExplainer, recs: EcgRecord[]): Promise<Row["noise"]> {
  const clean = await explainAll(ex, recs);
  const meanEntropy: number[] = [];
  const changed: number[] = [];
  const aurocChanged: number[] = [];
  for (const level of NOISES) {
    const exs =
      level === 0
        ? clean
        : await explainAll(
            ex,
            recs.map((r, i) => noisy(r, level, i)),
          );
    meanEntropy.push(mean(exs.map((e) => e.meanEntropy)));
    const h: number[] = [];
    const moved: number[] = [];
    exs.forEach((e, i) => {
      const c = clean[i];
      for (let t = 0; t < c.clusters.length; t++) {
        h.push(c.entropy[t]);
        moved.push(c.clusters[t] === e.clusters[t] ? 0 : 1);
      }
    });
    changed.push(mean(moved));
    aurocChanged.push(level === 0 ? NaN : auroc(h, moved));
  }
  return { ecgs: recs.length, meanEntropy, changed, aurocChanged };
}

async function disagreement(
  ex: TlcExplainer,
  model: ModelFace,
  recs: EcgRecord[],
  folds: number[],
  truth: Uint8Array,
): Promise<Row["disagreement"]> {
  const exs = await explainAll(ex, recs);
  const { classes } = model.config;
  const c = classes.length;
  const k = exs[0].proportions.length;
  const thresholds = decisionThresholds(model.config);
  const scores = Float64Array.from(exs.flatMap((e) => classes.map((n) => e.outputs[n])));
  const oof = surrogateOutOfFold({
    features: Float64Array.from(exs.flatMap((e) => e.proportions)),
    k,
    cnnScores: scores,
    thresholds,
    truth,
    classes: c,
    folds,
  });
  const disagree = exs.map((_, i) => {
    for (let j = 0; j < c; j++) if (oof.labels[i * c + j] !== oof.cnnLabels[i * c + j]) return 1;
    return 0;
  });
  const margin = exs.map((_, i) => {
    let m = Infinity;
    for (let j = 0; j < c; j++) m = Math.min(m, Math.abs(scores[i * c + j] - thresholds[j]));
    return -m;
  });
  return {
    ecgs: recs.length,
    disagree: disagree.reduce((s: number, v) => s + v, 0),
    auroc: auroc(
      exs.map((e) => e.meanEntropy),
      disagree,
    ),
    aurocMargin: auroc(margin, disagree),
    ...confident(
      exs.map((e) => e.meanEntropy),
      disagree,
      margin,
    ),
  };
}

/** The CNN margin below which a call is borderline (over half the disagreements, EVIDENCE.md). */
const BORDERLINE = 0.1;

/** The entropy's AUROC among the ECGs the CNN calls with a margin of at least BORDERLINE. */
function confident(
  entropy: number[],
  disagree: number[],
  margin: number[],
): { confidentEcgs: number; confidentDisagree: number; aurocConfident: number } {
  const keep = margin.map((m) => -m >= BORDERLINE);
  const h = entropy.filter((_, i) => keep[i]);
  const d = disagree.filter((_, i) => keep[i]);
  return {
    confidentEcgs: h.length,
    confidentDisagree: d.reduce((s, v) => s + v, 0),
    aurocConfident: auroc(h, d),
  };
}

async function main(): Promise<void> {
  if (!modelDir || tlcPaths.length === 0 || !existsSync(join(modelDir, "model.json"))) {
    console.log("entropy: skipped (usage: node dist/bench/entropy.js MODEL_DIR TLC.json...)");
    return;
  }
  const model = await loadModel(modelDir);
  const ptbxl = await openDataset(join(data, "ptbxl"));
  const late = entriesInFolds(ptbxl.entries, [9, 10], "folds", "PTB-XL");
  const train = entriesInFolds(ptbxl.entries, [1, 2, 3, 4, 5, 6, 7, 8, 9], "folds", "PTB-XL");
  const lateRecs: EcgRecord[] = [];
  for (const e of late) lateRecs.push(await ptbxl.read(e));
  const trainRecs: EcgRecord[] = [];
  for (const e of train) trainRecs.push(await ptbxl.read(e));
  const { classes } = model.config;
  const truth = Uint8Array.from(
    train.flatMap((e) => classes.map((n) => (e.labels.includes(n) ? 1 : 0))),
  );
  const folds = train.map((e) => e.fold ?? 0);
  const rows: Row[] = [];
  for (const path of tlcPaths) {
    const tlc = Tlc.load(path, model);
    const ex = tlc.bind(model);
    const row: Row = {
      explainer: basename(path),
      variance: tlc.options.variance,
      sigma2: tlc.sigma2,
      ludb: await ludb(ex),
      noise: await noise(ex, lateRecs),
      disagreement: await disagreement(ex, model, trainRecs, folds, truth),
    };
    rows.push(row);
    if (!asJson) print(row);
  }
  if (asJson) console.log(JSON.stringify(rows, null, 1));
  ptbxl.close();
  model.dispose();
}

function print(r: Row): void {
  const f = (x: number, d = 3) => (Number.isFinite(x) ? x.toFixed(d) : "-");
  console.log(
    `${r.explainer} (${r.variance}, sigma^2 ${r.sigma2.toPrecision(3)}): ` +
      `LUDB boundary ${f(r.ludb.boundary)} vs inside ${f(r.ludb.inside)} (x${f(r.ludb.ratio, 2)}, AUROC ${f(r.ludb.auroc)}; between waves ${f(r.ludb.between)}; ` +
      WAVES.map((w) => `${w} ${f(r.ludb.byWave[w].boundary)}/${f(r.ludb.byWave[w].inside)}`).join(
        " ",
      ) +
      `; cluster changes ${f(r.ludb.clusterChange)} vs steady ${f(r.ludb.clusterSteady)}, ${f(100 * r.ludb.changesAtWaveBoundaries, 0)} % of changes at wave boundaries, which cover ${f(100 * r.ludb.boundaryShare, 0)} % of samples); ` +
      `noise ${NOISES.join("/")}: entropy ${r.noise.meanEntropy.map((v) => f(v)).join(" / ")}, ` +
      `changed ${r.noise.changed.map((v) => f(v)).join(" / ")}, AUROC ${r.noise.aurocChanged.map((v) => f(v)).join(" / ")} (${r.noise.ecgs} ECGs); ` +
      `disagreement AUROC ${f(r.disagreement.auroc)} (${r.disagreement.disagree}/${r.disagreement.ecgs} ECGs; CNN margin ${f(r.disagreement.aurocMargin)}; among the ${r.disagreement.confidentEcgs} ECGs called with a margin >= ${BORDERLINE}: ${f(r.disagreement.aurocConfident)}, ${r.disagreement.confidentDisagree} disagree)`,
  );
}

await main();
