// Owns the adapters from async handlers to grpc-js's callback API, for unary, client-stream
// and server-stream calls. Every error leaves through toServiceError, and nowhere else.
import type {
  handleUnaryCall,
  handleClientStreamingCall,
  handleServerStreamingCall,
  ServerReadableStream,
  ServerWritableStream,
  ServerUnaryCall,
} from "@grpc/grpc-js";
import type { AppLogger } from "../app/ports";
import { status } from "@grpc/grpc-js";
import { toServiceError, RpcError } from "./errors";

export interface CallContext {
  /** The fully-qualified method name, for logs. */
  method: string;
  /** The peer (a unix socket path or an address). */
  peer: string;
  /** Resolved when the client cancels or the deadline passes. */
  cancelled: () => boolean;
}

function contextOf(call: ServerUnaryCall<unknown, unknown> | ServerReadableStream<unknown, unknown> | ServerWritableStream<unknown, unknown>, method: string): CallContext {
  return { method, peer: call.getPeer(), cancelled: () => call.cancelled };
}

export function unary<Req, Res>(logger: AppLogger, method: string, handler: (request: Req, ctx: CallContext) => Promise<Res>): handleUnaryCall<Req, Res> {
  return (call, callback) => {
    handler(call.request, contextOf(call as ServerUnaryCall<unknown, unknown>, method)).then(
      (response) => callback(null, response),
      (error: unknown) => callback(toServiceError(error, logger, method), null),
    );
  };
}

/**
 * The messages of a client stream, ending only on a real half-close. grpc-js reports a
 * client's cancel (or a killed client) as a plain end of the stream and flags the
 * cancellation a moment later (measured: up to ~7 ms on a loaded 2-core machine), so the
 * end is held back for CANCEL_GRACE_MS: a cancelled stream then throws instead of looking
 * complete, and nothing half-sent is applied. Costs one grace period per import.
 */
const CANCEL_GRACE_MS = 200;

async function* messagesUntilHalfClose<Req>(call: ServerReadableStream<Req, unknown>, method: string): AsyncGenerator<Req> {
  try {
    for await (const message of call as AsyncIterable<Req>) yield message;
  } catch (error) {
    // The call was ended under the reader (a status already sent, e.g. INVALID_ARGUMENT for
    // an undecodable message, or a reset connection): a premature close, not a bug.
    if (call.cancelled) throw new RpcError(status.CANCELLED, `${method}: the stream ended before its half-close; nothing was applied`);
    throw error;
  }
  const settled = await new Promise<boolean>((resolve) => {
    if (call.cancelled) return resolve(true);
    const timer = setTimeout(() => resolve(call.cancelled), CANCEL_GRACE_MS);
    call.once("cancelled", () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
  if (settled) throw new RpcError(status.CANCELLED, `${method}: the client cancelled the stream; nothing was applied`);
}

export function clientStream<Req, Res>(
  logger: AppLogger,
  method: string,
  handler: (messages: AsyncIterable<Req>, ctx: CallContext) => Promise<Res>,
): handleClientStreamingCall<Req, Res> {
  return (call, callback) => {
    handler(messagesUntilHalfClose(call, method), contextOf(call as ServerReadableStream<unknown, unknown>, method)).then(
      (response) => callback(null, response),
      (error: unknown) => callback(toServiceError(error, logger, method), null),
    );
  };
}

export function serverStream<Req, Res>(
  logger: AppLogger,
  method: string,
  handler: (request: Req, write: (message: Res) => Promise<void>, ctx: CallContext) => Promise<void>,
): handleServerStreamingCall<Req, Res> {
  return (call) => {
    const write = (message: Res): Promise<void> =>
      new Promise((resolve) => {
        if (call.write(message)) resolve();
        else call.once("drain", () => resolve());
      });
    handler(call.request, write, contextOf(call as ServerWritableStream<unknown, unknown>, method)).then(
      () => call.end(),
      (error: unknown) => call.emit("error", toServiceError(error, logger, method)),
    );
  };
}
