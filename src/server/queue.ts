/**
 * One-at-a-time access to the engine with two priorities: what a user is waiting for (opening an
 * ECG, an upload) goes before the background pass over the dataset. The native network is not
 * promised to be safe under concurrent calls, and on 2 cores running them in parallel gains
 * nothing; HTTP requests themselves are still served concurrently.
 */
type Job = () => Promise<void>;

export class EngineQueue {
  private busy = false;
  private readonly high: Job[] = [];
  private readonly low: Job[] = [];

  run<T>(fn: () => Promise<T>, priority: "high" | "low" = "high"): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const job: Job = () => fn().then(resolve, reject);
      (priority === "high" ? this.high : this.low).push(job);
      this.next();
    });
  }

  /** Jobs waiting (not counting the one running). */
  get pending(): number {
    return this.high.length + this.low.length;
  }

  private next(): void {
    if (this.busy) return;
    const job = this.high.shift() ?? this.low.shift();
    if (!job) return;
    this.busy = true;
    // each job starts in a macrotask of its own: a chain of jobs never holds back the requests
    // (health, lists) waiting for the event loop
    setImmediate(() => {
      void job().finally(() => {
        this.busy = false;
        this.next();
      });
    });
  }
}
