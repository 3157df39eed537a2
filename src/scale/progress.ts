/**
 * Progress of a long pass (records/s, ETA) and what a run cost (wall time, peak memory), the
 * accounting each shard records in its manifest.
 */
import { formatDuration } from "../model/progress.js";

/** Peak resident set size of this process so far, bytes (getrusage's ru_maxrss). */
export function peakRss(): number {
  return process.resourceUsage().maxRSS * 1024;
}

export interface Cost {
  records: number;
  seconds: number;
  /** Peak resident memory, bytes. */
  peakRss: number;
}

export { formatDuration };

/**
 * Counts records through a pass and reports at most every `everySeconds` (and at the end):
 * "explain: 1200/20000 ECGs, 41.3 ECGs/s, ETA 6m47s".
 */
export class ProgressMeter {
  private readonly t0 = performance.now();
  private last = performance.now();
  done = 0;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly report: (line: string) => void = (l) => process.stderr.write(l + "\n"),
    private readonly everySeconds = 10,
  ) {}

  add(n: number): void {
    this.done += n;
    const now = performance.now();
    if (this.done < this.total && (now - this.last) / 1000 < this.everySeconds) return;
    this.last = now;
    const s = (now - this.t0) / 1000;
    const rate = s > 0 ? this.done / s : 0;
    const eta = rate > 0 ? (this.total - this.done) / rate : Infinity;
    this.report(
      `${this.label}: ${this.done}/${this.total} ECGs, ${rate.toFixed(1)} ECGs/s` +
        (this.done < this.total ? `, ETA ${formatDuration(eta)}` : `, ${formatDuration(s)}`),
    );
  }

  cost(): Cost {
    return {
      records: this.done,
      seconds: (performance.now() - this.t0) / 1000,
      peakRss: peakRss(),
    };
  }
}
