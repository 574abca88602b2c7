// Test hook: a shadowd for the mail-stack chains and the accounts every chain tries (right
// password, warning period, expired, locked, unknown), imported as real shadow lines.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import { startTestDaemon, type TestDaemon } from "../../helpers/daemon";

/** sha512crypt of "Secret123" (from the pam_unix conformance corpus). */
const SHA512_SECRET123 = "$6$gtSaltSHA512abcd$rNc43TYrZFhYzZcsslEwaZmY6yI9GbmENTqTajY6StsdoErqbLarFamFEYEyFQBC74YBflrXfuqITHY/4SOjY0";

export const PASSWORD = "Secret123";
export const WRONG_PASSWORD = "Secret124";

/** Login names (lower case: Dovecot lower-cases names by default). */
export const USERS = {
  /** Usable account, password PASSWORD. */
  good: "alice",
  /** Inside the warning period: 3 days left. */
  warned: "wendy",
  /** Expire date yesterday. */
  expired: "eric",
  /** Hash locked with "!" (usermod -L). */
  locked: "lucy",
  /** Not in shadowd at all. */
  unknown: "ghost",
} as const;

/** pam_unix's texts for these accounts. */
export const MESSAGES = {
  warning: "Warning: your password will expire in 3 days.",
  expired: "Your account has expired; please contact your system administrator.",
} as const;

/**
 * Start shadowd on a temporary state directory with the chain accounts. The per-address
 * failure delay is off (Dovecot in front has its own, and it would slow the cases down).
 */
export async function startChainDaemon(): Promise<TestDaemon> {
  const daemon = await startTestDaemon({ env: { SHADOWD_PENALTY_MAX_MS: "0" } });
  const today = Math.floor(Date.now() / 86_400_000);
  const passwd = [
    `${USERS.good}:x:1001:1001:Alice:/home/${USERS.good}:/bin/sh`,
    `${USERS.warned}:x:1002:1002:Wendy:/home/${USERS.warned}:/bin/sh`,
    `${USERS.expired}:x:1003:1003:Eric:/home/${USERS.expired}:/bin/sh`,
    `${USERS.locked}:x:1004:1004:Lucy:/home/${USERS.locked}:/bin/sh`,
    "",
  ].join("\n");
  const shadow = [
    `${USERS.good}:${SHA512_SECRET123}:${today - 10}:0:99999:7:::`,
    `${USERS.warned}:${SHA512_SECRET123}:${today - 27}:0:30:7:::`,
    `${USERS.expired}:${SHA512_SECRET123}:${today - 10}:0:99999:7::${today - 1}:`,
    `${USERS.locked}:!${SHA512_SECRET123}:${today - 10}:0:99999:7:::`,
    "",
  ].join("\n");
  const report = await daemon.importText(passwd, shadow);
  assert.deepEqual(report.problems, [], "the chain accounts import cleanly");
  assert.equal(report.created, 4);
  return daemon;
}

/** Stop a chain daemon (if still running) and remove its state directory; returns its exit code. */
export async function disposeChainDaemon(daemon: TestDaemon | undefined): Promise<number | null> {
  if (daemon === undefined) return null;
  const code = await daemon.stop();
  fs.rmSync(daemon.stateDir, { recursive: true, force: true });
  return code;
}
