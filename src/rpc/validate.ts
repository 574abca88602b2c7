// Owns the checks of request fields at the wire boundary: what is malformed enough to be
// INVALID_ARGUMENT rather than an outcome. Decisions about accounts stay in app/.
import { status } from "@grpc/grpc-js";
import { RpcError } from "./errors";

/** LOGIN_NAME_MAX on Linux. */
export const MAX_USERNAME_BYTES = 256;
export const MAX_SERVICE_BYTES = 256;
export const MAX_ADDRESS_BYTES = 256;

function invalid(message: string): RpcError {
  return new RpcError(status.INVALID_ARGUMENT, message);
}

/**
 * A user name to look up: not empty, at most 256 bytes, valid UTF-8 (the wire decoder turns
 * broken UTF-8 into U+FFFD), no NUL, control character or ':'.
 */
export function requireUsername(value: string, field = "username"): string {
  if (value === "") throw invalid(`${field} is empty`);
  if (Buffer.byteLength(value) > MAX_USERNAME_BYTES) throw invalid(`${field} is longer than ${MAX_USERNAME_BYTES} bytes`);
  if (value.includes("\uFFFD")) throw invalid(`${field} is not valid UTF-8`);
  if (value.includes("\0")) throw invalid(`${field} contains a NUL byte`);
  if (/[\x01-\x1f\x7f]/.test(value)) throw invalid(`${field} contains a control character`);
  if (value.includes(":")) throw invalid(`${field} contains ':'`);
  return value;
}

/** A short free-text field (service, remote address): bounded, printable. */
export function requireShortText(value: string, field: string, maxBytes: number): string {
  if (Buffer.byteLength(value) > maxBytes) throw invalid(`${field} is longer than ${maxBytes} bytes`);
  if (value.includes("\uFFFD")) throw invalid(`${field} is not valid UTF-8`);
  if (/[\x00-\x1f\x7f]/.test(value)) throw invalid(`${field} contains a control character`);
  return value;
}
