/** Errors of the HTTP layer and the status every error answers with. */
import {
  EcgFormatError,
  EcgTlcError,
  ModelMismatchError,
  NotFoundError,
  ParameterError,
  UsageError,
} from "../errors.js";

/** An error with an HTTP status, for problems that belong to the request itself. */
export class HttpError extends EcgTlcError {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** HTTP status of an error: the user's fault -> 4xx, ours -> 500. */
export function statusOf(err: unknown): number {
  if (err instanceof HttpError) return err.status;
  if (err instanceof NotFoundError) return 404;
  if (err instanceof UsageError || err instanceof ParameterError || err instanceof EcgFormatError)
    return 400;
  if (err instanceof ModelMismatchError) return 422;
  return 500;
}
