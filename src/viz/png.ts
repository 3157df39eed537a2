/**
 * SVG -> PNG with resvg (a Rust SVG renderer shipped as a prebuilt npm binary): no browser,
 * no network, the same pixels on every machine given the same fonts.
 */
import { writeFileSync, renameSync } from "node:fs";
import { MissingDependencyError } from "../errors.js";

export interface PngOptions {
  /** Output width in pixels; the height follows the SVG's aspect ratio. Default: the SVG's width. */
  width?: number;
}

type ResvgModule = {
  Resvg: new (
    svg: string,
    opts: object,
  ) => { render(): { asPng(): Buffer; width: number; height: number } };
};

let resvg: ResvgModule | undefined;

async function loadResvg(): Promise<ResvgModule> {
  if (resvg) return resvg;
  try {
    const mod = (await import("@resvg/resvg-js")) as unknown as ResvgModule & {
      default?: ResvgModule;
    };
    resvg = mod.Resvg ? mod : (mod.default as ResvgModule);
    return resvg;
  } catch (err) {
    throw new MissingDependencyError(
      `PNG output needs the npm package @resvg/resvg-js (npm install @resvg/resvg-js): ${(err as Error).message.split("\n")[0]}`,
    );
  }
}

/** Rasterises an SVG string to PNG bytes. */
export async function svgToPng(svg: string, opts: PngOptions = {}): Promise<Buffer> {
  const { Resvg } = await loadResvg();
  const r = new Resvg(svg, {
    background: "#ffffff",
    fitTo: opts.width ? { mode: "width", value: Math.round(opts.width) } : { mode: "original" },
    font: { loadSystemFonts: true, defaultFontFamily: "DejaVu Sans" },
  });
  return r.render().asPng();
}

/** Width and height from a PNG's IHDR chunk (after checking the 8-byte signature). */
export function pngSize(png: Uint8Array): { width: number; height: number } {
  const sig = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (png.length < 24 || sig.some((b, i) => png[i] !== b)) throw new RangeError("not a PNG");
  const dv = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return { width: dv.getUint32(16), height: dv.getUint32(20) };
}

/** Writes a file atomically (temporary name, then rename), so readers never see half a figure. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}
