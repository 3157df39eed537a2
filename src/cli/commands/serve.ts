import { UsageError } from "../../errors.js";
import { serve } from "../../server/serve.js";
import { parseCommandArgs, parseNumber, type Command } from "../command.js";

const usage = `usage: ecg-tlc serve --model MODEL --tlc TLC.json [--data DIR] [--port N] [--host HOST]

The interactive explorer in the browser: browse a dataset (filter by class, fold, prediction vs
label, entropy), open an ECG and see its clusters and entropy per block (combined, and each block
the explainer was fitted on) and lead, with the network's Grad-CAM for a class if wanted; zoom and
pan in time; upload an ECG (WFDB .hea + signal file, or CSV + sampling rate). A two-level explainer
adds the state view: each step's leaf (wave cluster · state) in a strip, the legend and tooltip.

  --model MODEL      model folder (ecg-tlc train)
  --tlc TLC.json     fitted explainer (ecg-tlc fit) for that model
  --data DIR         dataset folder to browse (PTB-XL, LUDB, CinC 2021, CODE-15%, WFDB folder)
  --rate 100|500     PTB-XL records100 or records500 (default: 100 when present)
  --port N           port (default 8080; 0 = any free port)
  --host HOST        interface to bind (default 127.0.0.1: this machine only)
  --upload-limit MB  largest accepted upload (default 20)
  --gradcam-tap TAP  default block of the Grad-CAM maps (default: the model's last, where the
                     maps are most faithful by deletion); the page offers the model's other blocks
  --no-index         do not explain the whole dataset in the background (the prediction and
                     entropy filters then only know the records opened so far)

API: GET /api/health, GET /api/records?class=&fold=&match=correct|incorrect&minEntropy=&maxEntropy=
&sort=&offset=&limit=, GET /api/records/ID/explanation?block=combined|<the explainer's blocks>,
GET /api/records/ID/gradcam?target=CLASS&tap=TAP, POST /api/explain (multipart/form-data:
'files' = .hea + signal file, or 'file' = CSV + 'fs'; answers what 'ecg-tlc explain --json'
prints; add ?signal=1 for the samples too), POST /api/gradcam (the same upload, plus 'target'
and 'tap').
`;

const command: Command = {
  name: "serve",
  summary: "interactive explorer in the browser (dataset, explanations, uploads)",
  usage,
  async run(argv) {
    const { values } = parseCommandArgs("serve", argv, {
      model: { type: "string" },
      tlc: { type: "string" },
      data: { type: "string" },
      rate: { type: "string" },
      port: { type: "string" },
      host: { type: "string" },
      "upload-limit": { type: "string" },
      "no-index": { type: "boolean" },
      "gradcam-tap": { type: "string" },
    });
    if (!values.model) throw new UsageError("serve: --model MODEL is required");
    if (!values.tlc) throw new UsageError("serve: --tlc TLC.json is required");
    const rate = parseNumber(values.rate, "--rate", 100, { integer: true });
    if (rate !== 100 && rate !== 500)
      throw new UsageError(`--rate: expected 100 or 500, got '${values.rate}'`);
    const app = await serve({
      model: values.model,
      tlc: values.tlc,
      data: values.data,
      rate: values.rate === undefined ? undefined : rate,
      host: values.host,
      port: parseNumber(values.port, "--port", 8080, { integer: true, min: 0, max: 65535 }),
      uploadLimit:
        parseNumber(values["upload-limit"], "--upload-limit", 20, { min: 0.001 }) * 1024 * 1024,
      index: !values["no-index"],
      gradcamTap: values["gradcam-tap"],
    });
    process.stdout.write(`ecg-tlc explorer: ${app.url}  (Ctrl-C to stop)\n`);
    await new Promise<void>((resolve) => {
      const stop = () => {
        process.off("SIGINT", stop);
        process.off("SIGTERM", stop);
        void app.close().then(resolve);
      };
      process.on("SIGINT", stop);
      process.on("SIGTERM", stop);
    });
    return 0;
  },
};

export default command;
