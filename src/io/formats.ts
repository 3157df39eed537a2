/**
 * WFDB binary signal formats (signal(5)): decoding a byte range into digital sample values and
 * encoding them back. Samples of all the signals of one file are interleaved frame by frame, so the
 * decoders work on the flat sample stream; record.ts de-interleaves.
 *
 * Packed formats store samples in groups: 212 packs 2 samples in 3 bytes, 310 and 311 pack 3 in 4.
 * A read must start at a group boundary, which is why `layout` gives group sizes.
 */

/** Sample-group geometry of a format: `samples` samples occupy `bytes` bytes. */
export interface FormatLayout {
  samples: number;
  bytes: number;
}

const LAYOUTS: Record<string, FormatLayout> = {
  "8": { samples: 1, bytes: 1 },
  "16": { samples: 1, bytes: 2 },
  "24": { samples: 1, bytes: 3 },
  "32": { samples: 1, bytes: 4 },
  "61": { samples: 1, bytes: 2 },
  "80": { samples: 1, bytes: 1 },
  "160": { samples: 1, bytes: 2 },
  "212": { samples: 2, bytes: 3 },
  "310": { samples: 3, bytes: 4 },
  "311": { samples: 3, bytes: 4 },
};

/** Group geometry of a format, or undefined for a format this module cannot decode. */
export function formatLayout(fmt: string): FormatLayout | undefined {
  return LAYOUTS[fmt];
}

/**
 * Digital value WFDB reserves for "no sample" in each format (wfdb-python turns it into NaN).
 * Format 8 stores differences, so it has none.
 */
export const INVALID_SAMPLE: Record<string, number | undefined> = {
  "8": undefined,
  "16": -32768,
  "24": -8388608,
  "32": -2147483648,
  "61": -32768,
  "80": -128,
  "160": -32768,
  "212": -2048,
  "310": -512,
  "311": -512,
  "508": -128,
  "516": -32768,
  "524": -8388608,
};

/** Digital range each format can store (used by the writer to clip). */
export const FORMAT_RANGE: Record<string, [number, number]> = {
  "8": [-128, 127],
  "16": [-32768, 32767],
  "24": [-8388608, 8388607],
  "32": [-2147483648, 2147483647],
  "61": [-32768, 32767],
  "80": [-128, 127],
  "160": [-32768, 32767],
  "212": [-2048, 2047],
  "310": [-512, 511],
  "311": [-512, 511],
};

/**
 * How many samples of a stream starting at a group boundary are complete in `nbytes` bytes. A packed
 * group cut short still yields the samples whose bits are all present (WFDB files of 310/311/212
 * records often end in the middle of a group).
 */
export function samplesInBytes(fmt: string, nbytes: number): number {
  const l = LAYOUTS[fmt];
  const groups = Math.floor(nbytes / l.bytes);
  const rest = nbytes - groups * l.bytes;
  let extra = 0;
  if (fmt === "212") extra = rest >= 2 ? 1 : 0;
  else if (fmt === "310")
    extra = rest >= 2 ? 1 : 0; // s1 needs the 4th byte, s2 too
  else if (fmt === "311") extra = rest >= 3 ? 2 : rest >= 2 ? 1 : 0;
  return groups * l.samples + extra;
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const sext = (v: number, bits: number): number => (v << (32 - bits)) >> (32 - bits);

/**
 * Decodes `count` samples from `buf`, which starts at a group boundary. Format 8 (first differences)
 * is not handled here: it needs per-signal state, see `decodeFormat8`.
 */
export function decodeSamples(fmt: string, buf: Uint8Array, count: number): Int32Array {
  const decode = DECODERS[fmt];
  if (!decode) throw new Error(`decodeSamples: unsupported format ${fmt}`);
  const out = new Int32Array(count);
  decode(buf, out, count);
  return out;
}

type Decoder = (buf: Uint8Array, out: Int32Array, count: number) => void;

// One small function per format, so that each hot loop is optimised on its own.
const DECODERS: Record<string, Decoder> = {
  "16": (buf, out, count) => {
    // Little-endian hosts can view the bytes as int16 and let the engine widen them natively.
    if (LITTLE_ENDIAN_HOST && buf.byteOffset % 2 === 0) {
      out.set(new Int16Array(buf.buffer, buf.byteOffset, count));
      return;
    }
    for (let i = 0, j = 0; i < count; i++, j += 2)
      out[i] = ((buf[j] | (buf[j + 1] << 8)) << 16) >> 16;
  },
  "61": (buf, out, count) => {
    for (let i = 0, j = 0; i < count; i++, j += 2)
      out[i] = (((buf[j] << 8) | buf[j + 1]) << 16) >> 16;
  },
  "160": (buf, out, count) => {
    for (let i = 0, j = 0; i < count; i++, j += 2) out[i] = (buf[j] | (buf[j + 1] << 8)) - 32768;
  },
  "80": (buf, out, count) => {
    for (let i = 0; i < count; i++) out[i] = buf[i] - 128;
  },
  "24": (buf, out, count) => {
    for (let i = 0, j = 0; i < count; i++, j += 3) {
      out[i] = ((buf[j] | (buf[j + 1] << 8) | (buf[j + 2] << 16)) << 8) >> 8;
    }
  },
  "32": (buf, out, count) => {
    for (let i = 0, j = 0; i < count; i++, j += 4) {
      out[i] = buf[j] | (buf[j + 1] << 8) | (buf[j + 2] << 16) | (buf[j + 3] << 24);
    }
  },
  "212": (buf, out, count) => {
    // Byte 1 holds the high nibbles: low nibble for sample 0, high nibble for sample 1.
    const pairs = count >> 1;
    let j = 0;
    for (let i = 0; i < 2 * pairs; i += 2, j += 3) {
      const mid = buf[j + 1];
      out[i] = ((buf[j] | ((mid & 0x0f) << 8)) << 20) >> 20;
      out[i + 1] = ((buf[j + 2] | ((mid & 0xf0) << 4)) << 20) >> 20;
    }
    if (count & 1) out[count - 1] = ((buf[j] | ((buf[j + 1] & 0x0f) << 8)) << 20) >> 20;
  },
  "310": (buf, out, count) => {
    // Two little-endian 16-bit words; samples 0 and 1 in bits 1-10 of each word, sample 2 made of
    // the top 5 bits of word 0 (low half) and of word 1 (high half).
    for (let i = 0, j = 0; i < count; i += 3, j += 4) {
      const w0 = buf[j] | (buf[j + 1] << 8);
      const w1 = buf[j + 2] | (buf[j + 3] << 8);
      out[i] = sext((w0 >> 1) & 0x3ff, 10);
      if (i + 1 < count) out[i + 1] = sext((w1 >> 1) & 0x3ff, 10);
      if (i + 2 < count) out[i + 2] = sext(((w0 >> 11) & 0x1f) | (((w1 >> 11) & 0x1f) << 5), 10);
    }
  },
  "311": (buf, out, count) => {
    // One little-endian 32-bit word holding three 10-bit samples from the low bits up.
    for (let i = 0, j = 0; i < count; i += 3, j += 4) {
      const w = (buf[j] | (buf[j + 1] << 8) | (buf[j + 2] << 16) | (buf[j + 3] << 24)) >>> 0;
      out[i] = sext(w & 0x3ff, 10);
      if (i + 1 < count) out[i + 1] = sext((w >>> 10) & 0x3ff, 10);
      if (i + 2 < count) out[i + 2] = sext((w >>> 20) & 0x3ff, 10);
    }
  },
};

/**
 * Format 8 stores each sample as a signed 8-bit difference from the previous sample of the same
 * signal, starting from the header's initial value. `owner[k]` is the in-file signal index of flat
 * sample k of a frame; `init` the initial value per in-file signal.
 */
export function decodeFormat8(
  buf: Uint8Array,
  count: number,
  owner: Int32Array,
  init: number[],
): Int32Array {
  const out = new Int32Array(count);
  const acc = init.slice();
  const tspf = owner.length;
  for (let i = 0; i < count; i++) {
    const s = owner[i % tspf];
    acc[s] += (buf[i] << 24) >> 24;
    out[i] = acc[s];
  }
  return out;
}

/** Encodes a flat sample stream (values already clipped to the format's range). */
export function encodeSamples(
  fmt: string,
  values: Int32Array,
  owner?: Int32Array,
  init?: number[],
): Uint8Array {
  const n = values.length;
  const l = LAYOUTS[fmt];
  if (!l) throw new Error(`encodeSamples: unsupported format ${fmt}`);
  const groups = Math.ceil(n / l.samples);
  // Packed formats end with the bytes the last partial group needs, as WFDB writers do.
  const out = new Uint8Array(groups * l.bytes);
  const v = (i: number): number => (i < n ? values[i] : 0);
  switch (fmt) {
    case "16":
    case "160":
      for (let i = 0; i < n; i++) {
        const x = fmt === "160" ? values[i] + 32768 : values[i];
        out[2 * i] = x & 0xff;
        out[2 * i + 1] = (x >> 8) & 0xff;
      }
      break;
    case "61":
      for (let i = 0; i < n; i++) {
        out[2 * i] = (values[i] >> 8) & 0xff;
        out[2 * i + 1] = values[i] & 0xff;
      }
      break;
    case "80":
      for (let i = 0; i < n; i++) out[i] = (values[i] + 128) & 0xff;
      break;
    case "8": {
      if (!owner || !init) throw new Error("encodeSamples: format 8 needs owner and init");
      const acc = init.slice();
      for (let i = 0; i < n; i++) {
        const s = owner[i % owner.length];
        const d = Math.max(-128, Math.min(127, values[i] - acc[s]));
        acc[s] += d;
        out[i] = d & 0xff;
      }
      break;
    }
    case "24":
      for (let i = 0; i < n; i++) {
        out[3 * i] = values[i] & 0xff;
        out[3 * i + 1] = (values[i] >> 8) & 0xff;
        out[3 * i + 2] = (values[i] >> 16) & 0xff;
      }
      break;
    case "32":
      for (let i = 0; i < n; i++) {
        for (let b = 0; b < 4; b++) out[4 * i + b] = (values[i] >>> (8 * b)) & 0xff;
      }
      break;
    case "212":
      for (let g = 0; g < groups; g++) {
        const a = v(2 * g) & 0xfff;
        const b = v(2 * g + 1) & 0xfff;
        out[3 * g] = a & 0xff;
        out[3 * g + 1] = ((a >> 8) & 0x0f) | ((b >> 4) & 0xf0);
        out[3 * g + 2] = b & 0xff;
      }
      break;
    case "310":
      for (let g = 0; g < groups; g++) {
        const a = v(3 * g) & 0x3ff;
        const b = v(3 * g + 1) & 0x3ff;
        const c = v(3 * g + 2) & 0x3ff;
        const w0 = (a << 1) | ((c & 0x1f) << 11);
        const w1 = (b << 1) | ((c >> 5) << 11);
        out[4 * g] = w0 & 0xff;
        out[4 * g + 1] = (w0 >> 8) & 0xff;
        out[4 * g + 2] = w1 & 0xff;
        out[4 * g + 3] = (w1 >> 8) & 0xff;
      }
      break;
    case "311":
      for (let g = 0; g < groups; g++) {
        const w =
          (v(3 * g) & 0x3ff) | ((v(3 * g + 1) & 0x3ff) << 10) | ((v(3 * g + 2) & 0x3ff) << 20);
        for (let b = 0; b < 4; b++) out[4 * g + b] = (w >>> (8 * b)) & 0xff;
      }
      break;
  }
  // Trim the trailing bytes of a partial group that hold no sample bit.
  const rem = n % l.samples;
  if (rem === 0) return out;
  const keep = fmt === "212" || rem === 1 ? 2 : fmt === "310" ? 4 : 3;
  return out.subarray(0, (groups - 1) * l.bytes + keep);
}
