/**
 * An ONNX network behind the Model face: the model's preprocessing, ONNX Runtime for the forward
 * pass (taps are extra graph outputs), and Grad-CAM by central differences through the graph's
 * head (head.ts), since ONNX Runtime has no gradients.
 */
import { EcgFormatError, ModelMismatchError, UsageError } from "../../errors.js";
import { ImportedModel, tapValues, type EngineResult } from "../imported-model.js";
import { checkTapNames } from "../imported.js";
import { checkTargetIndex, type ModelFace } from "../face.js";
import type { ModelConfig } from "../presets.js";
import { graphInputs, readOnnxFile, type OnnxFile } from "./graph.js";
import { cutHead, headModel, perturbedRows, type HeadCut } from "./head.js";
import { createSession, loadOrt, withOutputs, type OrtSession, type OrtTensor } from "./session.js";

/** Relative step of the central differences (times the tap's RMS). */
export const FD_EPS = 1e-3;
/** Head rows per run of the central differences. */
const HEAD_ROWS = 64;

interface HeadState {
  cut: HeadCut;
  session: OrtSession | null;
}

/** An ONNX file opened for running: its session reads `fetchable` values besides the output. */
export class OnnxRunner {
  private readonly heads = new Map<string, HeadState>();

  private constructor(
    readonly file: OnnxFile,
    readonly session: OrtSession,
    readonly input: string,
    readonly output: string,
    /** Fixed batch size of the graph input, or 0 when the batch dimension is free. */
    readonly fixedBatch: number,
  ) {}

  static async open(
    file: OnnxFile,
    output: string,
    taps: string[],
    { heads = true } = {},
  ): Promise<OnnxRunner> {
    const inputs = graphInputs(file);
    if (inputs.length !== 1) {
      throw new ModelMismatchError(
        `${file.path}: the graph has ${inputs.length} inputs (${inputs.map((i) => i.name).join(", ")}); one ECG input expected`,
      );
    }
    const cuts = heads ? taps.map((t) => cutHead(file, t, output)) : [];
    const extras = [...new Set(cuts.flatMap((c) => c.extras))].filter((v) => v !== inputs[0].name);
    const declared = new Set(file.graph.output.map((o) => o.name));
    const add = [...new Set([...taps, ...extras])].filter((v) => !declared.has(v));
    const session = await createSession(file.path, withOutputs(file.bytes, add));
    const b = inputs[0].shape[0];
    const runner = new OnnxRunner(
      file,
      session,
      inputs[0].name,
      output,
      typeof b === "number" ? b : 0,
    );
    cuts.forEach((cut, i) => runner.heads.set(taps[i], { cut, session: null }));
    return runner;
  }

  /** Runs `m` inputs already in the graph's layout (`dims` per input, without batch). */
  async run(
    x: Float32Array,
    m: number,
    dims: number[],
    fetch: string[],
  ): Promise<Record<string, OrtTensor>> {
    const ort = await loadOrt();
    const per = dims.reduce((a, b) => a * b, 1);
    const step = this.fixedBatch || m;
    const parts: Record<string, OrtTensor>[] = [];
    for (let b = 0; b < m; b += step) {
      const n = Math.min(step, m - b);
      let chunk = x.subarray(b * per, (b + n) * per);
      if (n < step) {
        const padded = new Float32Array(step * per); // a fixed-batch graph: pad the last chunk
        padded.set(chunk);
        chunk = padded;
      }
      const feeds = { [this.input]: new ort.Tensor("float32", chunk, [step, ...dims]) };
      parts.push(await runOrFail(this.file.path, this.session, feeds, fetch));
    }
    if (parts.length === 1 && !this.fixedBatch) return parts[0];
    const out: Record<string, OrtTensor> = {};
    for (const name of fetch) {
      const first = parts[0][name];
      const rowSize = first.data.length / first.dims[0];
      const data = new Float32Array(m * rowSize);
      parts.forEach((p, i) =>
        data.set(
          (p[name].data as Float32Array).subarray(0, Math.min(step, m - i * step) * rowSize),
          i * step * rowSize,
        ),
      );
      out[name] = new ort.Tensor("float32", data, [m, ...first.dims.slice(1)]);
    }
    return out;
  }

  /** Frees ONNX Runtime's sessions now rather than when collected. */
  release(): void {
    const sessions = [this.session, ...[...this.heads.values()].map((h) => h.session)];
    for (const s of sessions) s?.release().catch(() => {});
    this.heads.clear();
  }

  extras(tap: string): string[] {
    return this.heads.get(tap)?.cut.extras ?? [];
  }

  /**
   * Grad-CAM weights of output `target` at `tap` for one ECG by central differences: per channel,
   * the time-averaged derivative of the raw output. `values` holds the tap's and the extras' values
   * from a forward pass of that ECG.
   */
  async channelWeights(
    tap: string,
    shape: { channels: number; steps: number; layout: "nct" | "ntc" },
    values: Record<string, OrtTensor>,
    target: number,
    eps = FD_EPS,
  ): Promise<Float32Array> {
    const state = this.heads.get(tap);
    if (!state) throw new UsageError(`no head for tap '${tap}'`);
    const ort = await loadOrt();
    const a = values[tap];
    if (!state.session) {
      const inputs = [tap, ...state.cut.extras].map((name) => ({
        name,
        type: values[name].type,
        dims: values[name].dims,
      }));
      const bytes = headModel(this.file, state.cut, tap, this.output, inputs);
      state.session = await createSession(`${this.file.path} (head at ${tap})`, bytes);
    }
    const act = a.data as Float32Array;
    let ss = 0;
    for (let i = 0; i < act.length; i++) ss += act[i] * act[i];
    const h = eps * (Math.sqrt(ss / act.length) || 1);
    const { channels, steps } = shape;
    const weights = new Float32Array(channels);
    const perRow = HEAD_ROWS / 2;
    for (let c0 = 0; c0 < channels; c0 += perRow) {
      const c1 = Math.min(channels, c0 + perRow);
      const rows = (c1 - c0) * 2;
      const feeds: Record<string, OrtTensor> = {
        [tap]: new ort.Tensor(
          "float32",
          perturbedRows(act, channels, steps, shape.layout === "nct", h, c0, c1),
          [rows, ...a.dims.slice(1)],
        ),
      };
      for (const name of state.cut.extras) feeds[name] = tile(ort, values[name], rows);
      const y = (await runOrFail(this.file.path, state.session, feeds, [this.output]))[this.output];
      const k = y.data.length / rows;
      const out = y.data as Float32Array;
      for (let c = c0; c < c1; c++) {
        const r = (c - c0) * 2;
        weights[c] = (out[r * k + target] - out[(r + 1) * k + target]) / (2 * h * steps);
      }
    }
    return weights;
  }
}

/** session.run with ONNX Runtime's (multi-line) errors as one line naming the file. */
async function runOrFail(
  path: string,
  session: OrtSession,
  feeds: Record<string, OrtTensor>,
  fetch: string[],
): Promise<Record<string, OrtTensor>> {
  try {
    return await session.run(feeds, fetch);
  } catch (err) {
    const msg = (err as Error).message.replace(/\s+/g, " ").trim();
    throw new EcgFormatError(path, `ONNX Runtime failed (${msg.slice(0, 300)})`);
  }
}

/** A batch-1 tensor repeated `rows` times along the batch dimension. */
function tile(ort: typeof import("onnxruntime-node"), t: OrtTensor, rows: number): OrtTensor {
  const src = t.data as Float32Array | BigInt64Array | Int32Array;
  const Ctor = src.constructor as new (n: number) => typeof src;
  const data = new Ctor(src.length * rows);
  for (let r = 0; r < rows; r++) (data as Float32Array).set(src as Float32Array, r * src.length);
  return new ort.Tensor(t.type as "float32", data as Float32Array, [rows, ...t.dims.slice(1)]);
}

export class OnnxModel extends ImportedModel<OnnxRunner> implements ModelFace {
  protected async run(
    x: Float32Array,
    m: number,
    dims: number[],
    values: string[],
  ): Promise<EngineResult> {
    const r = await this.engine().run(x, m, dims, [...new Set([this.net.output, ...values])]);
    const data: Record<string, Float32Array> = {};
    for (const v of values) data[v] = r[v].data as Float32Array;
    return { output: r[this.net.output].data as Float32Array, values: data };
  }

  /** Grad-CAM channel weights (the time-averaged gradient of raw output `target`) at `tap`. */
  async channelWeights(input: Float32Array, tap: string, target: number, eps = FD_EPS) {
    this.checkInput(input, 1);
    checkTapNames(this.net, [tap]);
    checkTargetIndex(target, this.config.classes.length);
    const runner = this.engine();
    const spec = this.net.taps[tap];
    const g = this.inLayout(input, 1);
    const extras = runner.extras(tap).filter((v) => v !== runner.input);
    const values = await runner.run(g.x, 1, g.dims, [...new Set([spec.value, ...extras])]);
    if (runner.extras(tap).includes(runner.input)) {
      const ort = await loadOrt();
      values[runner.input] = new ort.Tensor("float32", g.x, [1, ...g.dims]);
    }
    const weights = await runner.channelWeights(spec.value, spec, values, target, eps);
    return { weights, activation: tapValues(values[spec.value].data as Float32Array, 1, spec) };
  }

  async gradcam(input: Float32Array, tap: string, target: number): Promise<Float32Array> {
    const { weights, activation } = await this.channelWeights(input, tap, target);
    const { channels, steps } = this.net.taps[tap];
    const cam = new Float32Array(steps);
    for (let c = 0; c < channels; c++) {
      for (let t = 0; t < steps; t++) cam[t] += weights[c] * activation[c * steps + t];
    }
    for (let t = 0; t < steps; t++) cam[t] = Math.max(0, cam[t]);
    return cam;
  }

  dispose(): void {
    this.release()?.release();
  }
}

/** Opens an imported ONNX model folder's network (readModelFolder has checked the folder). */
export async function loadOnnxModel(
  dir: string,
  config: ModelConfig,
  path: string,
): Promise<OnnxModel> {
  const net = config.imported!;
  const file = readOnnxFile(path);
  const runner = await OnnxRunner.open(
    file,
    net.output,
    Object.values(net.taps).map((t) => t.value),
  );
  return new OnnxModel(dir, config, runner);
}
