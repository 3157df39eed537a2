/**
 * Waves to per-sample labels (0 = P, 1 = QRS, 2 = T, 3 = TP/other: the order of WAVE_LABELS), and
 * WFDB wave annotations (LUDB / QTDB style: "(" onset, peak symbol, ")" offset) to waves.
 */
import type { Annotation, Wave, WaveType } from "../types.js";

export const LABEL_P = 0;
export const LABEL_QRS = 1;
export const LABEL_T = 2;
export const LABEL_TP = 3;

const CODE: Record<WaveType, number> = { P: LABEL_P, QRS: LABEL_QRS, T: LABEL_T };
// when leads disagree on a sample with equal votes: QRS, then T, then P, then TP
const TIE_ORDER = [LABEL_QRS, LABEL_T, LABEL_P, LABEL_TP];

function fill(labels: Uint8Array, waves: Wave[]): void {
  // QRS last so that it wins where a wave's boundary overlaps it
  for (const type of ["P", "T", "QRS"] as const) {
    for (const w of waves) {
      if (w.type !== type) continue;
      const a = Math.max(0, Math.round(w.onset));
      const b = Math.min(labels.length - 1, Math.round(w.offset));
      labels.fill(CODE[type], a, b + 1);
    }
  }
}

/**
 * Per-sample wave label for a record of `samples` samples. Waves of several leads are combined
 * by a majority vote per sample (each lead votes for its own label, TP included); pass `lead` to
 * label from one lead only.
 */
export function waveLabels(
  waves: Wave[],
  samples: number,
  opts: { lead?: string } = {},
): Uint8Array {
  const chosen = opts.lead === undefined ? waves : waves.filter((w) => w.lead === opts.lead);
  const leads = [...new Set(chosen.map((w) => w.lead))];
  const out = new Uint8Array(samples).fill(LABEL_TP);
  if (leads.length <= 1) {
    fill(out, chosen);
    return out;
  }
  const votes = new Uint16Array(samples * 4);
  const one = new Uint8Array(samples);
  for (const lead of leads) {
    one.fill(LABEL_TP);
    fill(
      one,
      chosen.filter((w) => w.lead === lead),
    );
    for (let i = 0; i < samples; i++) votes[i * 4 + one[i]]++;
  }
  for (let i = 0; i < samples; i++) {
    let best = TIE_ORDER[0];
    for (const c of TIE_ORDER) if (votes[i * 4 + c] > votes[i * 4 + best]) best = c;
    out[i] = best;
  }
  return out;
}

const PEAK: Record<string, WaveType> = { p: "P", N: "QRS", t: "T" };

/**
 * Waves from one lead's WFDB wave annotations: each peak symbol ("p", "N", "t"; other beat
 * symbols count as QRS) with the "(" just before and the ")" just after it. A peak without a
 * bracket gets the peak itself as onset/offset. `span` is the annotated part [first, last] sample.
 */
export function wavesFromAnnotations(
  annotations: Annotation[],
  lead: string,
): { waves: Wave[]; span: [number, number] } {
  const a = [...annotations].sort((x, y) => x.sample - y.sample);
  const waves: Wave[] = [];
  for (let k = 0; k < a.length; k++) {
    const sym = a[k].symbol;
    if (sym === "(" || sym === ")") continue;
    const type = PEAK[sym] ?? (/^[NLRBAaJSVrFejnE/fQ?]$/.test(sym) ? "QRS" : undefined);
    if (!type) continue;
    const onset = k > 0 && a[k - 1].symbol === "(" ? a[k - 1].sample : a[k].sample;
    const offset = k + 1 < a.length && a[k + 1].symbol === ")" ? a[k + 1].sample : a[k].sample;
    waves.push({ lead, type, onset, peak: a[k].sample, offset });
  }
  const span: [number, number] = a.length ? [a[0].sample, a[a.length - 1].sample] : [0, -1];
  return { waves, span };
}

/** Labels of one lead straight from its annotations; samples outside the annotated span are TP. */
export function annotationLabels(
  annotations: Annotation[],
  lead: string,
  samples: number,
): Uint8Array {
  return waveLabels(wavesFromAnnotations(annotations, lead).waves, samples);
}
