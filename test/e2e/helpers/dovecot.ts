// Test hook: a private Dovecot (`dovecot -F -c FILE`) with docs/dovecot.md's settings (passdb
// pam → the shim, static userdb, auth-worker vsz_limit, Postfix's auth socket) plus private
// directories and a loopback POP3 port; stopped by its PID.
import * as fs from "node:fs";
import * as path from "node:path";
import { DOVECOT_CONF, dovecotTestSettings, testSubstitutions } from "./mail-configs";
import { acceptsConnections, freePort, instantiate, startForeground, waitUntil, type ForegroundDaemon } from "./stack";

/** The static userdb's owner of every mailbox (docs/dovecot.md: vmail, uid and gid 5000). */
export const VMAIL_ID = 5000;

export interface DovecotInstance {
  pop3Port: number;
  /** Postfix's SASL socket (smtpd_sasl_path = private/auth under the queue directory). */
  authSocket: string;
  configFile: string;
  /** Dovecot's own log file. */
  log(): string;
  stop(): Promise<void>;
}

export async function startDovecot(options: { workDir: string; pamService: string; postfixQueue: string }): Promise<DovecotInstance> {
  const pop3Port = await freePort();
  const vmailHome = path.join(options.workDir, "vhosts");
  fs.mkdirSync(vmailHome, { mode: 0o755 });
  fs.chownSync(vmailHome, VMAIL_ID, VMAIL_ID);
  // Postfix creates private/ (0700, postfix) with `postfix check`; a POP3-only test makes it.
  fs.mkdirSync(path.join(options.postfixQueue, "private"), { recursive: true, mode: 0o700 });
  const substitutions = testSubstitutions({ pamService: options.pamService, postfixQueue: options.postfixQueue, vmailHome });
  const configFile = path.join(options.workDir, "dovecot.conf");
  fs.writeFileSync(configFile, `${instantiate(DOVECOT_CONF, substitutions)}\n${dovecotTestSettings({ workDir: options.workDir, pop3Port })}`);
  const logFile = path.join(options.workDir, "dovecot.log");
  const authSocket = path.join(options.postfixQueue, "private/auth");
  const dovecot: ForegroundDaemon = startForeground("/usr/sbin/dovecot", ["-F", "-c", configFile]);
  const log = (): string => (fs.existsSync(logFile) ? fs.readFileSync(logFile, "utf8") : "") + dovecot.output();
  try {
    await waitUntil("dovecot", async () => {
      if (dovecot.exited()) throw new Error(`dovecot exited at start:\n${log()}`);
      return fs.existsSync(authSocket) && (await acceptsConnections(pop3Port));
    }, 20_000, log);
  } catch (error) {
    await dovecot.stop();
    throw error;
  }
  return { pop3Port, authSocket, configFile, log, stop: () => dovecot.stop() };
}
