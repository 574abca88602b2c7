// Chain 4: testsaslauthd → saslauthd -a pam (its own socket directory) → libpam (the SASL
// service's PAM file, `@include` of the mail service as docs/pam.md shows) → pam_exec →
// the shim → shadowd.
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import type { TestDaemon } from "../helpers/daemon";
import { PASSWORD, USERS, WRONG_PASSWORD, startChainDaemon, disposeChainDaemon } from "./helpers/accounts";
import { PAM_MAIL_SERVICE, PAM_PROTOCOL_SERVICE, testSubstitutions } from "./helpers/mail-configs";
import { NODE, SHIM, installPamService, instantiate, makeWorkDir, missingRequirements, removeWorkDir, run, startForeground, uniquePamServiceName, waitUntil, type ForegroundDaemon, type PamService } from "./helpers/stack";

const skip = missingRequirements("saslauthd", ["saslauthd", "testsaslauthd"]) ?? false;

describe("saslauthd -a pam through the shim", { skip }, () => {
  let daemon: TestDaemon | undefined;
  const services: PamService[] = [];
  let saslauthd: ForegroundDaemon | undefined;
  let workDir = "";
  let mux = "";
  let saslService = "";

  before(async () => {
    workDir = makeWorkDir("saslauthd");
    daemon = await startChainDaemon();
    const mailName = uniquePamServiceName();
    services.push(installPamService(mailName, instantiate(PAM_MAIL_SERVICE, testSubstitutions({ socket: daemon.authSocket, pamService: mailName, shim: SHIM, node: NODE }))));
    // saslauthd uses the SASL service name (Postfix: smtp) as the PAM service.
    saslService = `${mailName}-smtp`;
    services.push(installPamService(saslService, instantiate(PAM_PROTOCOL_SERVICE, testSubstitutions({ pamService: mailName }))));
    const runDir = path.join(workDir, "saslauthd");
    fs.mkdirSync(runDir, { mode: 0o755 });
    mux = path.join(runDir, "mux");
    saslauthd = startForeground("/usr/sbin/saslauthd", ["-a", "pam", "-m", runDir, "-n", "2", "-d"]);
    await waitUntil("saslauthd", () => {
      if (saslauthd!.exited()) throw new Error(`saslauthd exited at start:\n${saslauthd!.output()}`);
      return fs.existsSync(mux);
    }, 20_000, () => saslauthd!.output());
  });

  after(async () => {
    try {
      await saslauthd?.stop();
      for (const service of services) service.remove();
      await disposeChainDaemon(daemon);
      for (const secret of [PASSWORD, WRONG_PASSWORD]) assert.ok(!(saslauthd?.output() ?? "").includes(secret), "saslauthd's log does not show the password");
    } finally {
      if (workDir !== "") removeWorkDir(workDir);
    }
  });

  async function testsaslauthd(user: string, password: string): Promise<string> {
    const result = await run("/usr/sbin/testsaslauthd", ["-f", mux, "-s", saslService, "-u", user, "-p", password]);
    return result.stdout;
  }

  const OK = '0: OK "Success."\n';
  const NO = '0: NO "authentication failed"\n';
  const cases: Array<{ name: string; user: string; password: string; expected: string; reason?: string }> = [
    { name: "the right password is accepted", user: USERS.good, password: PASSWORD, expected: OK },
    { name: "a wrong password is refused in the auth phase", user: USERS.good, password: WRONG_PASSWORD, expected: NO, reason: "PAM auth error" },
    { name: "an unknown user is refused", user: USERS.unknown, password: PASSWORD, expected: NO, reason: "PAM auth error" },
    { name: "an expired account is refused", user: USERS.expired, password: PASSWORD, expected: NO, reason: "PAM auth error" },
    { name: "a locked account is refused", user: USERS.locked, password: PASSWORD, expected: NO, reason: "PAM auth error" },
    { name: "inside the warning period the login passes (saslauthd asks PAM_SILENT)", user: USERS.warned, password: PASSWORD, expected: OK },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      assert.equal(await testsaslauthd(c.user, c.password), c.expected);
      if (c.reason !== undefined) assert.match(saslauthd!.output(), new RegExp(`auth failure: \\[user=${c.user}\\] \\[service=${saslService}\\] \\[realm=\\] \\[mech=pam\\] \\[reason=${c.reason}\\]`));
    });
  }

  it("refuses the right password once shadowd has stopped", async () => {
    assert.equal(await daemon!.stop(), 0);
    assert.equal(await testsaslauthd(USERS.good, PASSWORD), NO);
  });
});
