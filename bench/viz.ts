/**
 * How long the figures take: the per-ECG figure (SVG string) and its PNG rasterisation, for a
 * 100 Hz PTB-XL record and a 500 Hz LUDB record. No reference implementation to compare with.
 * `npm run bench viz`
 */
import { existsSync } from "node:fs";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { renderEcgFigure } from "../src/viz/ecg.js";
import { svgToPng } from "../src/viz/png.js";
import { fakeExplanation, readFormat16 } from "../test/viz/fixtures.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const data = process.env.ECG_TLC_DATA ?? resolve(root, "..", "shared", "data");
const ptb = join(data, "ptbxl", "records100", "00000", "00024_lr");
const ludb = join(data, "ludb", "data", "1");
if (!existsSync(ptb + ".hea") || !existsSync(ludb + ".hea")) {
  console.log(`viz: skipped, shared data not found under ${data}`);
  process.exit(0);
}

async function median(n: number, f: () => unknown): Promise<number> {
  const t: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await f();
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  return t[n >> 1];
}

for (const [name, path] of [
  ["ptbxl100", ptb],
  ["ludb500", ludb],
] as const) {
  const rec = readFormat16(path);
  const e = fakeExplanation(rec, 8);
  const cam = Float64Array.from({ length: rec.samples }, (_, i) => Math.abs(Math.sin(i / 40)));
  let svg = "";
  const n = 20;
  const ms = await median(n, () => (svg = renderEcgFigure(rec, e, { gradcam: cam })));
  console.log(
    `viz_svg_${name}: ${ms.toFixed(2)} ms (median of ${n}), ${(svg.length / 1024).toFixed(0)} KiB`,
  );
  const m = 5;
  let png: Uint8Array = new Uint8Array(0);
  const pms = await median(m, async () => (png = await svgToPng(svg)));
  console.log(
    `viz_png_${name}: ${pms.toFixed(1)} ms (median of ${m}), ${(png.length / 1024).toFixed(0)} KiB`,
  );
}
