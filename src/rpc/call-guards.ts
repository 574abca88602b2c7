// Owns the checks that run before any handler: Admin over TCP only for clients whose verified
// TLS certificate is on the admin list (PERMISSION_DENIED otherwise), and request bytes that
// do not decode as the method's protobuf message answered INVALID_ARGUMENT instead of INTERNAL.
import * as crypto from "node:crypto";
import * as grpc from "@grpc/grpc-js";
import type { AppLogger } from "../app/ports";

const ADMIN_PATH_PREFIX = "/shadowd.v1.Admin/";

/** What a request decoder returns for bytes that are not the method's message. */
export class MalformedRequest {
  constructor(readonly reason: string) {}
}

/**
 * The service definition with every request decoder made total: bytes that fail to decode
 * become a MalformedRequest, which rejectMalformedRequests answers with INVALID_ARGUMENT
 * (grpc-js itself would answer INTERNAL, which API.md keeps for bugs).
 */
export function withTolerantDecoding<S extends grpc.ServiceDefinition>(service: S): S {
  const tolerant: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const [name, method] of Object.entries(service) as Array<[string, grpc.MethodDefinition<unknown, unknown>]>) {
    tolerant[name] = {
      ...method,
      requestDeserialize: (bytes: Buffer): unknown => {
        try {
          return method.requestDeserialize(bytes);
        } catch (error) {
          return new MalformedRequest(error instanceof Error ? error.message : String(error));
        }
      },
    };
  }
  return tolerant as S;
}

/** Ends the call with `code` as soon as the client's metadata arrives: the handler never runs. */
function refuseCall(call: grpc.ServerInterceptingCallInterface, code: grpc.status, details: string): grpc.ServerInterceptingCall {
  return new grpc.ServerInterceptingCall(call, {
    start: (next) => next({ onReceiveMetadata: () => call.sendStatus({ code, details }) }),
  });
}

/** Server interceptor: a MalformedRequest ends the call with INVALID_ARGUMENT. */
export const rejectMalformedRequests: grpc.ServerInterceptor = (method, call) =>
  new grpc.ServerInterceptingCall(call, {
    start: (next) =>
      next({
        onReceiveMessage: (message: unknown, forward: (message: unknown) => void) => {
          if (message instanceof MalformedRequest) {
            call.sendStatus({ code: grpc.status.INVALID_ARGUMENT, details: `${method.path}: the request is not a valid protobuf message (${message.reason})` });
            return;
          }
          forward(message);
        },
      }),
  });

/** The SHA-256 fingerprint (lowercase hex) of the verified client certificate of the call's connection, if any. */
export function clientCertificateFingerprint(call: grpc.ServerInterceptingCallInterface): string | null {
  const raw = call.getAuthContext().sslPeerCertificate?.raw;
  if (raw === undefined || raw.length === 0) return null;
  return crypto.createHash("sha256").update(raw).digest("hex");
}

/**
 * Server interceptor for the TCP listener: Admin methods answer PERMISSION_DENIED unless the
 * connection's client certificate (already verified against --tls-client-ca by the TLS layer)
 * has one of `fingerprints`. Other services pass untouched.
 */
export function createAdminGuard(fingerprints: ReadonlySet<string>, logger: AppLogger): grpc.ServerInterceptor {
  return (method, call) => {
    if (!method.path.startsWith(ADMIN_PATH_PREFIX)) return new grpc.ServerInterceptingCall(call);
    const fingerprint = clientCertificateFingerprint(call);
    if (fingerprint !== null && fingerprints.has(fingerprint)) return new grpc.ServerInterceptingCall(call);
    const why = fingerprint === null ? "the connection has no client certificate" : "the client certificate is not on the admin list (--admin-client-fingerprint)";
    logger.warn({ method: method.path, peer: call.getPeer(), clientCertificate: fingerprint }, `admin call refused over TCP: ${why}`);
    return refuseCall(call, grpc.status.PERMISSION_DENIED, `Admin over TCP is refused: ${why}`);
  };
}
