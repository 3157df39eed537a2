/**
 * MATLAB v4 matrices, the signal files of the PhysioNet/CinC 2017-2021 challenges. Their WFDB headers
 * say `16x1+24`: format 16 after a 24-byte matrix header, i.e. a 12 x N int16 matrix `val` stored
 * column-major, which is exactly WFDB's frame interleaving. We still parse the matrix header so that
 * a file whose type or shape disagrees with the WFDB header (doubles, NaN, transposed) is read
 * correctly or rejected with a clear message instead of decoded as garbage.
 */
import { EcgFormatError } from "../errors.js";

export type MatType = "double" | "single" | "int32" | "int16" | "uint16" | "uint8";

const TYPES: { type: MatType; bytes: number }[] = [
  { type: "double", bytes: 8 },
  { type: "single", bytes: 4 },
  { type: "int32", bytes: 4 },
  { type: "int16", bytes: 2 },
  { type: "uint16", bytes: 2 },
  { type: "uint8", bytes: 1 },
];

export interface MatV4Matrix {
  name: string;
  type: MatType;
  bytesPerElement: number;
  littleEndian: boolean;
  rows: number;
  cols: number;
  /** Byte offset of the first element. */
  dataOffset: number;
}

/**
 * Parses the 20-byte header and name of the first matrix of a MATLAB v4 file. Returns undefined when
 * the bytes do not look like a v4 matrix at all (the caller then trusts the WFDB header).
 */
export function parseMatV4Header(buf: Uint8Array): MatV4Matrix | undefined {
  if (buf.length < 20) return undefined;
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  for (const littleEndian of [true, false]) {
    const mopt = dv.getInt32(0, littleEndian);
    if (mopt < 0 || mopt > 4052) continue;
    const m = Math.floor(mopt / 1000);
    const o = Math.floor(mopt / 100) % 10;
    const p = Math.floor(mopt / 10) % 10;
    const t = mopt % 10;
    if (m !== (littleEndian ? 0 : 1) || o !== 0 || p > 5 || t !== 0) continue;
    const rows = dv.getInt32(4, littleEndian);
    const cols = dv.getInt32(8, littleEndian);
    const imag = dv.getInt32(12, littleEndian);
    const namelen = dv.getInt32(16, littleEndian);
    if (rows < 0 || cols < 0 || imag !== 0 || namelen < 1 || namelen > 64) continue;
    if (20 + namelen > buf.length) continue;
    let name = "";
    for (let i = 0; i < namelen - 1; i++) name += String.fromCharCode(buf[20 + i]);
    if (buf[20 + namelen - 1] !== 0) continue;
    return {
      name,
      type: TYPES[p].type,
      bytesPerElement: TYPES[p].bytes,
      littleEndian,
      rows,
      cols,
      dataOffset: 20 + namelen,
    };
  }
  return undefined;
}

/**
 * Reads elements [from, to) (column-major order) of a matrix as integers, rejecting NaN and
 * infinities and rounding non-integers (WFDB .mat files hold digital values).
 */
export function matElements(
  file: string,
  mat: MatV4Matrix,
  bytes: Uint8Array,
  count: number,
): Int32Array {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Int32Array(count);
  const le = mat.littleEndian;
  for (let i = 0; i < count; i++) {
    const at = i * mat.bytesPerElement;
    let v: number;
    switch (mat.type) {
      case "double":
        v = dv.getFloat64(at, le);
        break;
      case "single":
        v = dv.getFloat32(at, le);
        break;
      case "int32":
        v = dv.getInt32(at, le);
        break;
      case "int16":
        v = dv.getInt16(at, le);
        break;
      case "uint16":
        v = dv.getUint16(at, le);
        break;
      default:
        v = dv.getUint8(at);
    }
    if (!Number.isFinite(v)) {
      throw new EcgFormatError(
        file,
        `${Number.isNaN(v) ? "NaN" : "infinite value"} in MATLAB matrix '${mat.name}' (element ${i + 1} of the read range)`,
      );
    }
    out[i] = Math.round(v);
  }
  return out;
}
