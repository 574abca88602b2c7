// Owns the daemon's logger: pino JSON lines on standard error, with every secret-bearing
// field redacted as a second line of defence (handlers never pass secrets in the first place).
import pino from "pino";
import type { Config } from "./config";

export const REDACTED_PATHS = [
  "password",
  "newPassword",
  "oldPassword",
  "hash",
  "passwordHash",
  "*.password",
  "*.newPassword",
  "*.oldPassword",
  "*.hash",
  "*.passwordHash",
  "request.password",
];

export function createLogger(level: Config["logLevel"]): pino.Logger {
  return pino(
    {
      name: "shadowd",
      level,
      base: { pid: process.pid },
      redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    pino.destination({ fd: 2, sync: false }),
  );
}
