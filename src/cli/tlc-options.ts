/**
 * Helpers the fit/explain/features commands share: fold selection, option parsing that belongs to
 * TLC (taps, block weights), progress lines on stderr.
 */
import { UsageError } from "../errors.js";
import { formatDuration } from "../model/progress.js";
import type { BlockWeights } from "../tlc/features.js";
import type { TlcProgress } from "../tlc/fit.js";

/** The native engine's taps in any case (b2 -> B2); imported models' module paths as they are. */
const tapName = (s: string): string => (/^b\d+$/i.test(s) ? s.toUpperCase() : s);

/** "B2,B3,B4" -> ["B2","B3","B4"] (or an imported model's module paths, "layer3,layer4"). */
export function parseTaps(spec: string | undefined): string[] | undefined {
  if (spec === undefined) return undefined;
  const taps = spec
    .split(",")
    .map((s) => tapName(s.trim()))
    .filter(Boolean);
  if (!taps.length || new Set(taps).size !== taps.length) {
    throw new UsageError(`--taps: expected a list like B2,B3,B4, got '${spec}'`);
  }
  return taps;
}

/** "inverse-sqrt" | "equal" | "B2=0.5,B3=1,B4=1". */
export function parseWeights(spec: string | undefined): BlockWeights | undefined {
  if (spec === undefined) return undefined;
  if (spec === "inverse-sqrt" || spec === "equal") return spec;
  const out: Record<string, number> = {};
  for (const part of spec.split(",")) {
    const m = /^\s*([^=\s]+)\s*=\s*([0-9.eE+-]+)\s*$/.exec(part);
    const w = m ? Number(m[2]) : NaN;
    if (!m || !Number.isFinite(w) || w <= 0) {
      throw new UsageError(
        `--weights: expected inverse-sqrt, equal or B2=w,B3=w,..., got '${spec}'`,
      );
    }
    out[tapName(m![1])] = w;
  }
  return out;
}

/** Stages that count ECGs (the others count restarts, K values or blocks). */
const ECG_STAGES = new Set([
  "features",
  "statistics",
  "minibatch",
  "inertia",
  "states",
  "naming clusters",
  "naming states",
]);

/**
 * Progress lines on stderr, one per stage change and about every 10 % of a stage; stages that
 * pass over ECGs also say how fast and how long is left ("fit: features 320/3200, 41.2 ECGs/s,
 * ETA 1m10s").
 */
export function progressPrinter(
  command: string,
): (p: Pick<TlcProgress, "done" | "total"> & { stage: string }) => void {
  let last = "";
  let lastShown = -1;
  // The rate is measured from a stage's first report (its start is not reported).
  let t0 = performance.now();
  let done0 = 0;
  return (p) => {
    if (p.stage !== last) {
      t0 = performance.now();
      done0 = p.done;
    }
    const tenth = p.total ? Math.floor((10 * p.done) / p.total) : 0;
    if (p.stage === last && tenth === lastShown && p.done !== p.total) return;
    last = p.stage;
    lastShown = tenth;
    const s = (performance.now() - t0) / 1000;
    const rate = s > 0.5 && p.done > done0 ? (p.done - done0) / s : 0;
    const speed =
      ECG_STAGES.has(p.stage) && rate && p.done < p.total
        ? `, ${rate.toFixed(1)} ECGs/s, ETA ${formatDuration((p.total - p.done) / rate)}`
        : "";
    process.stderr.write(`${command}: ${p.stage} ${p.done}/${p.total}${speed}\n`);
  };
}
