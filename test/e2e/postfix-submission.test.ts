// Chain 3: swaks → Postfix submission (587, STARTTLS) and smtps (465, implicit TLS) with
// smtpd_sasl_type = dovecot (docs/postfix.md) → Dovecot's auth socket → PAM → the shim →
// shadowd. Postfix runs as a private instance (own config, queue, data directory, log).
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import type { TestDaemon } from "../helpers/daemon";
import { PASSWORD, USERS, WRONG_PASSWORD, startChainDaemon, disposeChainDaemon } from "./helpers/accounts";
import { startDovecot, type DovecotInstance } from "./helpers/dovecot";
import { PAM_MAIL_SERVICE, PAM_PROTOCOL_SERVICE, POSTFIX_MAIN_CF, POSTFIX_MASTER_CF, POSTFIX_TEST_MASTER_CF, postfixTestMainCf, testSubstitutions } from "./helpers/mail-configs";
import { NODE, SHIM, acceptsConnections, freePort, installPamService, instantiate, makeWorkDir, missingRequirements, removeWorkDir, run, startForeground, uniquePamServiceName, waitUntil, type ForegroundDaemon, type PamService } from "./helpers/stack";

const skip = missingRequirements("Postfix submission", ["postfix", "postfix master", "swaks", "openssl", "dovecot"]) ?? false;

describe("Postfix SMTP AUTH through Dovecot's socket, PAM and the shim", { skip }, () => {
  let daemon: TestDaemon | undefined;
  const services: PamService[] = [];
  let dovecot: DovecotInstance | undefined;
  let postfix: ForegroundDaemon | undefined;
  let workDir = "";
  let submissionPort = 0;
  let smtpsPort = 0;
  let postfixLog = "";

  before(async () => {
    workDir = makeWorkDir("postfix");
    const configDir = path.join(workDir, "postfix");
    const queueDir = path.join(workDir, "postfix-queue");
    const dataDir = path.join(workDir, "postfix-data");
    postfixLog = path.join(workDir, "postfix.log");
    for (const dir of [configDir, queueDir, dataDir]) fs.mkdirSync(dir, { mode: 0o755 });
    fs.chownSync(dataDir, uidOf("postfix"), 0);
    const tlsKey = path.join(workDir, "mail.key");
    const tlsCert = path.join(workDir, "mail.pem");
    const cert = await run("/usr/bin/openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", tlsKey, "-out", tlsCert, "-days", "2", "-subj", "/CN=mail.example.test"]);
    assert.equal(cert.code, 0, cert.stderr);

    daemon = await startChainDaemon();
    const name = uniquePamServiceName();
    services.push(installPamService(name, instantiate(PAM_MAIL_SERVICE, testSubstitutions({ socket: daemon.authSocket, pamService: name, shim: SHIM, node: NODE }))));
    // Postfix asks Dovecot with service smtp: Dovecot's PAM service NAME-smtp (/etc/pam.d/smtp).
    services.push(installPamService(`${name}-smtp`, instantiate(PAM_PROTOCOL_SERVICE, testSubstitutions({ pamService: name }))));

    submissionPort = await freePort();
    smtpsPort = await freePort();
    const substitutions = testSubstitutions({ pamService: name, tlsKey, tlsCert });
    fs.writeFileSync(path.join(configDir, "main.cf"), `${postfixTestMainCf({ workDir, queueDir, dataDir })}${instantiate(POSTFIX_MAIN_CF, substitutions)}`);
    const masterServices = instantiate(POSTFIX_MASTER_CF, [
      ["submission inet", `127.0.0.1:${submissionPort} inet`],
      ["smtps     inet", `127.0.0.1:${smtpsPort} inet`],
    ]);
    fs.writeFileSync(path.join(configDir, "master.cf"), `${masterServices}${POSTFIX_TEST_MASTER_CF}`);
    // `postfix check` creates the queue directories (private/ among them) with their owners.
    const check = await run("/usr/sbin/postfix", ["-c", configDir, "check"]);
    assert.equal(check.code, 0, `postfix check failed:\n${check.stderr}${readIfExists(postfixLog)}`);

    dovecot = await startDovecot({ workDir, pamService: name, postfixQueue: queueDir });
    postfix = startForeground("/usr/lib/postfix/sbin/master", ["-c", configDir, "-s"]);
    await waitUntil("postfix", async () => {
      if (postfix!.exited()) throw new Error(`postfix master exited at start:\n${postfix!.output()}${readIfExists(postfixLog)}`);
      return (await acceptsConnections(submissionPort)) && (await acceptsConnections(smtpsPort));
    }, 20_000, () => postfix!.output() + readIfExists(postfixLog));
  });

  after(async () => {
    try {
      await postfix?.stop();
      await dovecot?.stop();
      for (const service of services) service.remove();
      await disposeChainDaemon(daemon);
      const logs = readIfExists(postfixLog) + (dovecot?.log() ?? "");
      for (const secret of [PASSWORD, WRONG_PASSWORD]) assert.ok(!logs.includes(secret), "neither Postfix's nor Dovecot's log shows the password");
    } finally {
      if (workDir !== "") removeWorkDir(workDir);
    }
  });

  type Port = "submission" | "smtps";
  /** One SMTP session up to AUTH: STARTTLS on submission, implicit TLS on smtps. */
  async function smtpAuth(port: Port, mechanism: "PLAIN" | "LOGIN", user: string, password: string, tls = true): Promise<string> {
    const args = ["--server", "127.0.0.1", "--port", String(port === "submission" ? submissionPort : smtpsPort), "--helo", "client.example.test", "--timeout", "30", "--quit-after", "AUTH", "--auth", mechanism, "--auth-user", user, "--auth-password", password];
    if (tls) args.push(port === "submission" ? "--tls" : "--tlsc");
    const result = await run("/usr/bin/swaks", args);
    return result.stdout + result.stderr;
  }

  const ACCEPTED = /^<~ {2}235 2\.7\.0 Authentication successful\r?$/m;
  const REFUSED = /^<~\* {1}535 5\.7\.8 Error: authentication failed:/m;

  const cases: Array<{ name: string; port: Port; mechanism: "PLAIN" | "LOGIN"; user: string; password: string; accepted: boolean }> = [
    { name: "submission (587, STARTTLS), AUTH PLAIN: the right password is accepted", port: "submission", mechanism: "PLAIN", user: USERS.good, password: PASSWORD, accepted: true },
    { name: "submission (587, STARTTLS), AUTH LOGIN: the right password is accepted", port: "submission", mechanism: "LOGIN", user: USERS.good, password: PASSWORD, accepted: true },
    { name: "smtps (465, implicit TLS), AUTH PLAIN: the right password is accepted", port: "smtps", mechanism: "PLAIN", user: USERS.good, password: PASSWORD, accepted: true },
    { name: "smtps (465, implicit TLS), AUTH LOGIN: the right password is accepted", port: "smtps", mechanism: "LOGIN", user: USERS.good, password: PASSWORD, accepted: true },
    { name: "submission, AUTH PLAIN: a wrong password is refused", port: "submission", mechanism: "PLAIN", user: USERS.good, password: WRONG_PASSWORD, accepted: false },
    { name: "smtps, AUTH LOGIN: a wrong password is refused", port: "smtps", mechanism: "LOGIN", user: USERS.good, password: WRONG_PASSWORD, accepted: false },
    { name: "submission, AUTH PLAIN: an unknown user is refused", port: "submission", mechanism: "PLAIN", user: USERS.unknown, password: PASSWORD, accepted: false },
    { name: "submission, AUTH LOGIN: an expired account is refused", port: "submission", mechanism: "LOGIN", user: USERS.expired, password: PASSWORD, accepted: false },
    { name: "smtps, AUTH PLAIN: a locked account is refused", port: "smtps", mechanism: "PLAIN", user: USERS.locked, password: PASSWORD, accepted: false },
    { name: "submission, AUTH PLAIN: inside the warning period the login passes", port: "submission", mechanism: "PLAIN", user: USERS.warned, password: PASSWORD, accepted: true },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const transcript = await smtpAuth(c.port, c.mechanism, c.user, c.password);
      assert.match(transcript, c.accepted ? ACCEPTED : REFUSED, transcript);
    });
  }

  it("submission offers no AUTH before STARTTLS (smtpd_tls_auth_only)", async () => {
    const transcript = await smtpAuth("submission", "PLAIN", USERS.good, PASSWORD, false);
    assert.match(transcript, /Host did not advertise authentication/);
  });

  it("refuses the right password once shadowd has stopped", async () => {
    assert.equal(await daemon!.stop(), 0);
    for (const port of ["submission", "smtps"] as const) {
      const transcript = await smtpAuth(port, "PLAIN", USERS.good, PASSWORD);
      assert.match(transcript, REFUSED, transcript);
    }
  });
});

function readIfExists(file: string): string {
  return fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
}

/** A system user's uid from /etc/passwd (read-only). */
function uidOf(name: string): number {
  const line = fs.readFileSync("/etc/passwd", "utf8").split("\n").find((l) => l.startsWith(`${name}:`));
  const uid = line === undefined ? NaN : Number(line.split(":")[2]);
  if (!Number.isInteger(uid)) throw new Error(`no ${name} user in /etc/passwd`);
  return uid;
}
