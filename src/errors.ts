/**
 * Typed errors. Every error a user can cause carries a message that names the file (or option)
 * and what is wrong with it, in one line; the CLI prints `ecg-tlc: <message>` and exits non-zero.
 */
export class EcgTlcError extends Error {
  /** Process exit code the CLI uses for this error. */
  readonly exitCode: number = 1;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A file that is not a valid ECG record, header, annotation or signal file. */
export class EcgFormatError extends EcgTlcError {
  constructor(
    readonly file: string,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${problem}`, options);
  }
}

/** A record, dataset or model folder that does not exist where it was asked for. */
export class NotFoundError extends EcgTlcError {}

/** Wrong command-line usage: unknown option, missing argument, bad value. */
export class UsageError extends EcgTlcError {
  override readonly exitCode = 2;
}

/**
 * A library call given a value it cannot use. `parameter` is the option's name as the caller
 * wrote it (`gradcamTap`, `recordScale`); the CLI names its own flag instead (`--gradcam-tap`).
 */
export class ParameterError extends EcgTlcError {
  override readonly exitCode = 2;
  constructor(
    readonly parameter: string,
    readonly problem: string,
    options?: { cause?: unknown },
  ) {
    super(`${parameter}: ${problem}`, options);
  }
}

/** A model folder or explainer that does not fit the input or the other artefact it is used with. */
export class ModelMismatchError extends EcgTlcError {}

/** A required system component (libtorch, chromium, ...) is missing; the message says how to install it. */
export class MissingDependencyError extends EcgTlcError {}

/** Shard outputs that cannot be merged: one missing, twice, partial, or from another run. */
export class ShardError extends EcgTlcError {}

/** A list for a one-line message: the first `max` items, then how many there are in all. */
export function clippedList(items: readonly string[], max = 16): string {
  const shown = items.slice(0, max).map((s) => (s.length > 24 ? `${s.slice(0, 21)}...` : s));
  return items.length > max
    ? `${shown.join(", ")}, ... (${items.length} in all)`
    : shown.join(", ");
}
