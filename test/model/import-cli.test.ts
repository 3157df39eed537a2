/**
 * Bring your own model by commands alone: inspect-model, import-model (the exact flags the issue
 * names), then predict, fit, explain and gradcam with --model on the imported folder; export-model
 * of a native folder; and the data checks of import-model --data (thresholds, softmax, leads).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { writeUntrainedModel } from "../../src/model/folder.js";
import { ROOT, sharedData } from "../data.js";

const CLI = join(ROOT, "dist", "src", "cli", "main.js");
const FIXTURES = join(ROOT, "test", "fixtures", "models");
const tmp = mkdtempSync(join(tmpdir(), "ecg-tlc-import-cli-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

function run(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", maxBuffer: 1 << 28 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const IMPORT = (file: string, out: string, layout: string) => [
  "import-model",
  file,
  "--out",
  out,
  "--fs",
  "100",
  "--length",
  "1000",
  "--layout",
  layout,
  "--classes",
  "NORM,MI,STTC,CD,HYP",
  "--outputs",
  "logits",
  "--normalise",
  "record-zscore",
  "--taps",
  "layer3,layer4",
];

test("inspect, import, predict, fit, explain and gradcam on a PyTorch ResNet (ONNX, channels last)", () => {
  const file = join(FIXTURES, "resnet_ntc.onnx");
  const inspect = run(["inspect-model", file, "--json"]);
  assert.equal(inspect.code, 0, inspect.err);
  const info = JSON.parse(inspect.out) as {
    inputs: { name: string; shape: unknown[] }[];
    outputs: unknown[];
    taps: { name: string; shape: number[] }[];
  };
  assert.deepEqual(info.inputs[0].shape, ["batch", 1000, 12]);
  assert.deepEqual(info.taps.find((t) => t.name === "layer4")?.shape, [48, 125]);

  const model = join(tmp, "ntc");
  // The network ends in a sigmoid: "logits" is refused by nothing, so say what it returns.
  const args = IMPORT(file, model, "ntc");
  args[args.indexOf("logits")] = "sigmoid";
  const imp = run(args);
  assert.equal(imp.code, 0, imp.err);
  const config = JSON.parse(readFileSync(join(model, "model.json"), "utf8"));
  assert.equal(config.backend, "onnx");
  assert.deepEqual(config.taps, ["layer3", "layer4"]);

  const records = [1, 2].map((i) => join(sharedData("ludb", "data"), String(i)));
  const predict = run(["predict", "--model", model, ...records, "--json"]);
  assert.equal(predict.code, 0, predict.err);
  const lines = predict.out
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  assert.equal(lines.length, 2);
  for (const l of lines) {
    assert.deepEqual(Object.keys(l.outputs), ["NORM", "MI", "STTC", "CD", "HYP"]);
    for (const p of Object.values(l.outputs) as number[]) assert.ok(p >= 0 && p <= 1);
  }

  const tlc = join(tmp, "tlc.json");
  const fit = run([
    "fit",
    "--model",
    model,
    "--data",
    sharedData("ludb"),
    "--out",
    tlc,
    "--k",
    "4",
    "--name-ecgs",
    "0",
  ]);
  assert.equal(fit.code, 0, fit.err);
  const explain = run(["explain", "--model", model, "--tlc", tlc, records[0], "--json"]);
  assert.equal(explain.code, 0, explain.err);
  const ex = JSON.parse(explain.out);
  assert.equal(ex.clusters.length, ex.samples);
  assert.ok(new Set(ex.clusters).size > 1);

  const cam = run([
    "gradcam",
    "--model",
    model,
    records[0],
    "--tap",
    "layer3",
    "--target",
    "MI",
    "--json",
  ]);
  assert.equal(cam.code, 0, cam.err);
  const g = JSON.parse(cam.out);
  assert.equal(g.steps.length, 250);
  assert.equal(g.samples.length, ex.samples);
});

test("TorchScript (channels first) through the same commands; export-model of a native folder", async () => {
  const model = join(tmp, "ts");
  const imp = run(IMPORT(join(FIXTURES, "resnet_nct.pt"), model, "nct"));
  assert.equal(imp.code, 0, imp.err);
  const record = join(sharedData("ptbxl", "records100", "00000"), "00024_lr");
  const cam = run(["gradcam", "--model", model, record, "--target", "CD", "--json"]);
  assert.equal(cam.code, 0, cam.err);
  assert.equal(JSON.parse(cam.out).tap, "layer4");

  const native = join(tmp, "native");
  mkdirSync(native);
  await writeUntrainedModel(native, { network: { channels: [8, 8, 8, 12, 16], kernel: 5 } });
  const onnx = join(tmp, "native.onnx");
  const exp = run(["export-model", native, "--onnx", onnx]);
  assert.equal(exp.code, 0, exp.err);
  const inspect = JSON.parse(run(["inspect-model", onnx, "--json"]).out);
  assert.deepEqual(
    inspect.outputs.map((o: { name: string }) => o.name),
    ["logits", "B1", "B2", "B3", "B4"],
  );
  const refused = run(["export-model", model, "--onnx", join(tmp, "again.onnx")]);
  assert.equal(refused.code, 2);
  assert.match(refused.err, /an imported model/);
});

test("import-model --data: thresholds tuned on the fold; a softmax over multi-label records and a lead the data lacks are refused", () => {
  const file = join(FIXTURES, "resnet_nct.onnx");
  const data = ["--data", sharedData("ptbxl"), "--val-folds", "9"];
  const model = join(tmp, "tuned");
  const ok = run([...IMPORT(file, model, "nct"), ...data]);
  assert.equal(ok.code, 0, ok.err);
  const config = JSON.parse(readFileSync(join(model, "model.json"), "utf8"));
  assert.ok(
    config.thresholds.some((t: number) => t !== 0.5),
    String(config.thresholds),
  );
  assert.match(ok.err, /max F1 on \d+ records/);

  const soft = IMPORT(file, join(tmp, "soft"), "nct");
  soft[soft.indexOf("logits")] = "softmax";
  const r = run([...soft, ...data]);
  assert.equal(r.code, 1);
  assert.match(r.err, /resnet_nct\.onnx: softmax outputs give one class per ECG, but \d+ records/);
  assert.equal(r.err.trim().split("\n").length, 1);
  assert.ok(!existsSync(join(tmp, "soft")));

  const leads = [
    ...IMPORT(file, join(tmp, "leads"), "nct"),
    "--leads",
    "I,II,III,aVR,aVL,aVF,V1,V2,V3,V4,V5,V7",
  ];
  const l = run([...leads, ...data]);
  assert.equal(l.code, 1);
  assert.match(l.err, /missing lead V7/);
  assert.ok(!existsSync(join(tmp, "leads")));
  assert.deepEqual(
    spawnSync("ls", ["-A", tmp], { encoding: "utf8" })
      .stdout.split("\n")
      .filter((f) => f.includes("tmp")),
    [],
  );
});
