/**
 * NumPy `.npy` files (format version 1.0, little-endian, C order), so that composite features and
 * assignments can be opened with `numpy.load` in Python or `RcppCNpy`/`reticulate` in R.
 */
import { closeSync, openSync, readFileSync, readSync, renameSync, writeSync } from "node:fs";
import { EcgFormatError } from "../errors.js";

export type NpyData = Float32Array | Int32Array | Uint8Array;

const DESCR: Record<string, string> = {
  Float32Array: "<f4",
  Int32Array: "<i4",
  Uint8Array: "|u1",
};

/**
 * The 10-byte preamble plus the header dict, padded with spaces so the data starts at a multiple
 * of 64 (or at exactly `fixed` bytes, for a header rewritten once the row count is known).
 */
function npyHeader(descr: string, shape: number[], fixed = 0): Buffer {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const unpadded = 10 + dict.length + 1;
  const total = fixed || Math.ceil(unpadded / 64) * 64;
  if (unpadded > total) throw new RangeError("npy header does not fit its reserved space");
  if (total - 10 > 0xffff) throw new RangeError("npy header too long for format 1.0");
  const header = Buffer.alloc(total, 0x20);
  header.write("\x93NUMPY", 0, "latin1");
  header[6] = 1;
  header[7] = 0;
  header.writeUInt16LE(total - 10, 8);
  header.write(dict, 10, "latin1");
  header[total - 1] = 0x0a;
  return header;
}

/**
 * Writes `data` with the given shape as a `.npy` file, atomically (temporary file then rename).
 * Typed arrays are little-endian on every platform Node runs on, so the bytes are written as is.
 */
export function writeNpy(path: string, data: NpyData, shape: number[]): void {
  const descr = DESCR[data.constructor.name];
  if (!descr)
    throw new TypeError("writeNpy: data must be a Float32Array, Int32Array or Uint8Array");
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) {
    throw new RangeError(
      `writeNpy: shape [${shape.join(", ")}] does not hold ${data.length} values`,
    );
  }
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, "w");
  try {
    writeSync(fd, npyHeader(descr, shape));
    const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    // Written in pieces: a single write of more than 2 GB fails on Linux.
    const piece = 1 << 28;
    for (let o = 0; o < bytes.length; o += piece) {
      writeSync(fd, bytes.subarray(o, Math.min(bytes.length, o + piece)));
    }
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/**
 * Writes a `.npy` file row block by row block, for arrays larger than memory: the header is
 * rewritten with the final row count on close(), then the file is renamed into place.
 */
export class NpyWriter {
  private readonly fd: number;
  private readonly tmp: string;
  private rows = 0;
  private static readonly HEADER = 128;

  constructor(
    readonly path: string,
    private readonly dtype: "float32" | "int32",
    readonly rowShape: number[],
  ) {
    this.tmp = `${path}.tmp-${process.pid}`;
    this.fd = openSync(this.tmp, "w");
    writeSync(this.fd, Buffer.alloc(NpyWriter.HEADER, 0x20));
  }

  private get rowSize(): number {
    return this.rowShape.reduce((a, b) => a * b, 1);
  }

  /** Appends whole rows (their count is data.length / the row size). */
  append(data: Float32Array | Int32Array): void {
    if (data.length % this.rowSize !== 0) throw new RangeError("NpyWriter: partial row appended");
    writeSync(this.fd, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    this.rows += data.length / this.rowSize;
  }

  get count(): number {
    return this.rows;
  }

  close(): void {
    const descr = this.dtype === "float32" ? "<f4" : "<i4";
    writeSync(
      this.fd,
      npyHeader(descr, [this.rows, ...this.rowShape], NpyWriter.HEADER),
      0,
      NpyWriter.HEADER,
      0,
    );
    closeSync(this.fd);
    renameSync(this.tmp, this.path);
  }
}

/** The header of a `.npy` file at the start of `buf` (at least its first 12 bytes + header). */
function parseNpyHeader(
  path: string,
  buf: Buffer,
): { descr: string; shape: number[]; offset: number } {
  if (buf.length < 10 || buf.toString("latin1", 0, 6) !== "\x93NUMPY") {
    throw new EcgFormatError(path, "not a .npy file (magic string missing)");
  }
  const major = buf[6];
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const dict = buf.toString("latin1", start, start + headerLen);
  const descr = /'descr':\s*'([^']+)'/.exec(dict)?.[1];
  const fortran = /'fortran_order':\s*True/.test(dict);
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(dict)?.[1];
  if (!descr || shapeText === undefined) throw new EcgFormatError(path, "unreadable .npy header");
  if (fortran) throw new EcgFormatError(path, "Fortran-ordered .npy arrays are not supported");
  const shape = shapeText
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(Number);
  return { descr, shape, offset: start + headerLen };
}

/** Reads a `.npy` file of '<f4', '<i4' or '|u1' values in C order (what writeNpy writes). */
export function readNpy(path: string): { data: NpyData; shape: number[] } {
  const buf = readFileSync(path);
  const { descr, shape, offset } = parseNpyHeader(path, buf);
  const count = shape.reduce((a, b) => a * b, 1);
  const bytes = buf.subarray(offset);
  const copy = (size: number) => {
    if (bytes.length < count * size) throw new EcgFormatError(path, "truncated .npy data");
    const out = new ArrayBuffer(count * size);
    new Uint8Array(out).set(bytes.subarray(0, count * size));
    return out;
  };
  if (descr === "<f4") return { data: new Float32Array(copy(4)), shape };
  if (descr === "<i4") return { data: new Int32Array(copy(4)), shape };
  if (descr === "|u1") return { data: new Uint8Array(copy(1)), shape };
  throw new EcgFormatError(path, `unsupported .npy dtype '${descr}' (expected <f4, <i4 or |u1)`);
}

/**
 * Rows [first, first + count) of a float32 .npy array (rows x ...), read alone: a part of a
 * large file without holding all of it.
 */
export function readNpyRows(
  path: string,
  first: number,
  count: number,
): { data: Float32Array; shape: number[] } {
  const fd = openSync(path, "r");
  try {
    const pre = Buffer.alloc(12);
    readSync(fd, pre, 0, 12, 0);
    const len = pre[6] === 1 ? 10 + pre.readUInt16LE(8) : 12 + pre.readUInt32LE(8);
    const head = Buffer.alloc(len);
    readSync(fd, head, 0, len, 0);
    const { descr, shape, offset } = parseNpyHeader(path, head);
    if (descr !== "<f4") throw new EcgFormatError(path, `expected float32 (<f4), got '${descr}'`);
    const row = shape.slice(1).reduce((a, b) => a * b, 1);
    if (first < 0 || first + count > (shape[0] ?? 0))
      throw new EcgFormatError(path, `rows ${first}-${first + count} of ${shape[0] ?? 0}`);
    const out = new Float32Array(count * row);
    const bytes = new Uint8Array(out.buffer);
    for (let got = 0; got < bytes.length;) {
      const n = readSync(fd, bytes, got, bytes.length - got, offset + first * row * 4 + got);
      if (n === 0) throw new EcgFormatError(path, "truncated .npy data");
      got += n;
    }
    return { data: out, shape };
  } finally {
    closeSync(fd);
  }
}
