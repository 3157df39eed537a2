/**
 * JSON lines written as bytes: the text JSON.stringify gives for plain data (no toJSON, no
 * cycles, as explanations are), with arrays of numbers (an explanation's per-sample clusters and
 * entropy: most of its bytes) formatted by the native addon straight into a reused buffer, each
 * run of equal numbers once. Without the addon, `explanationJson`'s text, encoded.
 */
import { loadNative } from "../native.js";

interface JsonKernels {
  /** "[v,v,...]" of values[0..n) at `offset` of `out`; the offset after it, or -1 when short. */
  tlcNumbersJson(values: Float64Array, n: number, out: Uint8Array, offset: number): number;
  /** One number as Number.prototype.toString gives it (non-finite: "null"). */
  tlcNumberText(x: number): string;
}

let loaded: JsonKernels | null | undefined;

/** The native number formatting, or null when the addon is not built. */
export function jsonKernels(): JsonKernels | null {
  if (loaded === undefined) {
    try {
      const m = loadNative<Partial<JsonKernels>>();
      loaded = typeof m.tlcNumbersJson === "function" ? (m as JsonKernels) : null;
    } catch {
      loaded = null;
    }
  }
  return loaded;
}

export class JsonLineWriter {
  private buf = Buffer.allocUnsafe(1 << 20);
  private len = 0;
  /** Text not yet in `buf`: small pieces are gathered and encoded in one call. */
  private pending = "";
  private nums = new Float64Array(4096);
  private readonly keys = new Map<string, string>();

  /** `native` false: the TypeScript formatting (as without the addon). */
  constructor(private readonly native: JsonKernels | null = jsonKernels()) {}

  /** JSON.stringify(value) + "\n" as UTF-8, in this writer's buffer (valid until the next call). */
  line(value: unknown): Buffer {
    if (!this.native) return Buffer.from(explanationJson(value) + "\n");
    this.len = 0;
    this.value(value);
    this.text("\n");
    this.flush();
    return this.buf.subarray(0, this.len);
  }

  private reserve(bytes: number): void {
    if (this.len + bytes <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(2 * this.buf.length, this.len + bytes));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  private text(s: string): void {
    this.pending += s;
  }

  private flush(): void {
    const s = this.pending;
    if (!s) return;
    this.pending = "";
    this.reserve(3 * s.length); // UTF-8 needs at most 3 bytes per UTF-16 unit
    this.len += this.buf.write(s, this.len, "utf8");
  }

  private value(v: unknown): void {
    if (Array.isArray(v)) {
      if (!this.numbers(v)) this.text(JSON.stringify(v));
      return;
    }
    if (v === null || typeof v !== "object") {
      this.text(JSON.stringify(v));
      return;
    }
    this.text("{");
    let first = true;
    for (const [key, x] of Object.entries(v)) {
      if (x === undefined || typeof x === "function" || typeof x === "symbol") continue;
      let k = this.keys.get(key);
      if (k === undefined) this.keys.set(key, (k = JSON.stringify(key) + ":"));
      this.text(first ? k : "," + k);
      first = false;
      this.value(x);
    }
    this.text("}");
  }

  /** Writes an array of numbers; false (nothing written) when it holds anything else. */
  private numbers(a: unknown[]): boolean {
    const n = a.length;
    if (this.nums.length < n) this.nums = new Float64Array(Math.max(n, 2 * this.nums.length));
    const nums = this.nums;
    for (let i = 0; i < n; i++) {
      const x = a[i];
      if (typeof x !== "number") return false;
      nums[i] = x;
    }
    this.flush();
    for (;;) {
      const end = this.native!.tlcNumbersJson(nums, n, this.buf, this.len);
      if (end >= 0) {
        this.len = end;
        return true;
      }
      this.reserve(this.buf.length - this.len + 1); // at least doubles it
    }
  }
}

/**
 * JSON.stringify(value) for explanations, faster: per-sample arrays (clusters, entropy) repeat
 * each fine step's value over the samples it covers, so each run of equal numbers is formatted
 * once. Plain data only (no toJSON, no cycles), as explanations are.
 */
export function explanationJson(value: unknown): string {
  if (Array.isArray(value)) return numbersJson(value) ?? JSON.stringify(value);
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  const parts: string[] = [];
  for (const [key, v] of Object.entries(value)) {
    if (v === undefined || typeof v === "function" || typeof v === "symbol") continue;
    parts.push(JSON.stringify(key) + ":" + explanationJson(v));
  }
  return "{" + parts.join(",") + "}";
}

/** An array of numbers as JSON, or undefined when it holds anything else. */
function numbersJson(a: unknown[]): string | undefined {
  let out = "";
  for (let i = 0; i < a.length;) {
    const v = a[i];
    if (typeof v !== "number") return undefined;
    let j = i + 1;
    while (j < a.length && Object.is(a[j], v)) j++;
    out += (Number.isFinite(v) ? String(v) + "," : "null,").repeat(j - i);
    i = j;
  }
  return "[" + out.slice(0, -1) + "]";
}
