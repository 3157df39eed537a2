/** What the per-ECG figure draws (an explanation) and how (its options). */
import type { Explanation } from "../explain/explanation.js";
import type { Leaves } from "../explain/levels.js";

/** What the figure reads of an explanation (the state level when the explainer has one). */
export type FigureExplanation = Pick<
  Explanation,
  "record" | "fs" | "samples" | "outputs" | "entropy" | "segments" | "proportions" | "meanEntropy"
> &
  Partial<Pick<Explanation, "leaves" | "stateEntropy" | "leafProportions" | "meanStateEntropy">>;

export interface EcgFigureOptions {
  /** "standard": 4 columns x 3 rows of 2.5 s + a rhythm strip; "column": one row per lead, full length. */
  layout?: "standard" | "column";
  /** Lead of the rhythm strip in the standard layout. */
  rhythmLead?: string;
  /** Grad-CAM per source sample (>= 0); drawn in the band, scaled to its maximum. */
  gradcam?: ArrayLike<number>;
  /** Wave each cluster aligns with (index = cluster), e.g. ["QRS", "T", "TP", "P"]. */
  clusterWaves?: (string | undefined)[];
  /**
   * A two-level explainer's leaves: with them (and the explanation's `leaves`) a strip under each
   * lead shades each step by its state within its wave, and the legend names the leaves present.
   */
  leaves?: Leaves;
  /** Decision threshold per class, in the order of `outputs` (`predictedLabels`' rule). */
  thresholds?: number[];
  /** The record's true labels, shown beside the predictions; "–" when unknown. */
  trueLabels?: string[];
  /** Age models (a single output "age"): the true age in years, shown beside the predicted one. */
  trueAge?: number;
  /** Paper speed (default 25 mm/s, the clinical standard). */
  mmPerS?: number;
  /**
   * Gain in mm per signal unit. Default "auto": 10 mm/mV (the standard) unless the tallest waves
   * would not fit their row, then half or quarter standard (as clinicians print large QRS); for
   * normalised records (units "NU", z-scores) the largest of 10, 5, 2.5, 2, 1 that fits.
   */
  mmPerMv?: number | "auto";
  /** Raster size hint written to width/height (pixels per millimetre). */
  pxPerMm?: number;
  title?: string;
  /** Longest stretch drawn in the column layout, seconds (default 60; the standard layout shows 10 s). */
  maxSeconds?: number;
}
