/**
 * The explorer of the load test in its own process (so that the test's clients do not share its
 * event loop): a tiny untrained model, a TLC fitted on 8 PTB-XL records, 100 records to browse.
 * `node load-server.js DIR` prints the URL once it listens.
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { openDataset } from "../../src/io/datasets/index.js";
import { writeUntrainedModel } from "../../src/model/folder.js";
import { loadModel } from "../../src/model/index.js";
import { startExplorer } from "../../src/server/app.js";
import { createTlcExplainer } from "../../src/server/explainer.js";
import { Tlc } from "../../src/tlc/tlc.js";
import { sharedData } from "../data.js";

const dir = process.argv[2];
await writeUntrainedModel(dir, { network: { channels: [8, 8, 12, 12, 16], kernel: 5 }, seed: 1 });
const model = await loadModel(dir);
const dataset = await openDataset(sharedData("ptbxl"));
const tlc = await Tlc.fit(model, dataset, dataset.entries.slice(0, 8), {
  taps: ["B2", "B4"],
  k: 4,
  seed: 2,
  nInit: 1,
  threads: 1,
});
const entries = dataset.entries.slice(0, 100);
const data = { entries, read: (e: (typeof entries)[0]) => dataset.read(e), close() {} };
const app = await startExplorer({
  explainer: createTlcExplainer({ explainer: tlc.bind(model), dataset: data }),
  port: 0,
  bodyDeadlineMs: 3000,
});
// How long the event loop was held at most (what a request waits behind, on this thread).
const delay = monitorEventLoopDelay({ resolution: 10 });
delay.enable();
process.stdout.write(`${app.url}\n`);
process.on("SIGTERM", () => {
  delay.disable();
  process.stdout.write(`${JSON.stringify({ delayMaxMs: delay.max / 1e6 })}\n`);
  void app.close().then(() => process.exit(0));
});
