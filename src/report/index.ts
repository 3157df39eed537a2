/** Public API of the HTML report. */
export { renderReport, type ReportInput, type ReportFigure, type TableRow } from "./html.js";
export { buildReport, type BuildReportOptions } from "./build.js";
export {
  evaluationTable,
  leafTable,
  perClassTable,
  reportFigures,
  type ReportExtras,
} from "./sections.js";
export { readComparison, withComparisons, type Comparison } from "./compare.js";
export { writeReport, type WriteReportOptions } from "./write.js";
