import { UsageError } from "../../errors.js";
import { importModel, NORMALISATIONS, type ImportOptions } from "../../model/import.js";
import { LAYOUTS, OUTPUT_KINDS, type Layout, type OutputKind } from "../../model/imported.js";
import { openDataset } from "../../io/index.js";
import { entriesInFolds } from "../../io/datasets/folds.js";
import {
  parseCommandArgs,
  parseFolds,
  parseNumber,
  writeJsonLine,
  type Command,
} from "../command.js";

const usage = `usage: ecg-tlc import-model FILE --out MODEL --fs HZ [options]

Imports a network trained elsewhere (ONNX, or TorchScript from torch.jit.save) as a model folder
(MODEL/model.json beside a copy of FILE and its sha256), which predict, fit, explain, gradcam,
features, evaluate, align, report, serve and pipeline load like a folder 'train' wrote. One test
batch runs first; nothing is written when a check fails.

  --out MODEL        model folder to write (an earlier import there is replaced)
  --fs HZ            sampling rate the network expects (records are resampled to it)
  --length N         samples per lead (default: the network's own, when the file fixes it)
  --layout L         nct (batch x leads x samples; PyTorch) or ntc (batch x samples x leads;
                     Keras). Default: read from the file's input shape
  --leads LIST       lead names in the network's order (default: the 12 standard leads)
  --classes LIST     output names in order (e.g. NORM,MI,STTC,CD,HYP)
  --outputs KIND     logits (default; a sigmoid gives probabilities), sigmoid (already
                     probabilities), softmax (single-label), regression
  --normalise N      record-zscore (per-lead z-score over each record) or none (default; mV)
  --bandpass LO-HI   zero-phase Butterworth band-pass (order 4) before normalising, e.g. 0.5-40
  --taps LIST        module paths to tap (see inspect-model), e.g. layer3,layer4; default the
                     last top-level module shaped channels x time
  --data DIR         labelled dataset: thresholds tuned on it (max F1 per class; else 0.5), its
                     labels checked against the outputs (a softmax cannot give multi-label ECGs)
  --val-folds LIST   folds of --data to tune on (default: every record)
  --json             one JSON line: {model, backend, taps, notes}
`;

export function parseLayout(s: string): Layout {
  if ((LAYOUTS as string[]).includes(s)) return s as Layout;
  throw new UsageError(`--layout: expected nct or ntc, got '${s}'`);
}

export function parseLeads(s: string): string[] {
  const leads = s
    .split(",")
    .map((l) => l.trim())
    .filter(Boolean);
  if (!leads.length) throw new UsageError(`--leads: no lead names in '${s}'`);
  return leads;
}

function parseList(s: string, option: string): string[] {
  const items = s
    .split(",")
    .map((l) => l.trim())
    .filter(Boolean);
  if (!items.length || new Set(items).size !== items.length) {
    throw new UsageError(`${option}: expected distinct comma-separated names, got '${s}'`);
  }
  return items;
}

const command: Command = {
  name: "import-model",
  summary: "import an ONNX or TorchScript network as a model folder",
  usage,
  async run(argv) {
    const { values: v, positionals } = parseCommandArgs("import-model", argv, {
      out: { type: "string" },
      fs: { type: "string" },
      length: { type: "string" },
      layout: { type: "string" },
      leads: { type: "string" },
      classes: { type: "string" },
      outputs: { type: "string", default: "logits" },
      normalise: { type: "string", default: "none" },
      bandpass: { type: "string" },
      taps: { type: "string" },
      data: { type: "string" },
      "val-folds": { type: "string" },
      json: { type: "boolean" },
    });
    if (positionals.length !== 1) throw new UsageError("import-model: exactly one FILE expected");
    if (!v.out) throw new UsageError("import-model: --out MODEL is required");
    if (!v.fs)
      throw new UsageError("import-model: --fs HZ is required (the network's sampling rate)");
    if (!(OUTPUT_KINDS as string[]).includes(v.outputs!)) {
      throw new UsageError(`--outputs: expected ${OUTPUT_KINDS.join(", ")}, got '${v.outputs}'`);
    }
    if (!(NORMALISATIONS as readonly string[]).includes(v.normalise!)) {
      throw new UsageError(`--normalise: expected none or record-zscore, got '${v.normalise}'`);
    }
    let bandpass: ImportOptions["bandpass"] = null;
    if (v.bandpass) {
      const m = /^([\d.]+)-([\d.]+)$/.exec(v.bandpass);
      if (!m) throw new UsageError(`--bandpass: expected LOW-HIGH in Hz, got '${v.bandpass}'`);
      bandpass = { low: Number(m[1]), high: Number(m[2]), order: 4 };
    }
    const fs = parseNumber(v.fs, "--fs", 0, { min: 1e-9 });
    if (bandpass && !(bandpass.low > 0 && bandpass.low < bandpass.high && bandpass.high < fs / 2)) {
      throw new UsageError(`--bandpass: needs 0 < LOW < HIGH < fs/2 = ${fs / 2} Hz`);
    }
    if (v["val-folds"] && !v.data) throw new UsageError("import-model: --val-folds needs --data");
    const dataset = v.data ? await openDataset(v.data) : null;
    const folds = v["val-folds"] ? parseFolds(v["val-folds"], "--val-folds") : undefined;
    const validation = dataset
      ? {
          dataset,
          entries: entriesInFolds(dataset.entries, folds, "--val-folds"),
          name: `${v.data}${folds ? ` (folds ${v["val-folds"]})` : ""}`,
        }
      : undefined;
    const r = await importModel(positionals[0], v.out, {
      ...(validation ? { validation } : {}),
      fs,
      ...(v.length
        ? { length: parseNumber(v.length, "--length", 0, { integer: true, min: 1 }) }
        : {}),
      ...(v.layout ? { layout: parseLayout(v.layout) } : {}),
      ...(v.leads ? { leads: parseLeads(v.leads) } : {}),
      ...(v.classes ? { classes: parseList(v.classes, "--classes") } : {}),
      ...(v.taps ? { taps: parseList(v.taps, "--taps") } : {}),
      outputs: v.outputs as OutputKind,
      normalise: v.normalise as ImportOptions["normalise"],
      bandpass,
    }).finally(() => dataset?.close());
    const taps = Object.fromEntries(
      Object.entries(r.config.imported!.taps).map(([t, s]) => [t, [s.channels, s.steps]]),
    );
    if (v.json) {
      await writeJsonLine({ model: v.out, backend: r.config.backend, taps, notes: r.notes });
    } else {
      for (const n of r.notes) process.stderr.write(`note: ${n}\n`);
      const list = Object.entries(taps)
        .map(([t, [c, s]]) => `${t} ${c}x${s}`)
        .join(", ");
      process.stderr.write(`model written to ${v.out} (${r.config.backend}; taps ${list})\n`);
    }
    return 0;
  },
};

export default command;
