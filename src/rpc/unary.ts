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
import { toServiceError } from "./errors";

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

export function clientStream<Req, Res>(
  logger: AppLogger,
  method: string,
  handler: (messages: AsyncIterable<Req>, ctx: CallContext) => Promise<Res>,
): handleClientStreamingCall<Req, Res> {
  return (call, callback) => {
    handler(call as AsyncIterable<Req>, contextOf(call as ServerReadableStream<unknown, unknown>, method)).then(
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
