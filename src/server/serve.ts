/**
 * `ecg-tlc serve` as a library call: load the model, its fitted TLC and (optionally) a dataset,
 * and start the explorer over them.
 */
import { openDataset } from "../io/datasets/index.js";
import { checkTap } from "../explain/gradcam.js";
import { loadModel } from "../model/load.js";
import { Tlc } from "../tlc/tlc.js";
import { startExplorer, type ExplorerServer } from "./app.js";
import { createTlcExplainer, type Explainer } from "./explainer.js";

export interface ServeOptions {
  /** Model folder (as written by `ecg-tlc train`). */
  model: string;
  /** Fitted explainer JSON (as written by `ecg-tlc fit`). */
  tlc: string;
  /** Dataset folder to browse (PTB-XL, LUDB, CinC 2021, CODE-15% or plain WFDB). */
  data?: string;
  /** PTB-XL sampling rate folder to use (records100 or records500). */
  rate?: 100 | 500;
  host?: string;
  port?: number;
  uploadLimit?: number;
  /** Explain the whole dataset in the background for the prediction/entropy filters (default on). */
  index?: boolean;
  /**
   * Default tap of the Grad-CAM maps (default: the model's last, where Grad-CAM is most faithful:
   * docs/EVIDENCE.md, "Deletion curves"; `evaluate` and `report` compare at the explainer's last).
   */
  gradcamTap?: string;
}

/** The real explainer: model + TLC (+ dataset); the TLC must have been fitted on this model. */
export async function openTlcExplainer(opts: {
  model: string;
  tlc: string;
  data?: string;
  rate?: 100 | 500;
  gradcamTap?: string;
}): Promise<Explainer> {
  const model = await loadModel(opts.model);
  try {
    const bound = Tlc.load(opts.tlc, model).bind(model);
    const gradcamTap =
      opts.gradcamTap === undefined ? undefined : checkTap(model.config, opts.gradcamTap);
    const dataset = opts.data ? await openDataset(opts.data, { rate: opts.rate }) : undefined;
    const explainer = createTlcExplainer({ explainer: bound, dataset, gradcamTap });
    const close = explainer.close;
    explainer.close = () => {
      close?.();
      model.dispose();
    };
    return explainer;
  } catch (err) {
    model.dispose();
    throw err;
  }
}

/** Loads everything and starts the explorer; resolves once it listens. */
export async function serve(opts: ServeOptions): Promise<ExplorerServer> {
  const explainer = await openTlcExplainer(opts);
  try {
    return await startExplorer({
      explainer,
      host: opts.host,
      port: opts.port,
      uploadLimit: opts.uploadLimit,
      index: opts.index,
    });
  } catch (err) {
    explainer.close?.();
    throw err;
  }
}
