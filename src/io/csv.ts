/**
 * The small text formats dataset metadata comes in: RFC 4180 CSV (quoted fields, doubled quotes,
 * newlines inside quotes, as in ptbxl_database.csv and ludb.csv) and the Python dict literals of
 * PTB-XL's `scp_codes` column.
 */
import { EcgFormatError } from "../errors.js";
import { readSmallFile } from "./files.js";

/** A field as RFC 4180 writes it: quoted (quotes doubled) when it holds a comma, quote or newline. */
export function csvField(v: string | number): string {
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One field and its terminator; sticky, so the scan never copies the rest of the text. */
const FIELD = /(?:"((?:[^"]|"")*)"|([^,\r\n"]*))(,|\r\n|\n|\r|$)/y;

/** Parses CSV text into rows of fields. */
export function parseCsv(text: string, file = "csv"): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0; // byte-order mark
  const n = text.length;
  while (i < n) {
    FIELD.lastIndex = i;
    const m = FIELD.exec(text);
    if (!m || FIELD.lastIndex === i) {
      const line = text.slice(0, i).split("\n").length;
      throw new EcgFormatError(file, `malformed CSV at line ${line} (stray or unterminated quote)`);
    }
    row.push(m[1] !== undefined ? m[1].replace(/""/g, '"') : m[2]);
    i = FIELD.lastIndex;
    if (m[3] !== ",") {
      rows.push(row);
      row = [];
    } else if (i === n) {
      row.push("");
      rows.push(row);
      row = [];
    }
  }
  if (row.length > 0) rows.push(row);
  return rows;
}

/** Reads a CSV file into rows of fields (the first row is the header); at least one row. */
export function readCsvRows(file: string): string[][] {
  const text = readSmallFile(file, "CSV file").toString("utf8");
  if (text.includes("\0")) throw new EcgFormatError(file, "not a CSV file (binary content)");
  const rows = parseCsv(text, file).filter((r) => !(r.length === 1 && r[0] === ""));
  if (rows.length === 0) throw new EcgFormatError(file, "empty CSV file");
  return rows;
}

/** Reads a CSV file with a header row into objects keyed by column name. */
export function readCsvObjects(file: string): {
  columns: string[];
  rows: Record<string, string>[];
} {
  const rows = readCsvRows(file);
  const columns = rows[0].map((c) => c.trim());
  return {
    columns,
    rows: rows.slice(1).map((r) => {
      const o: Record<string, string> = {};
      columns.forEach((c, k) => (o[c] = r[k] ?? ""));
      return o;
    }),
  };
}

/**
 * Parses a Python dict literal with string keys and numeric (or True/False/None) values, e.g.
 * `{'NORM': 100.0, 'SR': 0.0}`. None becomes NaN.
 */
export function parsePythonDict(text: string, what = "dict"): Record<string, number> {
  const out: Record<string, number> = {};
  let i = 0;
  const ws = (): void => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  const fail = (msg: string): never => {
    throw new EcgFormatError(
      what,
      `${msg} in '${text.length > 60 ? text.slice(0, 57) + "..." : text}'`,
    );
  };
  ws();
  if (text[i] !== "{") fail("expected '{'");
  i++;
  ws();
  if (text[i] === "}") return out;
  for (;;) {
    ws();
    const q = text[i];
    if (q !== "'" && q !== '"') fail("expected a quoted key");
    i++;
    let key = "";
    while (i < text.length && text[i] !== q) {
      if (text[i] === "\\") i++;
      key += text[i++] ?? "";
    }
    if (text[i] !== q) fail("unterminated key");
    i++;
    ws();
    if (text[i] !== ":") fail("expected ':'");
    i++;
    ws();
    const m = /^(?:[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|True|False|None|nan|inf)/.exec(
      text.slice(i),
    );
    if (!m) fail("expected a number");
    const tok = m![0];
    out[key] =
      tok === "True"
        ? 1
        : tok === "False"
          ? 0
          : tok === "None" || tok === "nan"
            ? NaN
            : tok === "inf"
              ? Infinity
              : Number(tok);
    i += tok.length;
    ws();
    if (text[i] === ",") {
      i++;
      ws();
      if (text[i] === "}") break;
      continue;
    }
    if (text[i] === "}") break;
    fail("expected ',' or '}'");
  }
  i++;
  ws();
  if (i < text.length) fail("trailing text");
  return out;
}
