// Owns the one translation from errors to gRPC statuses. RpcError passes through as is;
// app and storage errors map to their codes; anything else is a bug: logged with its
// stack and sent as INTERNAL with a fixed text.
import { status, Metadata, type ServiceError } from "@grpc/grpc-js";
import { InvalidRequestError, PreconditionError } from "../app/errors";
import { OverloadedError, type AppLogger } from "../app/ports";
import { AlreadyExistsError, NotFoundError } from "../storage/storage";

/** An error with a chosen gRPC status and a message safe to send to the caller. */
export class RpcError extends Error {
  constructor(readonly code: status, details: string) {
    super(details);
    this.name = "RpcError";
  }
}

export const INTERNAL_ERROR_TEXT = "internal error (see the shadowd log)";

/** The status to send for `error`; logs unexpected errors (never request secrets). */
export function toServiceError(error: unknown, logger: AppLogger, method: string): Partial<ServiceError> {
  const make = (code: status, details: string): Partial<ServiceError> => ({ code, details, metadata: new Metadata() });
  if (error instanceof RpcError) return make(error.code, error.message);
  if (error instanceof InvalidRequestError) return make(status.INVALID_ARGUMENT, error.message);
  if (error instanceof PreconditionError) return make(status.FAILED_PRECONDITION, error.message);
  if (error instanceof NotFoundError) return make(status.NOT_FOUND, `user '${error.accountName}' does not exist`);
  if (error instanceof AlreadyExistsError) return make(status.ALREADY_EXISTS, `user '${error.accountName}' already exists`);
  if (error instanceof OverloadedError) return make(status.RESOURCE_EXHAUSTED, error.message);
  const err = error instanceof Error ? error : new Error(String(error));
  logger.error({ method, err: { message: err.message, stack: err.stack, name: err.name } }, "internal error");
  return make(status.INTERNAL, INTERNAL_ERROR_TEXT);
}
