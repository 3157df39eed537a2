/**
 * One WFDB signal file: the frames of the signals it holds, read by byte ranges so that
 * `sampfrom`/`sampto` touch only the bytes they need (format 8 excepted: its differences must be
 * summed from the start of the file).
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { EcgFormatError, NotFoundError } from "../errors.js";
import { READ_NONBLOCK } from "./files.js";
import { decodeFlac } from "./flac.js";

/** WFDB's FLAC-compressed formats: 8-, 16- and 24-bit samples. */
const FLAC_FORMATS = new Set(["508", "516", "524"]);
import { decodeFormat8, decodeSamples, formatLayout, samplesInBytes } from "./formats.js";
import type { WfdbSignalSpec } from "./header.js";
import { matElements, parseMatV4Header, type MatV4Matrix } from "./mat.js";

export class SignalFile {
  readonly fmt: string;
  /** Samples per frame summed over the signals of the file. */
  readonly tspf: number;
  /** Whole frames present in the file. */
  readonly availableFrames: number;
  private readonly fd: number;
  private readonly size: number;
  private readonly byteOffset: number;
  private readonly owner: Int32Array;
  private readonly mat?: MatV4Matrix;
  private readonly flac?: Int32Array[];
  /** Transposed .mat matrix (one row per sample instead of one column per frame). */
  private readonly matTransposed: boolean = false;

  /**
   * @param path signal file
   * @param specs the header's signals stored in this file, in header order
   * @param headerFile header path, for messages
   */
  constructor(
    readonly path: string,
    readonly specs: WfdbSignalSpec[],
    headerFile: string,
    /** Frames the header says the file holds (FLAC files claiming more are refused). */
    maxFrames = Infinity,
  ) {
    const fmts = new Set(specs.map((s) => s.fmt));
    if (fmts.size > 1) {
      throw new EcgFormatError(
        headerFile,
        `signals of ${path} mix formats ${[...fmts].join(", ")}`,
      );
    }
    this.fmt = specs[0].fmt;
    const isFlac = FLAC_FORMATS.has(this.fmt);
    if (!formatLayout(this.fmt) && !isFlac) {
      throw new EcgFormatError(headerFile, `unsupported signal format ${this.fmt}`);
    }
    this.byteOffset = specs[0].byteOffset;
    this.tspf = specs.reduce((a, s) => a + s.samplesPerFrame, 0);
    this.owner = new Int32Array(this.tspf);
    let k = 0;
    specs.forEach((s, i) => {
      for (let j = 0; j < s.samplesPerFrame; j++) this.owner[k++] = i;
    });
    try {
      this.fd = openSync(path, READ_NONBLOCK);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENOENT") {
        throw new NotFoundError(`${path}: signal file not found (named in ${headerFile})`);
      }
      throw new EcgFormatError(path, `cannot open signal file (${code ?? "error"})`);
    }
    try {
      const st = fstatSync(this.fd);
      if (!st.isFile()) throw new EcgFormatError(path, "signal file is not a regular file");
      this.size = st.size;
      if (/\.mat$/i.test(path)) {
        const head = this.readBytes(0, Math.min(this.size, 128));
        const mat = parseMatV4Header(head);
        if (mat) {
          if (mat.rows === this.tspf) this.mat = mat;
          else if (mat.cols === this.tspf) {
            this.mat = mat;
            this.matTransposed = true;
          } else {
            throw new EcgFormatError(
              path,
              `MATLAB matrix '${mat.name}' is ${mat.rows}x${mat.cols}, expected ${this.tspf} rows (one per signal)`,
            );
          }
        }
      }
      if (isFlac) {
        // FLAC has no random access without a seek table: decode the file once, one channel per signal.
        if (this.size > 512 * 1024 * 1024)
          throw new EcgFormatError(path, "FLAC signal file too large");
        const spf = Math.max(...specs.map((x) => x.samplesPerFrame));
        this.flac = decodeFlac(this.readBytes(0, this.size), path, maxFrames * spf);
        if (this.flac.length !== specs.length) {
          throw new EcgFormatError(
            path,
            `FLAC stream has ${this.flac.length} channels, the header ${specs.length} signals`,
          );
        }
        this.availableFrames = Math.min(
          ...this.flac.map((c, i) => Math.floor(c.length / specs[i].samplesPerFrame)),
        );
      } else if (this.mat) {
        const m = this.mat;
        const frames = this.matTransposed ? m.rows : m.cols;
        const needBytes = m.dataOffset + m.rows * m.cols * m.bytesPerElement;
        this.availableFrames =
          this.size >= needBytes
            ? frames
            : this.matTransposed
              ? 0
              : Math.floor((this.size - m.dataOffset) / (m.bytesPerElement * this.tspf));
      } else {
        const avail = Math.max(0, this.size - this.byteOffset);
        this.availableFrames = Math.floor(samplesInBytes(this.fmt, avail) / this.tspf);
      }
    } catch (err) {
      closeSync(this.fd);
      throw err;
    }
  }

  close(): void {
    closeSync(this.fd);
  }

  private readBytes(pos: number, len: number): Uint8Array {
    const buf = new Uint8Array(len);
    let got = 0;
    while (got < len) {
      const n = readSync(this.fd, buf, got, len - got, pos + got);
      if (n === 0) break;
      got += n;
    }
    if (got < len) throw new EcgFormatError(this.path, `short read at byte ${pos + got}`);
    return buf;
  }

  /** Flat samples of frames [from, to), `to <= availableFrames`: (to - from) * tspf values. */
  readFrames(from: number, to: number): Int32Array {
    const count = (to - from) * this.tspf;
    if (count <= 0) return new Int32Array(0);
    if (this.mat) return this.readMatFrames(from, to);
    if (this.flac) {
      const out = new Int32Array(count);
      let off = 0;
      this.flac.forEach((chan, s) => {
        const spf = this.specs[s].samplesPerFrame;
        for (let f = from; f < to; f++) {
          for (let j = 0; j < spf; j++) out[(f - from) * this.tspf + off + j] = chan[f * spf + j];
        }
        off += spf;
      });
      return out;
    }
    const startFlat = from * this.tspf;
    if (this.fmt === "8") {
      const endFlat = to * this.tspf;
      const buf = this.readBytes(this.byteOffset, endFlat);
      const init = this.specs.map((s) => s.initValue);
      return decodeFormat8(buf, endFlat, this.owner, init).subarray(startFlat);
    }
    const l = formatLayout(this.fmt)!;
    const g0 = Math.floor(startFlat / l.samples);
    const skip = startFlat - g0 * l.samples;
    const nGroups = Math.ceil((skip + count) / l.samples);
    const pos = this.byteOffset + g0 * l.bytes;
    const len = Math.min(nGroups * l.bytes, this.size - pos);
    const bytes = this.readBytes(pos, len);
    let buf = bytes;
    if (len < nGroups * l.bytes) {
      // The file ends inside the last group: pad so the decoder can run on whole groups.
      buf = new Uint8Array(nGroups * l.bytes);
      buf.set(bytes);
    }
    return decodeSamples(this.fmt, buf, skip + count).subarray(skip);
  }

  private readMatFrames(from: number, to: number): Int32Array {
    const m = this.mat!;
    if (!this.matTransposed) {
      const count = (to - from) * this.tspf;
      const bytes = this.readBytes(
        m.dataOffset + from * this.tspf * m.bytesPerElement,
        count * m.bytesPerElement,
      );
      return matElements(this.path, m, bytes, count);
    }
    // One column per signal: read each column's range and interleave.
    const out = new Int32Array((to - from) * this.tspf);
    for (let c = 0; c < this.tspf; c++) {
      const pos = m.dataOffset + (c * m.rows + from) * m.bytesPerElement;
      const col = matElements(
        this.path,
        m,
        this.readBytes(pos, (to - from) * m.bytesPerElement),
        to - from,
      );
      for (let f = 0; f < to - from; f++) out[f * this.tspf + c] = col[f];
    }
    return out;
  }
}
