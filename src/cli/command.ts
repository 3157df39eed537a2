import { parseArgs, type ParseArgsConfig } from "node:util";
import { UsageError, type ParameterError } from "../errors.js";

/** One sub-command of the `ecg-tlc` CLI: a thin wrapper over library functions. */
export interface Command {
  name: string;
  /** One line for `ecg-tlc --help`. */
  summary: string;
  /** Full usage text for `ecg-tlc NAME --help`. */
  usage: string;
  /** Runs the command; resolves to the process exit code. */
  run(argv: string[]): Promise<number>;
  /**
   * The flag (or word) naming a library parameter in this command's errors, where it is not the
   * parameter's name in kebab case (`gradcamTap` -> `--gradcam-tap`).
   */
  flags?: Record<string, string>;
}

/** A library's parameter error as the command line says it: the flag, not the parameter. */
export function flagError(command: Pick<Command, "flags">, err: ParameterError): UsageError {
  const kebab = err.parameter.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  const flag = command.flags?.[err.parameter] ?? `--${kebab}`;
  return new UsageError(`${flag}: ${err.problem}`, { cause: err });
}

type Options = NonNullable<ParseArgsConfig["options"]>;
type Parsed<O extends Options> = ReturnType<
  typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>
>;

/** `util.parseArgs` that turns parse failures into a one-line UsageError naming the command. */
export function parseCommandArgs<O extends Options>(
  command: string,
  argv: string[],
  options: O,
): Parsed<O> {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(`${command}: ${(err as Error).message} (see 'ecg-tlc ${command} --help')`);
  }
}

/** Parses a fold list such as "1-8", "9" or "1,3,5-7" into sorted unique integers. */
export function parseFolds(spec: string, option = "--folds"): number[] {
  const out = new Set<number>();
  for (const part of spec.split(",")) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (!m) throw new UsageError(`${option}: expected folds like 1-8 or 1,3,9, got '${spec}'`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a) throw new UsageError(`${option}: empty range '${part}' in '${spec}'`);
    for (let f = a; f <= b; f++) out.add(f);
  }
  return [...out].sort((x, y) => x - y);
}

/** Parses a list of cluster counts ("2-20", "4,6,8"), each at least 2. */
export function parseKs(spec: string, option = "--by-k"): number[] {
  const ks = parseFolds(spec, option);
  if (ks.some((k) => k < 2)) throw new UsageError(`${option}: K must be at least 2, got '${spec}'`);
  return ks;
}

/** Parses a numeric option, with a clear error naming the option. */
export function parseNumber(
  value: string | undefined,
  option: string,
  fallback: number,
  { integer = false, min = -Infinity, max = Infinity } = {},
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min || n > max) {
    const kind = integer ? "an integer" : "a number";
    const range =
      min > -Infinity || max < Infinity ? ` in [${min}, ${max === Infinity ? "inf" : max}]` : "";
    throw new UsageError(`${option}: expected ${kind}${range}, got '${value}'`);
  }
  return n;
}

/**
 * A number option that may be absent: undefined then, so the library's own default applies (the
 * command line does not restate it).
 */
export function optionalNumber(
  value: string | undefined,
  option: string,
  range: { integer?: boolean; min?: number; max?: number } = {},
): number | undefined {
  return value === undefined ? undefined : parseNumber(value, option, 0, range);
}

/** Writes one JSON object per line to stdout (JSON Lines), respecting back-pressure. */
export async function writeJsonLine(value: unknown): Promise<void> {
  const line = JSON.stringify(value) + "\n";
  if (!process.stdout.write(line)) {
    await new Promise<void>((resolve) => process.stdout.once("drain", () => resolve()));
  }
}
