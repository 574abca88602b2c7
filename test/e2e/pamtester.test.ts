// Chain 1: pamtester → libpam → pam_exec (expose_authtok) → bin/shadowd-pam → shadowd, through
// the PAM service files docs/pam.md shows (each a dedicated new file under /etc/pam.d).
import { after, before, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import type { TestDaemon } from "../helpers/daemon";
import { MESSAGES, PASSWORD, USERS, WRONG_PASSWORD, startChainDaemon, disposeChainDaemon } from "./helpers/accounts";
import { PAM_INTERACTIVE_SERVICE, PAM_MAIL_SERVICE, PAM_SHEBANG_SERVICE, testSubstitutions } from "./helpers/mail-configs";
import { NODE, SHIM, installPamService, instantiate, missingRequirements, run, uniquePamServiceName, type PamService } from "./helpers/stack";

const skip = missingRequirements("pamtester", ["pamtester"]) ?? false;
const NODE_FOR_SHEBANG = fs.existsSync("/usr/bin/node") || fs.existsSync("/bin/node");

describe("pamtester through pam_exec and the shim", { skip }, () => {
  let daemon: TestDaemon;
  const services: PamService[] = [];
  const outputs: string[] = [];
  let interactive = "";
  let mail = "";
  let shebang = "";

  before(async () => {
    daemon = await startChainDaemon();
    const install = (snippet: string): string => {
      const name = uniquePamServiceName();
      const service = installPamService(name, instantiate(snippet, testSubstitutions({ socket: daemon.authSocket, pamService: name, shim: SHIM, node: NODE })));
      services.push(service);
      return service.name;
    };
    interactive = install(PAM_INTERACTIVE_SERVICE);
    mail = install(PAM_MAIL_SERVICE);
    shebang = install(PAM_SHEBANG_SERVICE);
  });

  after(async () => {
    for (const service of services) service.remove();
    for (const service of services) assert.equal(fs.existsSync(service.file), false);
    await disposeChainDaemon(daemon);
    for (const secret of [PASSWORD, WRONG_PASSWORD]) assert.ok(!outputs.some((text) => text.includes(secret)), `no output shows the password ${secret}`);
  });

  async function pamtester(service: string, user: string, password: string, operations: string[] = ["authenticate", "acct_mgmt"]): Promise<{ code: number; stdout: string; stderr: string }> {
    const result = await run("/usr/bin/pamtester", [service, user, ...operations], { stdin: `${password}\n` });
    outputs.push(result.stdout, result.stderr);
    return result;
  }

  describe("with the stdout option (messages reach the user)", () => {
    const cases: Array<{ name: string; user: string; password: string; code: number; stdout: string[]; stderr: RegExp }> = [
      { name: "the right password is accepted", user: USERS.good, password: PASSWORD, code: 0, stdout: ["pamtester: successfully authenticated", "pamtester: account management done."], stderr: /^Password: $/ },
      { name: "a wrong password is refused", user: USERS.good, password: WRONG_PASSWORD, code: 1, stdout: [], stderr: /pamtester: System error/ },
      { name: "an unknown user is refused", user: USERS.unknown, password: PASSWORD, code: 1, stdout: [], stderr: /pamtester: System error/ },
      { name: "an expired account is refused, with pam_unix's message", user: USERS.expired, password: PASSWORD, code: 1, stdout: [MESSAGES.expired], stderr: /pamtester: System error/ },
      { name: "a locked account is refused", user: USERS.locked, password: PASSWORD, code: 1, stdout: [], stderr: /pamtester: System error/ },
      { name: "inside the warning period the login passes and the warning reaches the user once", user: USERS.warned, password: PASSWORD, code: 0, stdout: ["pamtester: successfully authenticated", MESSAGES.warning, "pamtester: account management done."], stderr: /^Password: $/ },
    ];
    for (const c of cases) {
      it(c.name, async () => {
        const result = await pamtester(interactive, c.user, c.password);
        assert.equal(result.code, c.code, `${result.stdout}${result.stderr}`);
        assert.deepEqual(result.stdout.split("\n").filter((line) => line !== ""), c.stdout);
        assert.match(result.stderr, c.stderr);
      });
    }
  });

  describe("without it (the mail daemons' service file)", () => {
    const cases: Array<{ name: string; user: string; password: string; code: number }> = [
      { name: "the right password is accepted", user: USERS.good, password: PASSWORD, code: 0 },
      { name: "a wrong password is refused", user: USERS.good, password: WRONG_PASSWORD, code: 1 },
      { name: "an expired account is refused, silently", user: USERS.expired, password: PASSWORD, code: 1 },
      { name: "the warning period passes, silently", user: USERS.warned, password: PASSWORD, code: 0 },
    ];
    for (const c of cases) {
      it(c.name, async () => {
        const result = await pamtester(mail, c.user, c.password);
        assert.equal(result.code, c.code, `${result.stdout}${result.stderr}`);
        assert.ok(!result.stdout.includes("Warning") && !result.stdout.includes("expired"), "no message is relayed");
      });
    }

    it("a password change is refused (pam_deny: pam_exec cannot pass the old and the new password)", async () => {
      const result = await pamtester(mail, USERS.good, PASSWORD, ["chauthtok"]);
      assert.equal(result.code, 1);
      assert.match(result.stderr, /Authentication token manipulation error/);
    });
  });

  describe("through the launcher's #!/usr/bin/env node (pam_exec passes no PATH)", { skip: NODE_FOR_SHEBANG ? false : "node is in neither /usr/bin nor /bin" }, () => {
    it("accepts the right password", async () => {
      const result = await pamtester(shebang, USERS.good, PASSWORD);
      assert.equal(result.code, 0, `${result.stdout}${result.stderr}`);
    });
    it("refuses a wrong one", async () => {
      const result = await pamtester(shebang, USERS.good, WRONG_PASSWORD);
      assert.equal(result.code, 1);
    });
  });

  describe("once shadowd has stopped", () => {
    it("refuses the right password, quickly", async () => {
      assert.equal(await daemon.stop(), 0);
      const started = Date.now();
      for (const service of [interactive, mail]) {
        const result = await pamtester(service, USERS.good, PASSWORD);
        assert.equal(result.code, 1, `${service}: ${result.stdout}${result.stderr}`);
      }
      assert.ok(Date.now() - started < 8000, `refused in ${Date.now() - started} ms (no 5 s timeout waited)`);
    });
  });
});
