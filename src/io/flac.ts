/**
 * FLAC decoding for WFDB's compressed formats 508, 516 and 524 (8-, 16- and 24-bit samples): each
 * signal of the file is one FLAC channel. A plain decoder of the FLAC bitstream (STREAMINFO, frames,
 * constant/verbatim/fixed/LPC subframes, Rice residuals, stereo decorrelation); the file's CRCs are
 * not checked because the WFDB checksums of the header verify the decoded samples.
 */
import { EcgFormatError } from "../errors.js";

class BitReader {
  pos = 0; // bit position
  constructor(
    private readonly buf: Uint8Array,
    private readonly file: string,
  ) {}

  get bytePos(): number {
    return this.pos >> 3;
  }

  bits(n: number): number {
    // Up to 32 bits, unsigned; built with arithmetic so that 32-bit values stay exact.
    let v = 0;
    for (let i = 0; i < n; i++) {
      const byte = this.pos >> 3;
      if (byte >= this.buf.length) throw new EcgFormatError(this.file, "truncated FLAC stream");
      v = v * 2 + ((this.buf[byte] >> (7 - (this.pos & 7))) & 1);
      this.pos++;
    }
    return v;
  }

  signed(n: number): number {
    if (n === 0) return 0;
    const v = this.bits(n);
    return v >= 2 ** (n - 1) ? v - 2 ** n : v;
  }

  unary(): number {
    let n = 0;
    for (;;) {
      const byte = this.pos >> 3;
      if (byte >= this.buf.length) throw new EcgFormatError(this.file, "truncated FLAC stream");
      const b = this.buf[byte];
      const bit = (b >> (7 - (this.pos & 7))) & 1;
      this.pos++;
      if (bit) return n;
      n++;
    }
  }

  align(): void {
    this.pos = (this.pos + 7) & ~7;
  }
}

const FIXED: number[][] = [[], [1], [2, -1], [3, -3, 1], [4, -6, 4, -1]];

/** Decodes a FLAC file into one Int32Array per channel. */
export function decodeFlac(buf: Uint8Array, file: string, maxPerChannel = Infinity): Int32Array[] {
  if (buf.length < 42 || String.fromCharCode(buf[0], buf[1], buf[2], buf[3]) !== "fLaC") {
    throw new EcgFormatError(file, "not a FLAC stream (no 'fLaC' marker)");
  }
  const r = new BitReader(buf, file);
  r.pos = 32;
  let channels = 0;
  let bps = 0;
  let total = 0;
  for (;;) {
    const last = r.bits(1);
    const type = r.bits(7);
    const len = r.bits(24);
    const start = r.bytePos;
    if (type === 0) {
      r.bits(16 + 16 + 24 + 24 + 20);
      channels = r.bits(3) + 1;
      bps = r.bits(5) + 1;
      total = r.bits(36);
    }
    r.pos = (start + len) * 8;
    if (last) break;
  }
  if (channels === 0) throw new EcgFormatError(file, "FLAC stream without STREAMINFO");
  if (total * channels > 2 ** 27)
    throw new EcgFormatError(file, `implausible FLAC length ${total}`);
  // a few bytes of constant subframes can claim millions of samples: no more than the header says
  if (total > maxPerChannel) {
    throw new EcgFormatError(
      file,
      `FLAC stream holds ${total} samples per signal, the header ${maxPerChannel}`,
    );
  }
  const out = Array.from({ length: channels }, () => new Int32Array(total));
  let done = 0;
  while (done < total && r.bytePos + 2 < buf.length) {
    const n = decodeFrame(r, file, bps, channels, out, done, total);
    done += n;
  }
  if (done < total)
    throw new EcgFormatError(file, `truncated FLAC stream: ${done} of ${total} samples`);
  return out;
}

function decodeFrame(
  r: BitReader,
  file: string,
  streamBps: number,
  channels: number,
  out: Int32Array[],
  at: number,
  total: number,
): number {
  if (r.bits(14) !== 0x3ffe)
    throw new EcgFormatError(file, `lost FLAC frame sync at byte ${r.bytePos}`);
  r.bits(2); // reserved, blocking strategy
  const bsCode = r.bits(4);
  const srCode = r.bits(4);
  const chanCode = r.bits(4);
  const ssCode = r.bits(3);
  r.bits(1);
  // Frame or sample number, UTF-8-like coded: skip it.
  const first = r.bits(8);
  let extra = 0;
  for (let mask = 0x80; first & mask && mask > 1; mask >>= 1) extra++;
  r.bits(8 * Math.max(0, extra - 1));
  let blockSize: number;
  if (bsCode === 1) blockSize = 192;
  else if (bsCode >= 2 && bsCode <= 5) blockSize = 576 << (bsCode - 2);
  else if (bsCode === 6) blockSize = r.bits(8) + 1;
  else if (bsCode === 7) blockSize = r.bits(16) + 1;
  else if (bsCode >= 8) blockSize = 256 << (bsCode - 8);
  else throw new EcgFormatError(file, "reserved FLAC block size");
  if (srCode === 12) r.bits(8);
  else if (srCode === 13 || srCode === 14) r.bits(16);
  r.bits(8); // CRC-8
  const bpsTable = [streamBps, 8, 12, 0, 16, 20, 24, 32];
  const bps = bpsTable[ssCode];
  if (!bps) throw new EcgFormatError(file, "reserved FLAC sample size");
  const nch = chanCode < 8 ? chanCode + 1 : 2;
  if (nch !== channels)
    throw new EcgFormatError(file, `FLAC frame with ${nch} channels, stream has ${channels}`);
  const n = Math.min(blockSize, total - at);
  const sub: Int32Array[] = [];
  for (let c = 0; c < nch; c++) {
    // The side channel of a stereo pair needs one more bit.
    const side =
      (chanCode === 8 && c === 1) || (chanCode === 9 && c === 0) || (chanCode === 10 && c === 1);
    sub.push(decodeSubframe(r, file, bps + (side ? 1 : 0), blockSize));
  }
  r.align();
  r.bits(16); // CRC-16
  if (chanCode >= 8) {
    const [a, b] = sub;
    for (let i = 0; i < blockSize; i++) {
      if (chanCode === 8)
        b[i] = a[i] - b[i]; // left, side -> right
      else if (chanCode === 9)
        a[i] = a[i] + b[i]; // side, right -> left
      else {
        const mid = a[i] * 2 + (b[i] & 1);
        a[i] = (mid + b[i]) >> 1;
        b[i] = (mid - b[i]) >> 1;
      }
    }
  }
  for (let c = 0; c < nch; c++) out[c].set(sub[c].subarray(0, n), at);
  return n;
}

function decodeSubframe(r: BitReader, file: string, bps: number, n: number): Int32Array {
  r.bits(1);
  const type = r.bits(6);
  let wasted = 0;
  if (r.bits(1)) wasted = r.unary() + 1;
  const b = bps - wasted;
  const x = new Int32Array(n);
  if (type === 0) x.fill(r.signed(b));
  else if (type === 1) for (let i = 0; i < n; i++) x[i] = r.signed(b);
  else if (type >= 8 && type <= 12) {
    const order = type - 8;
    for (let i = 0; i < order; i++) x[i] = r.signed(b);
    residual(r, file, x, order, n);
    const c = FIXED[order];
    for (let i = order; i < n; i++) {
      let p = 0;
      for (let j = 0; j < order; j++) p += c[j] * x[i - 1 - j];
      x[i] += p;
    }
  } else if (type >= 32) {
    const order = (type & 31) + 1;
    for (let i = 0; i < order; i++) x[i] = r.signed(b);
    const precision = r.bits(4) + 1;
    if (precision === 16) throw new EcgFormatError(file, "invalid FLAC LPC precision");
    const shift = r.signed(5);
    const coef: number[] = [];
    for (let j = 0; j < order; j++) coef.push(r.signed(precision));
    residual(r, file, x, order, n);
    const div = 2 ** Math.max(0, shift);
    for (let i = order; i < n; i++) {
      let p = 0;
      for (let j = 0; j < order; j++) p += coef[j] * x[i - 1 - j];
      x[i] += Math.floor(p / div);
    }
  } else throw new EcgFormatError(file, `reserved FLAC subframe type ${type}`);
  if (wasted > 0) for (let i = 0; i < n; i++) x[i] *= 2 ** wasted;
  return x;
}

/** Rice-coded residuals into x[order..n) (the predictions are added afterwards). */
function residual(r: BitReader, file: string, x: Int32Array, order: number, n: number): void {
  const method = r.bits(2);
  if (method > 1) throw new EcgFormatError(file, "reserved FLAC residual coding");
  const paramBits = method === 0 ? 4 : 5;
  const escape = method === 0 ? 15 : 31;
  const partOrder = r.bits(4);
  const parts = 1 << partOrder;
  const per = n >> partOrder;
  if (per * parts !== n || per < order)
    throw new EcgFormatError(file, "invalid FLAC partition order");
  let i = order;
  for (let p = 0; p < parts; p++) {
    const count = p === 0 ? per - order : per;
    const k = r.bits(paramBits);
    if (k === escape) {
      const raw = r.bits(5);
      for (let j = 0; j < count; j++) x[i++] = r.signed(raw);
    } else {
      for (let j = 0; j < count; j++) {
        const u = r.unary() * 2 ** k + r.bits(k);
        x[i++] = u % 2 === 0 ? u / 2 : -(u + 1) / 2;
      }
    }
  }
}
