/**
 * Small helpers every figure uses: XML escaping, number formatting, the cluster palette.
 * Figures are plain strings: no DOM, so they render the same in Node, in a browser and in resvg.
 */

/** Escapes text for XML content and attribute values (SVG and HTML alike). */
export function escapeXml(text: unknown): string {
  return String(text)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** A coordinate with at most 2 decimals: enough at 0.01 mm, and keeps files small. */
export function fmt(x: number): string {
  if (!Number.isFinite(x)) return "0";
  const r = Math.round(x * 100) / 100;
  return Object.is(r, -0) ? "0" : String(r);
}

/** Attribute string from a record; undefined values are left out, everything is escaped. */
export function attrs(a: Record<string, string | number | undefined>): string {
  let s = "";
  for (const [k, v] of Object.entries(a)) {
    if (v === undefined) continue;
    s += ` ${k}="${typeof v === "number" ? fmt(v) : escapeXml(v)}"`;
  }
  return s;
}

/** `<text>` element with escaped content. */
export function text(
  x: number,
  y: number,
  content: string,
  extra: Record<string, string | number | undefined> = {},
): string {
  return `<text${attrs({ x, y, ...extra })}>${escapeXml(content)}</text>`;
}

/** Font stack available on Debian (DejaVu/Liberation) and in browsers; resvg needs a real one. */
export const FONT = "DejaVu Sans, Liberation Sans, Arial, Helvetica, sans-serif";

/**
 * 20 colours for clusters, chosen so neighbouring indices stay distinguishable with the common
 * colour-vision deficiencies: Okabe & Ito (2008) first, then Paul Tol's "muted" and "light"
 * schemes (Tol 2021, SRON/EPS/TN/09-002), which were designed for colour-blind readers.
 */
export const CLUSTER_PALETTE = [
  "#E69F00", // orange (Okabe-Ito)
  "#56B4E9", // sky blue
  "#009E73", // bluish green
  "#F0E442", // yellow
  "#0072B2", // blue
  "#D55E00", // vermillion
  "#CC79A7", // reddish purple
  "#332288", // indigo (Tol muted)
  "#88CCEE", // cyan
  "#44AA99", // teal
  "#117733", // green
  "#999933", // olive
  "#DDCC77", // sand
  "#CC6677", // rose
  "#882255", // wine
  "#AA4499", // purple
  "#77AADD", // light blue (Tol light)
  "#EE8866", // light orange
  "#BBCC33", // pear
  "#FFAABB", // pink
] as const;

/** Colour of cluster k; beyond 20 clusters colours repeat (the legend still names each one). */
export function clusterColor(k: number): string {
  const n = CLUSTER_PALETTE.length;
  return CLUSTER_PALETTE[((k % n) + n) % n];
}

/** Sequential colour ramp for heatmaps: white to dark blue (readable in grey scale too). */
export function heatColor(v: number): string {
  const t = Math.max(0, Math.min(1, Number.isFinite(v) ? v : 0));
  // Interpolate white -> #08306B (matplotlib "Blues" ends), perceptually monotone in lightness.
  const r = Math.round(255 + (8 - 255) * t);
  const g = Math.round(255 + (48 - 255) * t);
  const b = Math.round(255 + (107 - 255) * t);
  return `rgb(${r},${g},${b})`;
}

/** Text colour that stays readable on a heatmap cell of value v. */
export function heatTextColor(v: number): string {
  return v > 0.55 ? "#ffffff" : "#000000";
}

/** Wraps body elements into a standalone SVG document with a white background. */
export function svgDocument(
  width: number,
  height: number,
  body: string,
  opts: { title?: string; pxPerUnit?: number; extra?: Record<string, string | number> } = {},
): string {
  const k = opts.pxPerUnit ?? 1;
  const title = opts.title === undefined ? "" : `<title>${escapeXml(opts.title)}</title>`;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg"${attrs({
      width: Math.round(width * k),
      height: Math.round(height * k),
      viewBox: `0 0 ${fmt(width)} ${fmt(height)}`,
      "font-family": FONT,
      ...opts.extra,
    })}>` +
    title +
    `<rect x="0" y="0" width="${fmt(width)}" height="${fmt(height)}" fill="#ffffff"/>` +
    body +
    `</svg>`
  );
}

/** "0.123" -> "12.3%"; NaN -> "n/a". */
export function pct(v: number, digits = 1): string {
  return Number.isFinite(v) ? `${(v * 100).toFixed(digits)}%` : "n/a";
}

/** Nice tick values covering [lo, hi] (about `count` of them), as d3's ticks would pick. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [];
  if (hi === lo) return [lo];
  const span = hi - lo;
  const raw = span / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  // Integer multiples of the step, trimmed of float noise (0.6000000000000001 -> 0.6).
  for (let i = Math.ceil(lo / step - 1e-9); i * step <= hi + step * 1e-9; i++) {
    out.push(Number((i * step).toPrecision(12)));
  }
  return out;
}
