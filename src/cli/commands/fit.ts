import { UsageError } from "../../errors.js";
import { MAX_RECORDS_FOR_WAVES } from "../../eval/cluster-waves.js";
import { nameExplainer } from "../../eval/name-explainer.js";
import { MAX_RECORDS_FOR_STATES } from "../../eval/state-names.js";
import { entriesInFolds, openDataset } from "../../io/index.js";
import { loadModel } from "../../model/index.js";
import { writeFitShard } from "../../scale/fit.js";
import { writeStateShard } from "../../scale/fit-states.js";
import { sha256File } from "../../scale/output.js";
import { parseShard } from "../../scale/shard.js";
import { parseTaps, parseWeights, progressPrinter } from "../tlc-options.js";
import {
  DEFAULT_K,
  DEFAULT_MAX_POINTS,
  DEFAULT_STATE_POINTS,
  DEFAULT_STATES_PER_WAVE,
  DEFAULT_TAPS,
  Tlc,
  VARIANCES,
  type Variance,
} from "../../tlc/index.js";
import {
  parseCommandArgs,
  parseFolds,
  optionalNumber,
  parseNumber,
  writeJsonLine,
  type Command,
} from "../command.js";

const usage = `usage: ecg-tlc fit --model MODEL --data DIR [--folds 1-9] --out TLC.json [options]

Fits time-localized clusters (TLC) on the training ECGs: streams them through the model, builds
the composite per-step vectors of the chosen taps (each channel centred and standardised over its
own record by default, block weights, nearest upsampling to the finest grid, steps in padding
dropped) and clusters them with k-means (k-means++, restarts, fixed seed): the wave clusters,
named by the wave they follow (P, QRS, T, TP). Then, by default, a second level: within each wave
cluster, the states of what the network's head reads there (k-means of its last tap, standardised
with training statistics, not centred), named by the class they are most enriched in; every step
gets a leaf "QRS · CD-like". Progress goes to stderr.

  --model MODEL        model folder (from 'ecg-tlc train')
  --data DIR           dataset folder (PTB-XL, LUDB, CinC 2021, CODE-15%, WFDB)
  --folds LIST         folds to fit on, e.g. 1-9 (default: every record)
  --out TLC.json       where to write the explainer
  --k K                clusters (default ${DEFAULT_K})
  --seed S             seed of k-means and sampling (default 0)
  --max-points N       fit on a uniform sample of N vectors (reservoir over every kept step of
                       every ECG; bounds memory to N x dims x 4 bytes; default ${DEFAULT_MAX_POINTS},
                       'all' for every vector)
  --streaming          mini-batch k-means over a stream (memory: one mini-batch, 3 passes)
  --taps LIST          taps to cluster (default ${DEFAULT_TAPS.join(",")}; an imported model: its taps)
  --weights W          block weights: inverse-sqrt (default), equal, or B2=w,B3=w,...
  --record-scale A     divide each record-centred channel by std_record^A x std_train^(1-A):
                       1 (default) standardises per record (clusters follow the waves), 0 uses
                       training statistics (more class information); see docs/EVIDENCE.md
  --no-record-scale    the same as --record-scale 0
  --no-centre          with --no-record-scale: keep each record's mean over time
  --no-standardise     with --no-record-scale: skip the per-channel standardisation
  --no-blocks          skip the per-block (each tap alone) clusterings
  --name-ecgs N        name each cluster by the wave it is most enriched in (P, QRS, T, TP) on N
                       of the ECGs, spread over them and delineated (default ${MAX_RECORDS_FOR_WAVES}, at
                       most ${MAX_RECORDS_FOR_WAVES}; 0 stores no names); explain, the explorer and figures use them
  --no-states          the single-level, paper-style explainer (wave clusters only)
  --states-per-wave N  states within each wave cluster (default ${DEFAULT_STATES_PER_WAVE})
  --leaves N           instead: N leaves in all, each next state given to the wave whose split
                       lowers the within-state sum of squares most
  --state-taps LIST    taps the states read (default: the model's last tap)
  --state-points N     cluster each wave's states on a uniform sample of at most N of its steps'
                       vectors (default ${DEFAULT_STATE_POINTS.toLocaleString("en")}; 'all' for every one)
  --name-states N      name the states on N of the ECGs (default ${MAX_RECORDS_FOR_STATES}; 0: unnamed)
  --variance V         sigma^2 of the soft assignment: per-dim (default, inertia/(points x dims)),
                       per-point (inertia/points), effective (matched to the residuals' first two
                       moments, i.e. per-dim over the channels' effective number), or chosen on
                       vectors held out of a refit on half the sample (not with --streaming):
                       held-out (their likelihood; lands on per-dim) or refit (calibrated so that
                       entropy says how likely a step's cluster is to change under a refit)
  --n-init N           k-means restarts (default 3)
  --threads N          k-means threads (default: all cores)
  --json               print a summary: points, dims, inertia, iterations, seconds
  --shard I/N          only shard I (0 to N-1) of the ECGs: --out gets its vector sample (.npy, at
                       most --max-points vectors, with OUT.manifest.json); 'ecg-tlc merge --model
                       MODEL --out WAVES.json PART...' merges the samples and clusters them: the
                       wave level (a sharded fit's first pass; --no-states: the explainer)
  --states-of WAVES.json
                       with --shard: the second pass, the states' of the merged wave explainer:
                       --out gets per wave a uniform sample of its steps' state vectors (at most
                       --state-points per wave); 'ecg-tlc merge --model MODEL --states-of WAVES.json --out
                       TLC.json PART...' merges them and clusters the states: the two-level
                       explainer (the wave options are the explainer's; the state options apply)
`;

const command: Command = {
  name: "fit",
  summary: "fit time-localized clusters (TLC) on a dataset through a trained model",
  usage,
  async run(argv) {
    const { values: v, positionals } = parseCommandArgs("fit", argv, {
      model: { type: "string" },
      data: { type: "string" },
      folds: { type: "string" },
      out: { type: "string" },
      k: { type: "string" },
      seed: { type: "string" },
      "max-points": { type: "string" },
      streaming: { type: "boolean" },
      taps: { type: "string" },
      weights: { type: "string" },
      "no-centre": { type: "boolean" },
      "no-record-scale": { type: "boolean" },
      "record-scale": { type: "string" },
      "no-standardise": { type: "boolean" },
      "no-blocks": { type: "boolean" },
      "name-ecgs": { type: "string" },
      "no-states": { type: "boolean" },
      "states-per-wave": { type: "string" },
      leaves: { type: "string" },
      "state-taps": { type: "string" },
      "state-points": { type: "string" },
      "name-states": { type: "string" },
      "n-init": { type: "string" },
      variance: { type: "string" },
      threads: { type: "string" },
      json: { type: "boolean" },
      shard: { type: "string" },
      "states-of": { type: "string" },
    });
    if (positionals.length) throw new UsageError(`fit: unexpected argument '${positionals[0]}'`);
    for (const o of ["model", "data", "out"] as const) {
      if (!v[o]) throw new UsageError(`fit: --${o} is required (see 'ecg-tlc fit --help')`);
    }
    if (v.variance !== undefined && !(VARIANCES as readonly string[]).includes(v.variance)) {
      throw new UsageError(`--variance: expected ${VARIANCES.join(", ")}, got '${v.variance}'`);
    }
    if (v.streaming && (v.variance === "held-out" || v.variance === "refit")) {
      throw new UsageError(`--variance ${v.variance} needs the vectors in memory (no --streaming)`);
    }
    const progress = progressPrinter("fit");
    let sampled: { done: number; total: number } | undefined;
    const printProgress: typeof progress = (p) => {
      if (p.stage === "sampled") sampled = p;
      progress(p);
    };
    const opts = {
      variance: v.variance as Variance | undefined,
      k: optionalNumber(v.k, "--k", { integer: true, min: 1 }),
      seed: optionalNumber(v.seed, "--seed", { integer: true, min: 0 }),
      maxPoints:
        v["max-points"] === "all"
          ? Infinity
          : parseNumber(v["max-points"], "--max-points", DEFAULT_MAX_POINTS, {
              integer: true,
              min: 1,
            }),
      streaming: Boolean(v.streaming),
      taps: parseTaps(v.taps),
      weights: parseWeights(v.weights),
      centre: !v["no-centre"],
      recordScale: v["no-record-scale"]
        ? 0
        : optionalNumber(v["record-scale"], "--record-scale", { min: 0, max: 1 }),
      standardise: !v["no-standardise"],
      blocks: !v["no-blocks"],
      nInit: optionalNumber(v["n-init"], "--n-init", { integer: true, min: 1 }),
      threads: optionalNumber(v.threads, "--threads", { integer: true, min: 0 }),
      onProgress: printProgress,
    };
    const states = v["no-states"]
      ? (false as const)
      : {
          k: optionalNumber(v["states-per-wave"], "--states-per-wave", { integer: true, min: 1 }),
          taps: parseTaps(v["state-taps"]),
          leaves: optionalNumber(v.leaves, "--leaves", { integer: true, min: 1 }),
          maxPoints:
            v["state-points"] === "all"
              ? Infinity
              : optionalNumber(v["state-points"], "--state-points", { integer: true, min: 1 }),
        };
    const nameStateEcgs = parseNumber(v["name-states"], "--name-states", MAX_RECORDS_FOR_STATES, {
      integer: true,
      min: 0,
    });
    const nameEcgs = parseNumber(v["name-ecgs"], "--name-ecgs", MAX_RECORDS_FOR_WAVES, {
      integer: true,
      min: 0,
      max: MAX_RECORDS_FOR_WAVES,
    });
    const folds = v.folds ? parseFolds(v.folds) : undefined;
    const model = await loadModel(v.model!);
    const dataset = await openDataset(v.data!);
    try {
      if (v["states-of"] !== undefined) {
        if (v.shard === undefined || folds || states === false)
          throw new UsageError(
            "fit: --states-of runs the state pass of a sharded fit: give --shard I/N (no --folds, no --no-states)",
          );
        const m = await writeStateShard(model, dataset, Tlc.load(v["states-of"], model), {
          out: v.out!,
          shard: parseShard(v.shard),
          explainerSha256: sha256File(v["states-of"]),
          options: { ...states, seed: opts.seed },
        });
        const p = m.payload as { seen: number[]; stored: number[] };
        const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);
        process.stderr.write(
          `fit: shard ${v.shard}: ${m.output.records} ECGs, states: kept ${sum(p.stored)} of ${sum(p.seen)} steps' vectors (${p.seen.length} waves) -> ${v.out}\n`,
        );
        return 0;
      }
      if (v.shard !== undefined) {
        if (folds) throw new UsageError("fit: --shard splits the whole dataset; no --folds");
        const m = await writeFitShard(model, dataset, {
          out: v.out!,
          shard: parseShard(v.shard),
          options: opts,
        });
        const p = m.payload as { seen: number; stored: number };
        process.stderr.write(
          `fit: shard ${v.shard}: ${m.output.records} ECGs, kept ${p.stored} of ${p.seen} vectors -> ${v.out}\n`,
        );
        return 0;
      }
      const entries = entriesInFolds(dataset.entries, folds, "folds", v.data!);
      const fitted = await Tlc.fit(model, dataset, entries, { ...opts, states });
      const tlc = await nameExplainer(fitted, model, dataset, entries, {
        waveEcgs: nameEcgs,
        stateEcgs: nameStateEcgs,
        progress: (stage, done, total) => printProgress({ stage, done, total }),
      });
      const waves = tlc.waves;
      tlc.save(v.out!);
      const summary = {
        out: v.out,
        records: tlc.info.records,
        points: tlc.info.points,
        // what the fit clustered: a uniform sample of `points` of the `vectors` the ECGs gave
        vectors: sampled?.total ?? tlc.info.points,
        dims: tlc.dims,
        k: tlc.k,
        inertia: tlc.inertia,
        iterations: tlc.main.iterations,
        variance: tlc.options.variance,
        sigma2: tlc.sigma2,
        // the held-out evidence behind sigma2 (held-out, refit)
        ...(tlc.main.heldOut ? { heldOut: tlc.main.heldOut } : {}),
        seconds: tlc.info.seconds,
        clusterWaves: tlc.clusterWaves ?? null,
        leaves: tlc.leafNames ?? null,
      };
      if (v.json) await writeJsonLine(summary);
      else
        process.stderr.write(
          `fit: ${summary.points} vectors${summary.vectors > summary.points ? ` (a uniform sample of the ${summary.vectors} of ${summary.records} ECGs)` : ""} x ${summary.dims} dims, K=${summary.k}, inertia ${summary.inertia.toExponential(4)}, sigma^2 ${summary.sigma2.toPrecision(3)} (${summary.variance}${tlc.main.heldOut?.disagreement !== undefined ? `: ${(100 * tlc.main.heldOut.disagreement).toFixed(2)} % of held-out steps change cluster under a refit` : ""}), ${summary.seconds.toFixed(1)} s${waves ? `, clusters ${waves.names.map((w, c) => `${c}:${w ?? "?"}`).join(" ")} (${waves.records} ECGs delineated)` : ""}${tlc.leafNames ? `; ${tlc.leaves} leaves: ${tlc.leafNames.join(", ")}` : ""} -> ${v.out}\n`,
        );
    } finally {
      dataset.close();
      model.dispose();
    }
    return 0;
  },
};

export default command;
