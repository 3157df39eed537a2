/**
 * A model folder written by `train` as an ONNX graph (opset 13), built node by node from the
 * network's shape (network_resnet.h's 1D-ResNet: same padding, pooling and head) and its weights:
 * input "ecg" (batch x leads x samples, prepared), output "logits" (raw scores), and each unit's
 * output as a named graph output B1..Bn (the taps), so that the importer reads them back.
 */
import { UsageError } from "../../errors.js";
import { loadNative } from "../../native.js";
import { readModelFolder, writeFileAtomic } from "../folder.js";
import { ModelProtoType, type OnnxNode, type OnnxTensor } from "./schema.js";

interface ArchiveTensor {
  data: Float32Array;
  dims: number[];
}

function readWeights(path: string): Record<string, ArchiveTensor> {
  return loadNative<{
    readTensorArchive(p: string): Record<string, ArchiveTensor>;
  }>().readTensorArchive(path);
}

const padding = (downsample: number, kernel: number) =>
  Math.max(0, Math.floor((kernel - downsample + 1) / 2));

export async function exportOnnx(
  dir: string,
  out: string,
): Promise<{ nodes: number; parameters: number }> {
  const { config, weights } = readModelFolder(dir);
  if (config.backend && config.backend !== "native") {
    throw new UsageError(
      `${dir}: an imported model; its network file is already ${config.imported!.file}`,
    );
  }
  const w = readWeights(weights);
  const net = config.network;
  const nodes: OnnxNode[] = [];
  const initializer: OnnxTensor[] = [];
  let parameters = 0;
  const tensor = (name: string): string => {
    const t = w[name];
    if (!t) throw new UsageError(`${weights}: no tensor '${name}'`);
    initializer.push({
      name,
      dims: t.dims,
      dataType: 1,
      rawData: new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength),
    });
    parameters += t.data.length;
    return name;
  };
  let id = 0;
  const node = (
    opType: string,
    input: string[],
    attrs: Record<string, number | number[]> = {},
    output = `${opType.toLowerCase()}_${id++}`,
  ): string => {
    const attribute = Object.entries(attrs).map(([name, v]) =>
      Array.isArray(v)
        ? { name, type: 7, ints: v }
        : Number.isInteger(v)
          ? { name, type: 2, i: v }
          : { name, type: 1, f: v },
    );
    nodes.push({ input, output: [output], name: `${opType}_${nodes.length}`, opType, attribute });
    return output;
  };
  const conv = (x: string, weight: string, stride: number, pad: number) =>
    node("Conv", [x, tensor(weight)], {
      strides: [stride],
      pads: [pad, pad],
      dilations: [1],
      group: 1,
    });
  const bn = (x: string, prefix: string, output?: string) =>
    node(
      "BatchNormalization",
      ["weight", "bias", "running_mean", "running_var"].reduce(
        (a, k) => [...a, tensor(`${prefix}.${k}`)],
        [x],
      ),
      { epsilon: 1e-5 },
      output,
    );
  const k = net.kernel;
  let x = node("Relu", [bn(conv("ecg", "stem.weight", 1, padding(1, k)), "stem_bn")]);
  let y = x;
  const taps: string[] = [];
  for (let i = 1; i < net.channels.length; i++) {
    const u = `unit${i}`;
    if (net.downsample > 1) {
      y = node("MaxPool", [y], { kernel_shape: [net.downsample], strides: [net.downsample] });
    }
    if (net.channels[i - 1] !== net.channels[i]) y = conv(y, `${u}.skip.weight`, 1, 0);
    const h = node("Relu", [bn(conv(x, `${u}.conv1.weight`, 1, padding(1, k)), `${u}.bn1`)]);
    y = node("Add", [conv(h, `${u}.conv2.weight`, net.downsample, padding(net.downsample, k)), y]);
    x = node("Relu", [bn(y, `${u}.bn2`)], {}, `B${i}`);
    taps.push(x);
  }
  const pooled =
    net.head === "mean"
      ? node("ReduceMean", [x], { axes: [2], keepdims: 0 })
      : node("Flatten", [x], { axis: 1 });
  node("Gemm", [pooled, tensor("head.weight"), tensor("head.bias")], { transB: 1 }, "logits");
  const f32 = (name: string, dims: (number | string)[]) => ({
    name,
    type: {
      tensorType: {
        elemType: 1,
        shape: {
          dim: dims.map((d) => (typeof d === "string" ? { dimParam: d } : { dimValue: d })),
        },
      },
    },
  });
  const model = {
    irVersion: 7,
    opsetImport: [{ domain: "", version: 13 }],
    producerName: "ecg-tlc",
    producerVersion: "1",
    docString: `ecg-tlc ${config.preset} 1D-ResNet (${config.classes.join(", ")}); input prepared as model.json's preprocessing says`,
    graph: {
      name: "ecg_tlc_resnet",
      node: nodes,
      initializer,
      input: [f32("ecg", ["batch", net.leads, net.length])],
      output: [f32("logits", ["batch", net.outputs]), ...taps.map((t) => ({ name: t }))],
    },
  };
  writeFileAtomic(out, ModelProtoType.encode(ModelProtoType.fromObject(model)).finish());
  return { nodes: nodes.length, parameters };
}
