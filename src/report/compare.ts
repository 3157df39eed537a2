/**
 * Other runs beside ours in the report's evaluation table: an evaluation saved by `report
 * --eval-json` or `evaluate --json` (e.g. of the paper's setup: the flatten head and a
 * single-level explainer) becomes a column, its figures matched to our rows by metric.
 */
import { readFileSync } from "node:fs";
import { ParameterError } from "../errors.js";
import type { AlignmentResult } from "../eval/alignment.js";
import type { EvaluationResult } from "../eval/evaluate.js";
import type { TableRow } from "./html.js";
import { evaluationTable } from "./sections.js";

/** One compared run: its column's label and its evaluation (with its alignment, if saved). */
export interface Comparison {
  label: string;
  evaluation: EvaluationResult;
  alignment?: AlignmentResult;
}

/** Reads "LABEL=FILE" (or FILE, labelled by its name): an evaluation JSON. */
export function readComparison(spec: string): Comparison {
  const at = spec.indexOf("=");
  const path = at < 0 ? spec : spec.slice(at + 1);
  const label = at < 0 ? path.replace(/^.*\//, "").replace(/\.json$/, "") : spec.slice(0, at);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : "not JSON";
    throw new ParameterError("compare", `${path}: ${why}`, { cause: err });
  }
  const e = parsed as Partial<EvaluationResult> & { alignment?: AlignmentResult };
  if (
    typeof e !== "object" ||
    e === null ||
    typeof e.k !== "number" ||
    typeof e.n !== "number" ||
    !e.uncertainty ||
    !e.stability ||
    !Array.isArray(e.folds)
  )
    throw new ParameterError(
      "compare",
      `${path}: not an evaluation (expected what 'report --eval-json' or 'evaluate --json' writes)`,
    );
  if (!label) throw new ParameterError("compare", `'${spec}': the label before '=' is empty`);
  return {
    label,
    evaluation: e as EvaluationResult,
    ...(e.alignment?.contingency ? { alignment: e.alignment } : {}),
  };
}

/** Our rows with each compared run's figure for the same metric ("" where it has none). */
export function withComparisons(rows: TableRow[], runs: readonly Comparison[]): TableRow[] {
  if (!runs.length) return rows;
  const theirs = runs.map(
    (c) =>
      new Map(
        evaluationTable(c.evaluation, c.alignment ? { alignment: c.alignment } : {}).map((r) => [
          r.metric,
          r.ours || r.waves || "",
        ]),
      ),
  );
  return rows.map((r) => ({ ...r, compare: theirs.map((m) => m.get(r.metric) ?? "") }));
}
