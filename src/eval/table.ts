/**
 * The per-ECG table of an evaluation as CSV (`ecg-tlc evaluate --table FILE.csv`): what the
 * surrogate saw and said for each ECG, for checking the evaluation with other tools (pandas,
 * scikit-learn) or finding the ECGs where surrogate and CNN disagree.
 */
import { csvField } from "../io/csv.js";
import type { PerEcgTable } from "./analyses/surrogates.js";
import { thresholdScores } from "./surrogate.js";

/**
 * Columns: id, fold; true_<class>; cnn_<class> (probability); with `thresholds`,
 * cnn_label_<class> (the labels the surrogate learns); surrogate_<class> (out-of-fold vote share);
 * p<k> (hard proportions), soft<k> (soft proportions). Numbers as JavaScript prints them (exact
 * round trip).
 */
export function perEcgCsv(t: PerEcgTable, thresholds?: number[]): string {
  const k = t.proportions[0]?.length ?? 0;
  const header = [
    "id",
    "fold",
    ...t.targets.map((c) => `true_${c}`),
    ...t.targets.map((c) => `cnn_${c}`),
    ...(thresholds ? t.targets.map((c) => `cnn_label_${c}`) : []),
    ...(t.surrogate ? t.targets.map((c) => `surrogate_${c}`) : []),
    ...Array.from({ length: k }, (_, j) => `p${j}`),
    ...Array.from({ length: k }, (_, j) => `soft${j}`),
  ];
  const lines = [header.join(",")];
  t.ids.forEach((id, i) => {
    const cnn = t.cnn[i];
    lines.push(
      [
        csvField(id),
        t.folds[i],
        ...t.truth[i],
        ...cnn,
        ...(thresholds ? thresholdScores(cnn, thresholds, cnn.length) : []),
        ...(t.surrogate ? t.surrogate[i] : []),
        ...t.proportions[i],
        ...t.softProportions[i],
      ].join(","),
    );
  });
  return lines.join("\n") + "\n";
}
