/**
 * A progress bar on stderr: redrawn in place on a terminal, one line per finished epoch otherwise
 * (so logs stay readable).
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

export class ProgressBar {
  private readonly tty: boolean;
  private last = 0;

  constructor(
    private readonly stream: NodeJS.WriteStream | null = process.stderr,
    private readonly width = 24,
  ) {
    this.tty = Boolean(stream?.isTTY);
  }

  /** Redraws `label [####....] done/total text ETA` (throttled to 5 per second). */
  update(label: string, done: number, total: number, text: string, etaSeconds: number): void {
    if (!this.stream || !this.tty) return;
    const now = Date.now();
    if (now - this.last < 200 && done < total) return;
    this.last = now;
    const filled = Math.round((this.width * done) / Math.max(1, total));
    const bar = "#".repeat(filled) + ".".repeat(this.width - filled);
    this.stream.write(
      `\r${label} [${bar}] ${done}/${total} ${text} ETA ${formatDuration(etaSeconds)}\x1b[K`,
    );
  }

  /** Ends the current bar with a permanent line. */
  line(text: string): void {
    if (!this.stream) return;
    this.stream.write(`${this.tty ? "\r\x1b[K" : ""}${text}\n`);
  }
}
