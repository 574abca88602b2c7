// Chain 2: curl (POP3) → Dovecot (passdb pam, docs/dovecot.md) → libpam → pam_exec → the
// shim → shadowd. Dovecot runs privately (its own config, directories and loopback port).
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as path from "node:path";
import type { TestDaemon } from "../helpers/daemon";
import { PASSWORD, USERS, WRONG_PASSWORD, startChainDaemon, disposeChainDaemon } from "./helpers/accounts";
import { startDovecot, type DovecotInstance } from "./helpers/dovecot";
import { PAM_MAIL_SERVICE, PAM_PROTOCOL_SERVICE, testSubstitutions } from "./helpers/mail-configs";
import { NODE, SHIM, installPamService, instantiate, makeWorkDir, missingRequirements, removeWorkDir, run, uniquePamServiceName, type PamService } from "./helpers/stack";

// The postfix user owns Dovecot's SASL listener for Postfix (the same documented config).
const skip = missingRequirements("Dovecot POP3", ["dovecot", "curl", "postfix"]) ?? false;

describe("Dovecot POP3 through passdb pam and the shim", { skip }, () => {
  let daemon: TestDaemon | undefined;
  const services: PamService[] = [];
  let dovecot: DovecotInstance | undefined;
  let workDir = "";

  before(async () => {
    workDir = makeWorkDir("dovecot");
    daemon = await startChainDaemon();
    const name = uniquePamServiceName();
    services.push(installPamService(name, instantiate(PAM_MAIL_SERVICE, testSubstitutions({ socket: daemon.authSocket, pamService: name, shim: SHIM, node: NODE }))));
    // Dovecot's PAM service is the protocol: NAME-pop3 here, as /etc/pam.d/pop3 in production.
    services.push(installPamService(`${name}-pop3`, instantiate(PAM_PROTOCOL_SERVICE, testSubstitutions({ pamService: name }))));
    dovecot = await startDovecot({ workDir, pamService: name, postfixQueue: path.join(workDir, "postfix-queue") });
  });

  after(async () => {
    try {
      await dovecot?.stop();
      for (const service of services) service.remove();
      await disposeChainDaemon(daemon);
      const log = dovecot?.log() ?? "";
      for (const secret of [PASSWORD, WRONG_PASSWORD]) assert.ok(!log.includes(secret), "Dovecot's log does not show the password");
    } finally {
      if (workDir !== "") removeWorkDir(workDir);
    }
  });

  /** One POP3 session: log in (SASL PLAIN, as curl prefers) and list the mailbox. */
  async function pop3Login(user: string, password: string): Promise<{ code: number; transcript: string }> {
    const result = await run("/usr/bin/curl", ["--silent", "--show-error", "--verbose", "--max-time", "30", `pop3://127.0.0.1:${dovecot!.pop3Port}/`, "--user", `${user}:${password}`]);
    return { code: result.code, transcript: result.stderr };
  }

  const cases: Array<{ name: string; user: string; password: string; accepted: boolean }> = [
    { name: "the right password is accepted", user: USERS.good, password: PASSWORD, accepted: true },
    { name: "a wrong password is refused", user: USERS.good, password: WRONG_PASSWORD, accepted: false },
    { name: "an unknown user is refused", user: USERS.unknown, password: PASSWORD, accepted: false },
    { name: "an expired account is refused", user: USERS.expired, password: PASSWORD, accepted: false },
    { name: "a locked account is refused", user: USERS.locked, password: PASSWORD, accepted: false },
    { name: "inside the warning period the login passes (Dovecot drops PAM messages)", user: USERS.warned, password: PASSWORD, accepted: true },
    { name: "a name in capitals is lower-cased by Dovecot and accepted", user: USERS.good.toUpperCase(), password: PASSWORD, accepted: true },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const login = await pop3Login(c.user, c.password);
      if (c.accepted) {
        assert.equal(login.code, 0, login.transcript);
        assert.match(login.transcript, /^< \+OK Logged in\.\r?$/m);
      } else {
        assert.equal(login.code, 67, `curl: login denied\n${login.transcript}`);
        assert.match(login.transcript, /^< -ERR \[AUTH\] Authentication failed\.\r?$/m);
      }
    });
  }

  it("logs the refusals as pam_authenticate() failures (pam_exec's PAM_SYSTEM_ERR)", () => {
    assert.match(dovecot!.log(), /pam\(alice,127\.0\.0\.1,[^)]*\): pam_authenticate\(\) failed: System error/);
  });

  it("passes the protocol's PAM service and the client address on to shadowd", () => {
    const logins = daemon!
      .log()
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as { msg?: string; user?: string; service?: string; rhost?: string; result?: string })
      .filter((entry) => entry.msg === "authenticate" && entry.user === USERS.good);
    assert.ok(logins.length > 0, "shadowd logged the logins");
    for (const login of logins) assert.deepEqual([login.service, login.rhost], [services[1]!.name, "127.0.0.1"]);
  });

  it("refuses the right password once shadowd has stopped", async () => {
    assert.equal(await daemon!.stop(), 0);
    const login = await pop3Login(USERS.good, PASSWORD);
    assert.equal(login.code, 67, login.transcript);
    assert.match(login.transcript, /^< -ERR \[AUTH\] Authentication failed\.\r?$/m);
  });
});
