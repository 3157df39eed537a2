import { ParameterError } from "../../errors.js";

/**
 * Entries of the given strat_folds, in dataset order; every entry when `folds` is undefined.
 * `parameter` names the folds' parameter and `where` the dataset in the one-line errors.
 */
export function entriesInFolds<E extends { fold?: number }>(
  entries: E[],
  folds: number[] | undefined,
  parameter = "folds",
  where = "the dataset",
): E[] {
  if (!folds) return entries;
  if (entries.length && entries.every((e) => e.fold === undefined)) {
    throw new ParameterError(parameter, `${where} has no folds (omit it to use every record)`);
  }
  const set = new Set(folds);
  const out = entries.filter((e) => e.fold !== undefined && set.has(e.fold));
  if (!out.length) {
    throw new ParameterError(parameter, `no record of ${where} is in fold(s) ${folds.join(",")}`);
  }
  return out;
}
