// Owns the event-loop driver of the one-shot gRPC unary call (protocol in http2-unary.ts): the
// bytes go through node:net. The pam_exec shim uses it only when the blocking driver's addon
// cannot be loaded: node:net and its streams cost a fresh process ~5 ms to load and run.
import { connect } from "node:net";
import { DEFAULT_MAX_RESPONSE_BYTES, createUnaryResponseReader, encodeConnectionPreface, encodeUnaryRequest, type UnaryCallOptions, type UnaryOutcome } from "./http2-unary";

/** One unary call on a fresh connection, which is closed when the call settles. */
export function callUnary(options: UnaryCallOptions): Promise<UnaryOutcome> {
  const { socketPath, timeoutMs } = options;
  const reader = createUnaryResponseReader(options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES);
  return new Promise((resolve) => {
    const socket = connect(socketPath);
    let connected = false;
    let settled = false;
    const finish = (outcome: UnaryOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => finish({ kind: "failed", reason: `no answer within ${timeoutMs} ms` }), timeoutMs);
    socket.on("error", (error: NodeJS.ErrnoException) => {
      const cause = error.code ?? error.message;
      finish({ kind: "failed", reason: connected ? `connection to ${socketPath} failed: ${cause}` : `cannot connect to ${socketPath}: ${cause}` });
    });
    socket.on("connect", () => {
      connected = true;
    });
    socket.on("data", (chunk: Buffer) => {
      const { reply, step } = reader.push(chunk);
      if (step.kind === "done") {
        finish(step.outcome);
        return;
      }
      for (const frame of reply) socket.write(frame);
    });
    socket.on("end", () => finish(reader.end()));
    socket.on("close", () => finish(reader.end()));
    // Queued until the socket connects; HTTP/2 lets a client send its request right after the preface.
    socket.write(Buffer.concat([encodeConnectionPreface(), encodeUnaryRequest(options.method, options.request, timeoutMs)]));
  });
}
