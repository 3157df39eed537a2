import { UsageError } from "../../errors.js";
import { namedExplanation, type Explanation } from "../../explain/explanation.js";
import { readRecordSegment } from "../../io/segment.js";
import { loadModel } from "../../model/index.js";
import { explainRecords, Tlc } from "../../tlc/index.js";
import {
  optionalNumber,
  parseCommandArgs,
  parseNumber,
  writeJsonLine,
  type Command,
} from "../command.js";
import { writeFigureFiles } from "../../viz/explain-figure.js";
import { leavesOf } from "../../explain/levels.js";
import { explainDatasetCommand } from "../scale.js";

const usage = `usage: ecg-tlc explain --model MODEL --tlc TLC.json RECORD... [--json] [--batch N]
       ecg-tlc explain --model MODEL --tlc TLC.json --data DIR --out FILE.jsonl [--shard I/N]

Explains ECG records with a fitted TLC: per sample of each record (at its own rate) the cluster
and the normalised entropy of the assignment, the segments, the cluster proportions and the
network's outputs. RECORD is a WFDB path without extension.

  --model MODEL   model folder the explainer was fitted on
  --tlc TLC.json  explainer from 'ecg-tlc fit'
  --json          one JSON line per record: record, fs, samples, outputs, labels (the classes
                  the model calls), clusters, entropy, segments, proportions, softProportions,
                  meanEntropy, blocks, and clusterWaves (the wave each cluster stands for,
                  when 'ecg-tlc fit' stored names in the explainer); a two-level explainer
                  adds states (state within its wave cluster per sample), leaves (leaf per
                  sample), stateEntropy, leafProportions, softLeafProportions,
                  meanStateEntropy and leafNames ("C1 QRS · CD-like", index = leaf)
  --batch N       records per forward call (default 16)
  --from SEC      explain the segment starting SEC seconds into each record (default 0)
  --to SEC        ... and ending at SEC seconds (default: the record's end). A record longer
                  than the network's window (10.24 s for ptbxl100) is refused, never cut: choose
                  a segment of at most that length (the JSON then holds segment: {from, to} in
                  samples of the record)
  --timing        print the throughput (ECGs per second, file to JSON) on stderr
  --svg FILE      also draw each record on ECG paper, clusters as background, entropy band
                  (several records: FILE gets -RECORD before its extension)
  --png FILE      the same figure as PNG
  --layout L      figure layout: standard (4x3 + rhythm strip, default) or column (one row per lead)
  --gradcam       overlay the network's Grad-CAM (last tap, most probable class) on the figure
  --data DIR      explain every record of a dataset instead (streamed: memory holds three batches)
  --out FILE      with --data: one JSON line per record (the objects --json prints) in dataset
                  order, written atomically, and FILE.manifest.json (records, fingerprints, time,
                  peak memory); progress (ECGs/s, ETA) on stderr
  --shard I/N     with --data: only shard I (0 to N-1) of N, a deterministic contiguous split;
                  'ecg-tlc merge' combines the shards' files
`;

/** The three largest leaves of a two-level explanation ("; leaves C1 QRS · CD-like 12%, ..."). */
function topLeaves(e: Explanation, names?: string[]): string {
  if (!e.leafProportions || !names) return "";
  const top = e.leafProportions
    .map((p, l) => ({ p, l }))
    .sort((a, b) => b.p - a.p)
    .slice(0, 3)
    .map(({ p, l }) => `${names[l]} ${(100 * p).toFixed(0)}%`);
  return `; leaves ${top.join(", ")}`;
}

const command: Command = {
  name: "explain",
  summary: "segment ECG records into time-localized clusters with per-sample uncertainty",
  usage,
  async run(argv) {
    const { values: v, positionals } = parseCommandArgs("explain", argv, {
      model: { type: "string" },
      tlc: { type: "string" },
      json: { type: "boolean" },
      batch: { type: "string" },
      timing: { type: "boolean" },
      svg: { type: "string" },
      png: { type: "string" },
      layout: { type: "string" },
      gradcam: { type: "boolean" },
      from: { type: "string" },
      to: { type: "string" },
      data: { type: "string" },
      out: { type: "string" },
      shard: { type: "string" },
    });
    if (v.data !== undefined || v.out !== undefined || v.shard !== undefined)
      return explainDatasetCommand(v, positionals);
    if (!v.model) throw new UsageError("explain: --model MODEL is required");
    if (!v.tlc) throw new UsageError("explain: --tlc TLC.json is required");
    if (!positionals.length)
      throw new UsageError("explain: no RECORD given (see 'ecg-tlc explain --help')");
    const batch = optionalNumber(v.batch, "--batch", { integer: true, min: 1 });
    const choice = {
      from: v.from === undefined ? undefined : parseNumber(v.from, "--from", 0, { min: 0 }),
      to: v.to === undefined ? undefined : parseNumber(v.to, "--to", 0, { min: 0 }),
    };
    const chosen = choice.from !== undefined || choice.to !== undefined;
    if (chosen && (v.svg || v.png)) {
      throw new UsageError("explain: --svg/--png draw whole records, not with --from/--to");
    }
    const ranges = new Map<string, { from: number; to: number }>();
    const read = (p: string) => {
      const r = readRecordSegment(p, choice);
      if (chosen) ranges.set(p, { from: r.sampfrom, to: r.sampfrom + r.samples });
      return r;
    };
    const t0 = performance.now();
    const model = await loadModel(v.model);
    try {
      const explainer = Tlc.load(v.tlc, model).bind(model);
      const names = explainer.clusterWaves;
      const leaves = leavesOf(explainer);
      let n = 0;
      for await (const { record, explanation: e } of explainRecords(
        explainer,
        positionals,
        read,
        batch,
      )) {
        n++;
        const fig = { ...v, several: positionals.length > 1, clusterWaves: names, leaves };
        await writeFigureFiles(model, record, e, fig);
        const segment = ranges.get(positionals[n - 1]);
        if (v.json) {
          await writeJsonLine(
            namedExplanation({ ...e, ...(segment ? { segment } : {}) }, explainer),
          );
        } else {
          const top = e.proportions
            .map((p, k) => `${k}${names?.[k] ? ` ${names[k]}` : ""}:${(100 * p).toFixed(0)}%`)
            .join(" ");
          const leaves = topLeaves(e, explainer.leafNames);
          process.stdout.write(
            `${e.record}: ${e.segments.length} segments, mean entropy ${e.meanEntropy.toFixed(3)}, clusters ${top}${leaves}${e.labels.length ? `, predicted ${e.labels.join(",")}` : ""}\n`,
          );
        }
      }
      if (v.timing) {
        const s = (performance.now() - t0) / 1000;
        process.stderr.write(
          `explain: ${n} ECGs in ${s.toFixed(2)} s (${(n / s).toFixed(1)} ECGs/s, file to JSON)\n`,
        );
      }
    } finally {
      model.dispose();
    }
    return 0;
  },
};

export default command;
