/**
 * The HTML report: ONE self-contained file (inline CSS and SVG, no script, no external request;
 * a Content-Security-Policy forbids any) that opens offline in any browser. Pure function from
 * already computed numbers and SVG strings to a string.
 */
import { escapeXml } from "../viz/svg.js";

/** One row of the evaluation table: our figure beside the paper's, when the paper gives one. */
export interface TableRow {
  metric: string;
  paper?: string;
  ours: string;
  /** A two-level explainer: the same measure on the wave clusters alone (states merged). */
  waves?: string;
  /** The compared runs' figures (`ReportInput.compare`), in their order. */
  compare?: string[];
  note?: string;
}

export interface ReportFigure {
  id: string;
  title: string;
  caption?: string;
  /** A standalone SVG document (from src/viz). */
  svg: string;
}

/** A table below the evaluation table: a title, a header row, rows of cells, a caption. */
export interface ReportTable {
  title: string;
  header: string[];
  rows: string[][];
  caption?: string;
  /** A class for the table element (the CSS keeps a `leaves` table's cells on one line). */
  class?: string;
}

export interface ReportInput {
  title: string;
  /** Key facts shown under the title (model, data, K, date...). */
  meta?: [string, string][];
  table: TableRow[];
  /** Labels of the compared runs (e.g. "paper setup"), a column each after the paper's. */
  compare?: string[];
  /** Further tables (e.g. per-class scores, possible label errors). */
  tables?: ReportTable[];
  figures: ReportFigure[];
  /** Per-ECG figures shown as examples. */
  examples?: ReportFigure[];
  /** Per-ECG figures of the ECGs the evaluation flags (possible label errors, Grad-CAM vs TLC). */
  flagged?: ReportFigure[];
  notes?: string[];
}

const CSS = `
body{font-family:"DejaVu Sans","Liberation Sans",Arial,Helvetica,sans-serif;margin:0;color:#1a1a1a;background:#fff}
main{max-width:1200px;margin:0 auto;padding:24px}
h1{font-size:24px;margin:0 0 8px}h2{font-size:19px;margin:32px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
h3{font-size:15px;margin:20px 0 6px}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:8px 0 0;font-size:14px}
dl.meta dt{color:#555}dl.meta dd{margin:0}
table{border-collapse:collapse;font-size:14px;margin:8px 0}
th,td{border:1px solid #ccc;padding:4px 10px;text-align:left}th{background:#f2f2f2}
td.num{text-align:right;font-variant-numeric:tabular-nums}
table.leaves td{white-space:nowrap}
figure{margin:16px 0;overflow-x:auto}figure svg{max-width:100%;height:auto}
figcaption{font-size:13px;color:#444;margin-top:4px;max-width:900px}
nav a{margin-right:14px;font-size:14px}
.notes{font-size:13px;color:#444}
p.caption{font-size:13px;color:#444;margin:0 0 4px;max-width:900px}
`;

function tableHtml(header: string[], rows: string[][], cls = ""): string {
  const num = (s: string) => /^[-+]?[\d.]+\s*(%|±|\+-|$)/.test(s.trim());
  let h = `<table${cls ? ` class="${cls}"` : ""}><thead><tr>`;
  for (const c of header) h += `<th>${escapeXml(c)}</th>`;
  h += `</tr></thead><tbody>`;
  for (const r of rows) {
    h += `<tr>`;
    r.forEach((c, i) => (h += `<td${i > 0 && num(c) ? ` class="num"` : ""}>${escapeXml(c)}</td>`));
    h += `</tr>`;
  }
  return h + `</tbody></table>`;
}

/** Drops the XML prologue, if any, so an SVG document can sit inline in HTML. */
function inlineSvg(svg: string): string {
  return svg.replace(/^\s*<\?xml[^>]*\?>\s*/, "");
}

function figureHtml(f: ReportFigure): string {
  return (
    `<figure id="${escapeXml(f.id)}"><h3>${escapeXml(f.title)}</h3>${inlineSvg(f.svg)}` +
    (f.caption ? `<figcaption>${escapeXml(f.caption)}</figcaption>` : "") +
    `</figure>`
  );
}

/** Renders the report. */
export function renderReport(input: ReportInput): string {
  let body = `<main><h1>${escapeXml(input.title)}</h1>`;
  if (input.meta?.length) {
    body += `<dl class="meta">`;
    for (const [k, v] of input.meta) body += `<dt>${escapeXml(k)}</dt><dd>${escapeXml(v)}</dd>`;
    body += `</dl>`;
  }
  const sections: [string, string][] = [["evaluation", "Evaluation"]];
  if (input.figures.length) sections.push(["figures", "Dataset figures"]);
  if (input.examples?.length) sections.push(["examples", "Example ECGs"]);
  if (input.flagged?.length) sections.push(["flagged", "ECGs to check"]);
  body += `<nav>${sections.map(([id, t]) => `<a href="#${id}">${t}</a>`).join("")}</nav>`;
  body += `<h2 id="evaluation">Evaluation</h2>`;
  // Side by side: the paper, the compared runs (e.g. the paper's setup on our data), ours; for
  // a two-level explainer, ours on the leaves and on the wave clusters alone (states merged).
  const twoLevel = input.table.some((r) => r.waves !== undefined);
  const compare = input.compare ?? [];
  body += tableHtml(
    [
      "metric",
      "paper (Boubekki et al. 2025)",
      ...compare,
      ...(twoLevel ? ["ours: leaves (wave · state)", "ours: waves only"] : ["ours"]),
      "note",
    ],
    input.table.map((r) => [
      r.metric,
      r.paper ?? "",
      ...compare.map((_, i) => r.compare?.[i] ?? ""),
      r.ours,
      ...(twoLevel ? [r.waves ?? ""] : []),
      r.note ?? "",
    ]),
    "evaluation",
  );
  for (const t of input.tables ?? [])
    body +=
      `<h3>${escapeXml(t.title)}</h3>` +
      (t.caption ? `<p class="caption">${escapeXml(t.caption)}</p>` : "") +
      tableHtml(t.header, t.rows, t.class);
  if (input.figures.length) {
    body += `<h2 id="figures">Dataset figures</h2>`;
    for (const f of input.figures) body += figureHtml(f);
  }
  if (input.examples?.length) {
    body += `<h2 id="examples">Example ECGs</h2>`;
    for (const f of input.examples) body += figureHtml(f);
  }
  if (input.flagged?.length) {
    body += `<h2 id="flagged">ECGs to check</h2>`;
    for (const f of input.flagged) body += figureHtml(f);
  }
  if (input.notes?.length) {
    body += `<h2>Notes</h2><ul class="notes">`;
    for (const n of input.notes) body += `<li>${escapeXml(n)}</li>`;
    body += `</ul>`;
  }
  body += `</main>`;
  return (
    `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">` +
    // Nothing may be fetched: the report must read the same offline and leak nothing when opened.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">` +
    `<meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<title>${escapeXml(input.title)}</title><style>${CSS}</style></head><body>${body}</body></html>\n`
  );
}
