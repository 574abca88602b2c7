// Owns how shadowctl talks gRPC: unary calls as promised outcome values, and the one
// mapping from a gRPC status to the single error line the user sees.
import {
  type CallOptions,
  type Client,
  type ClientReadableStream,
  Metadata,
  type ServiceError,
  status,
} from "@grpc/grpc-js";

/** The result of one call: the response, or the gRPC error (never thrown). */
export type RpcOutcome<T> = { ok: true; value: T } | { ok: false; error: ServiceError };

/** A unary method of a ts-proto service definition (e.g. `AdminService.getUser`). */
export interface UnaryMethod<Req, Res> {
  path: string;
  requestStream: false;
  responseStream: false;
  requestSerialize(value: Req): Buffer;
  responseDeserialize(value: Buffer): Res;
}

/**
 * Call one unary method on `client`'s channel and resolve with its outcome, typed by the
 * service definition: `callMethod(admin, AdminService.getUser, { name }, options)`.
 */
export function callMethod<Req, Res>(
  client: Client,
  method: UnaryMethod<Req, Res>,
  request: Req,
  options: Partial<CallOptions>,
): Promise<RpcOutcome<Res>> {
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      method.path,
      method.requestSerialize,
      method.responseDeserialize,
      request,
      new Metadata(),
      options,
      (error: ServiceError | null, response?: Res) => {
        if (error !== null) resolve({ ok: false, error });
        else if (response === undefined) resolve({ ok: false, error: missingResponse(method.path) });
        else resolve({ ok: true, value: response });
      },
    );
  });
}

/** What the failed call was about, for the error line. */
export interface FailureSubject {
  /** What failed, e.g. "cannot add user 'alice'". */
  action: string;
  /** The socket the call went to. */
  socket: string;
  /** The user the call named; NOT_FOUND then reads "user 'X' does not exist". */
  user?: string;
}

/**
 * The one line (without the `shadowctl: ` prefix) that explains a failed call:
 * UNAVAILABLE before a connection → the daemon is not reachable; NOT_FOUND for a user →
 * it does not exist; anything else → the action and the server's details.
 */
export function describeRpcFailure(error: Pick<ServiceError, "code" | "details">, subject: FailureSubject): string {
  const details = error.details.trim();
  switch (error.code) {
    case status.UNAVAILABLE:
      if (/EACCES|EPERM/.test(details)) {
        return `cannot reach shadowd at ${subject.socket}: permission denied (run shadowctl as a user who may open it)`;
      }
      if (isConnectionFailure(details)) {
        return `cannot reach shadowd at ${subject.socket}: is the daemon running?`;
      }
      return `${subject.action}: shadowd is unavailable: ${details || "try again later"}`;
    case status.NOT_FOUND:
      return subject.user === undefined
        ? `${subject.action}: ${details || "not found"}`
        : `user '${subject.user}' does not exist`;
    case status.DEADLINE_EXCEEDED:
      return `${subject.action}: shadowd did not answer in time (${subject.socket})`;
    case status.UNIMPLEMENTED:
    case status.PERMISSION_DENIED:
      // Admin called on the auth socket: grpc-js itself answers "does not implement the method".
      if (error.code === status.PERMISSION_DENIED || /does not implement the method/.test(details)) {
        return `${subject.action}: ${details || statusName(error.code)} (is ${subject.socket} shadowd's admin socket?)`;
      }
      return `${subject.action}: ${details || statusName(error.code)}`;
    case status.RESOURCE_EXHAUSTED:
      return `${subject.action}: shadowd is overloaded: ${details || "try again later"}`;
    default:
      return `${subject.action}: ${details || statusName(error.code)}`;
  }
}

/** grpc-js reports a failed connect as UNAVAILABLE "No connection established ...". */
function isConnectionFailure(details: string): boolean {
  return /No connection established|ENOENT|ECONNREFUSED|ENOTSOCK|failed to connect|Connection dropped/i.test(details);
}

function missingResponse(path: string): ServiceError {
  const details = `${path} answered without a response`;
  return Object.assign(new Error(details), { code: status.INTERNAL, details, metadata: new Metadata() });
}

function statusName(code: number): string {
  const name = status[code];
  return typeof name === "string" ? name : `gRPC status ${code}`;
}

/** Print the error line for a failed call on standard error and return exit status 1. */
export function reportRpcFailure(
  stderr: { write(chunk: string): boolean },
  error: Pick<ServiceError, "code" | "details">,
  subject: FailureSubject,
): number {
  stderr.write(`shadowctl: ${describeRpcFailure(error, subject)}\n`);
  return 1;
}

/**
 * Consume a server stream, handing each message to `onMessage` as it arrives (so a long
 * listing is printed while it streams), and resolve with the stream's outcome.
 */
export function consumeStream<T>(stream: ClientReadableStream<T>, onMessage: (message: T) => void): Promise<RpcOutcome<void>> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (outcome: RpcOutcome<void>): void => {
      if (settled) return;
      settled = true;
      resolve(outcome);
    };
    stream.on("data", (message: T) => {
      if (!settled) onMessage(message);
    });
    stream.on("error", (error: ServiceError) => settle({ ok: false, error }));
    stream.on("end", () => settle({ ok: true, value: undefined }));
  });
}
