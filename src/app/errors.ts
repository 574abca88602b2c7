// Owns the errors use cases raise for requests they refuse. rpc/errors.ts turns them (and
// the storage errors) into gRPC statuses; nothing else does.

/** The request is malformed (bad name, oversize field, bad number): INVALID_ARGUMENT. */
export class InvalidRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InvalidRequestError";
  }
}

/** The request is well-formed but the account's state forbids it: FAILED_PRECONDITION. */
export class PreconditionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PreconditionError";
  }
}
