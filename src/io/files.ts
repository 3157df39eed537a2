/**
 * Reading whole small files (headers, annotation files, CSV metadata) safely: only regular files
 * (a FIFO or device would block forever), bounded in size, with one-line typed errors.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import { EcgFormatError, NotFoundError } from "../errors.js";

/** Read-only and non-blocking, so that opening a FIFO cannot hang; regular files ignore the flag. */
export const READ_NONBLOCK = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

/** Reads a regular file of at most `maxBytes`; `what` names it in errors ("header file", ...). */
export function readSmallFile(file: string, what: string, maxBytes = 256 * 1024 * 1024): Buffer {
  let fd: number;
  try {
    fd = openSync(file, READ_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new NotFoundError(`${file}: ${what} not found`);
    throw new EcgFormatError(file, `cannot open ${what} (${code ?? "error"})`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new EcgFormatError(file, `${what} is not a regular file`);
    if (st.size > maxBytes) throw new EcgFormatError(file, `${what} too large (${st.size} bytes)`);
    const buf = Buffer.alloc(st.size);
    let got = 0;
    while (got < st.size) {
      const n = readSync(fd, buf, got, st.size - got, got);
      if (n === 0) break;
      got += n;
    }
    return buf.subarray(0, got);
  } catch (err) {
    if (err instanceof EcgFormatError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new EcgFormatError(file, `cannot read ${what} (${code ?? (err as Error).message})`);
  } finally {
    closeSync(fd);
  }
}
