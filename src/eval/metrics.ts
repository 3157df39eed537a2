/**
 * Classification and regression metrics, with scikit-learn's definitions and edge cases so that
 * our numbers can be put beside the paper's (which were computed with sklearn).
 *
 * Binary metrics take 0/1 arrays (any non-zero counts as positive). Macro versions take
 * row-major `n x classes` matrices and average the per-class metric without weights.
 */

/** Area under the ROC curve, ties handled like sklearn's roc_auc_score (a tie counts one half).
 * Computed as the Mann-Whitney U statistic with mid-ranks. NaN when one class is absent
 * (sklearn raises; callers skip such classes in macro averages). */
export function auroc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = scores.length;
  if (labels.length !== n) throw new RangeError(`auroc: ${n} scores but ${labels.length} labels`);
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => scores[a] - scores[b]);
  let nPos = 0;
  let rankSumPos = 0;
  // Walk groups of tied scores; every member of a group gets the group's mean rank (1-based).
  for (let i = 0; i < n;) {
    let j = i + 1;
    while (j < n && scores[order[j]] === scores[order[i]]) j++;
    const midRank = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) {
      if (labels[order[k]]) {
        nPos++;
        rankSumPos += midRank;
      }
    }
    i = j;
  }
  const nNeg = n - nPos;
  if (nPos === 0 || nNeg === 0) return NaN;
  return (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

/** Counts of a binary confusion matrix. */
export function confusion(
  predicted: ArrayLike<number>,
  truth: ArrayLike<number>,
): { tp: number; fp: number; tn: number; fn: number } {
  if (predicted.length !== truth.length)
    throw new RangeError(`confusion: ${predicted.length} predictions but ${truth.length} labels`);
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  for (let i = 0; i < predicted.length; i++) {
    const p = predicted[i] !== 0;
    const t = truth[i] !== 0;
    if (p && t) tp++;
    else if (p) fp++;
    else if (t) fn++;
    else tn++;
  }
  return { tp, fp, tn, fn };
}

/** Share of equal entries (sklearn accuracy_score on a 1-D array; on label matrices use
 * {@link elementAccuracy}, the per-(ECG, class) agreement the paper reports). */
export function accuracy(predicted: ArrayLike<number>, truth: ArrayLike<number>): number {
  if (predicted.length !== truth.length)
    throw new RangeError(`accuracy: ${predicted.length} predictions but ${truth.length} labels`);
  if (predicted.length === 0) return NaN;
  let same = 0;
  for (let i = 0; i < predicted.length; i++) if (predicted[i] === truth[i]) same++;
  return same / predicted.length;
}

/** tp / (tp + fp); 0 when nothing is predicted positive (sklearn's zero_division=0 default). */
export function precision(predicted: ArrayLike<number>, truth: ArrayLike<number>): number {
  const { tp, fp } = confusion(predicted, truth);
  return tp + fp === 0 ? 0 : tp / (tp + fp);
}

/** tp / (tp + fn); 0 when there are no positives (sklearn's zero_division=0). */
export function recall(predicted: ArrayLike<number>, truth: ArrayLike<number>): number {
  const { tp, fn } = confusion(predicted, truth);
  return tp + fn === 0 ? 0 : tp / (tp + fn);
}

/** 2 tp / (2 tp + fp + fn); 0 when both are empty (sklearn's zero_division=0). */
export function f1(predicted: ArrayLike<number>, truth: ArrayLike<number>): number {
  const { tp, fp, fn } = confusion(predicted, truth);
  return 2 * tp + fp + fn === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
}

/** Column `c` of a row-major n x classes matrix. */
export function column(matrix: ArrayLike<number>, classes: number, c: number): Float64Array {
  const n = Math.floor(matrix.length / classes);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = matrix[i * classes + c];
  return out;
}

function perClass(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  classes: number,
  metric: (x: ArrayLike<number>, y: ArrayLike<number>) => number,
): number[] {
  if (a.length !== b.length || a.length % classes !== 0)
    throw new RangeError(
      `macro metric: matrices of ${a.length} and ${b.length} values, ${classes} classes`,
    );
  const out: number[] = [];
  for (let c = 0; c < classes; c++) out.push(metric(column(a, classes, c), column(b, classes, c)));
  return out;
}

function meanFinite(values: number[]): number {
  const ok = values.filter((v) => Number.isFinite(v));
  return ok.length === 0 ? NaN : ok.reduce((s, v) => s + v, 0) / ok.length;
}

/** Per-class AUROC of an n x classes score matrix against an n x classes 0/1 label matrix. */
export function aurocPerClass(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  classes: number,
): number[] {
  return perClass(scores, labels, classes, auroc);
}

/** Macro AUROC (sklearn average="macro"); classes with only one label value are skipped. */
export function macroAuroc(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  classes: number,
): number {
  return meanFinite(aurocPerClass(scores, labels, classes));
}

export function macroPrecision(
  p: ArrayLike<number>,
  t: ArrayLike<number>,
  classes: number,
): number {
  return meanFinite(perClass(p, t, classes, precision));
}
export function macroRecall(p: ArrayLike<number>, t: ArrayLike<number>, classes: number): number {
  return meanFinite(perClass(p, t, classes, recall));
}
export function macroF1(p: ArrayLike<number>, t: ArrayLike<number>, classes: number): number {
  return meanFinite(perClass(p, t, classes, f1));
}
/** Mean over classes of per-class accuracy; equals the share of agreeing (ECG, class) pairs. */
export function macroAccuracy(p: ArrayLike<number>, t: ArrayLike<number>, classes: number): number {
  return meanFinite(perClass(p, t, classes, accuracy));
}

/** Share of agreeing entries of two label matrices: the paper's fidelity and accuracy
 * ("share of (ECG, class) pairs where surrogate and CNN agree"). */
export const elementAccuracy = accuracy;

/** Subset accuracy (sklearn accuracy_score on multilabel input): rows equal in every class. */
export function subsetAccuracy(
  p: ArrayLike<number>,
  t: ArrayLike<number>,
  classes: number,
): number {
  if (p.length !== t.length || p.length % classes !== 0)
    throw new RangeError(`subsetAccuracy: matrices of ${p.length} and ${t.length} values`);
  const n = p.length / classes;
  if (n === 0) return NaN;
  let same = 0;
  for (let i = 0; i < n; i++) {
    let eq = true;
    for (let c = 0; c < classes && eq; c++) eq = p[i * classes + c] === t[i * classes + c];
    if (eq) same++;
  }
  return same / n;
}

/** Mean absolute error. */
export function mae(predicted: ArrayLike<number>, truth: ArrayLike<number>): number {
  if (predicted.length !== truth.length)
    throw new RangeError(`mae: ${predicted.length} predictions but ${truth.length} targets`);
  if (predicted.length === 0) return NaN;
  let s = 0;
  for (let i = 0; i < predicted.length; i++) s += Math.abs(predicted[i] - truth[i]);
  return s / predicted.length;
}

/** Coefficient of determination, sklearn r2_score: 1 - SS_res / SS_tot; when the truth is
 * constant, 1 for a perfect fit and 0 otherwise (sklearn's force_finite default). */
export function r2(predicted: ArrayLike<number>, truth: ArrayLike<number>): number {
  const n = truth.length;
  if (predicted.length !== n)
    throw new RangeError(`r2: ${predicted.length} predictions but ${n} targets`);
  if (n === 0) return NaN;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += truth[i];
  mean /= n;
  let ssRes = 0;
  let ssTot = 0;
  for (let i = 0; i < n; i++) {
    ssRes += (truth[i] - predicted[i]) ** 2;
    ssTot += (truth[i] - mean) ** 2;
  }
  if (ssTot === 0) return ssRes === 0 ? 1 : 0;
  return 1 - ssRes / ssTot;
}

/** Pearson correlation; NaN when either side is constant. */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length;
  if (y.length !== n) throw new RangeError(`pearson: ${n} and ${y.length} values`);
  if (n === 0) return NaN;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i];
    my += y[i];
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i] - mx;
    const dy = y[i] - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) return NaN;
  return sxy / Math.sqrt(sxx * syy);
}

/** Mean and population std (numpy's default ddof=0) of a list, e.g. per-fold results. */
export function meanStd(values: number[]): { mean: number; std: number } {
  if (values.length === 0) return { mean: NaN, std: NaN };
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  const v = values.reduce((s, x) => s + (x - mean) ** 2, 0) / values.length;
  return { mean, std: Math.sqrt(v) };
}
