// Tests each shadowctl command's argument parser: argv → the request it would send, or the
// usage error it reports (exit 2) before anything is sent.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { ParseOutcome } from "../../../src/cli/shadowctl/args";
import { parseAuthTestArgs, parseCheckAccountArgs } from "../../../src/cli/shadowctl/auth-commands";
import { parseChageArgs } from "../../../src/cli/shadowctl/chage-command";
import { parseGetentArgs } from "../../../src/cli/shadowctl/getent-command";
import { parseImportArgs } from "../../../src/cli/shadowctl/import-command";
import { parseExportArgs, parseFaillockArgs } from "../../../src/cli/shadowctl/maintenance-commands";
import { parsePasswdArgs } from "../../../src/cli/shadowctl/passwd-command";
import { parseStatusArgs } from "../../../src/cli/shadowctl/status-command";
import { parseUseraddArgs, parseUserdelArgs, parseUsermodArgs } from "../../../src/cli/shadowctl/user-commands";
import { ImportMode } from "../../../src/gen/shadowd/v1/shadowd";

interface ParseCase {
  name: string;
  args: string[];
  /** The parsed value, or a pattern the usage message must match. */
  expected: unknown;
}

function runTable(parse: (args: readonly string[]) => ParseOutcome<unknown>, cases: readonly ParseCase[]): void {
  for (const testCase of cases) {
    it(testCase.name, () => {
      const outcome = parse(testCase.args);
      if (testCase.expected instanceof RegExp) {
        assert.equal(outcome.kind, "usage", `expected a usage error, got ${JSON.stringify(outcome)}`);
        if (outcome.kind === "usage") assert.match(outcome.message, testCase.expected);
      } else if (testCase.expected === "help") {
        assert.deepEqual(outcome, { kind: "help" });
      } else {
        assert.deepEqual(outcome, { kind: "ok", value: testCase.expected });
      }
    });
  }
}

describe("useradd arguments", () => {
  const base = { name: "alice", gecos: "", home: "", shell: "" };
  runTable(parseUseraddArgs, [
    { name: "a bare login name adds an account with defaults", args: ["alice"], expected: { request: base, passwordFromStdin: false } },
    {
      name: "every passwd field has its shadow-utils flag",
      args: ["-u", "1001", "-g", "100", "-c", "Alice L", "-d", "/srv/mail/alice", "-s", "/usr/sbin/nologin", "alice"],
      expected: {
        request: { name: "alice", uid: 1001, gid: 100, gecos: "Alice L", home: "/srv/mail/alice", shell: "/usr/sbin/nologin" },
        passwordFromStdin: false,
      },
    },
    {
      name: "long forms work too",
      args: ["--uid=1001", "--comment", "A", "--home-dir", "/h", "--shell", "/bin/sh", "alice"],
      expected: { request: { ...base, uid: 1001, gecos: "A", home: "/h", shell: "/bin/sh" }, passwordFromStdin: false },
    },
    {
      name: "-e takes a date and -f a day count",
      args: ["-e", "2022-01-08", "-f", "7", "alice"],
      expected: { request: { ...base, expireDate: 19000, inactiveDays: 7 }, passwordFromStdin: false },
    },
    { name: "-e -1 and -f -1 mean never: nothing is sent", args: ["-e", "-1", "-f", "-1", "alice"], expected: { request: base, passwordFromStdin: false } },
    { name: "-p sends a pre-hashed password", args: ["-p", "$6$salt$hash", "alice"], expected: { request: { ...base, passwordHash: "$6$salt$hash" }, passwordFromStdin: false } },
    { name: "--stdin asks for the clear password on standard input", args: ["--stdin", "alice"], expected: { request: base, passwordFromStdin: true } },
    { name: "-p and --stdin are exclusive", args: ["-p", "x", "--stdin", "alice"], expected: /exclusive/ },
    { name: "a group name is refused", args: ["-g", "users", "alice"], expected: /invalid group id 'users'/ },
    { name: "an invalid expiry date is refused", args: ["-e", "someday", "alice"], expected: /invalid expiry date 'someday'/ },
    { name: "the login name is required", args: ["-u", "1001"], expected: /missing LOGIN/ },
    { name: "only one login name is taken", args: ["alice", "bob"], expected: /unexpected argument 'bob'/ },
    { name: "an unknown flag is a usage error", args: ["-m", "alice"], expected: /Unknown option '-m'/ },
    { name: "-h shows help", args: ["-h"], expected: "help" },
  ]);
});

describe("usermod arguments", () => {
  const none = { name: "alice", lock: false, unlock: false };
  runTable(parseUsermodArgs, [
    { name: "-L locks", args: ["-L", "alice"], expected: { request: { ...none, lock: true }, hasChanges: true } },
    { name: "-U unlocks", args: ["--unlock", "alice"], expected: { request: { ...none, unlock: true }, hasChanges: true } },
    { name: "-L and -U are exclusive", args: ["-L", "-U", "alice"], expected: /-L and -U are exclusive/ },
    {
      name: "-l renames and the other fields change",
      args: ["-l", "alicia", "-u", "2000", "-g", "2000", "-c", "", "-d", "/h", "-s", "/bin/false", "alice"],
      expected: {
        request: { ...none, newName: "alicia", uid: 2000, gid: 2000, gecos: "", home: "/h", shell: "/bin/false" },
        hasChanges: true,
      },
    },
    { name: "-e -1 clears the expiry date", args: ["-e", "-1", "alice"], expected: { request: { ...none, expireDate: -1 }, hasChanges: true } },
    { name: "-e 1 disables the account", args: ["-e", "1", "alice"], expected: { request: { ...none, expireDate: 1 }, hasChanges: true } },
    { name: "-f -1 clears the inactive days", args: ["-f", "-1", "alice"], expected: { request: { ...none, inactiveDays: -1 }, hasChanges: true } },
    { name: "no flags is no change", args: ["alice"], expected: { request: none, hasChanges: false } },
    { name: "-p is not offered (use passwd)", args: ["-p", "x", "alice"], expected: /Unknown option '-p'/ },
  ]);
});

describe("userdel arguments", () => {
  runTable(parseUserdelArgs, [
    { name: "one login name", args: ["alice"], expected: { name: "alice" } },
    { name: "no login name", args: [], expected: /missing LOGIN/ },
    { name: "-r (remove home) is not offered", args: ["-r", "alice"], expected: /Unknown option '-r'/ },
  ]);
});

describe("passwd arguments", () => {
  const flags = { lock: false, unlock: false, expire: false, delete: false };
  runTable(parsePasswdArgs, [
    { name: "a login alone sets a password (prompted)", args: ["alice"], expected: { action: "set", name: "alice", fromStdin: false } },
    { name: "--stdin sets a password from standard input", args: ["--stdin", "alice"], expected: { action: "set", name: "alice", fromStdin: true } },
    { name: "-l locks", args: ["-l", "alice"], expected: { action: "change", request: { name: "alice", ...flags, lock: true } } },
    { name: "-u unlocks", args: ["-u", "alice"], expected: { action: "change", request: { name: "alice", ...flags, unlock: true } } },
    { name: "-e expires", args: ["--expire", "alice"], expected: { action: "change", request: { name: "alice", ...flags, expire: true } } },
    { name: "-d deletes", args: ["-d", "alice"], expected: { action: "change", request: { name: "alice", ...flags, delete: true } } },
    { name: "-e and -d combine, as in passwd", args: ["-ed", "alice"], expected: { action: "change", request: { name: "alice", ...flags, expire: true, delete: true } } },
    { name: "-l and -u are exclusive", args: ["-l", "-u", "alice"], expected: /-l and -u are exclusive/ },
    { name: "--stdin does not combine with -l", args: ["--stdin", "-l", "alice"], expected: /--stdin sets a password/ },
    { name: "-S shows the status of one account", args: ["-S", "alice"], expected: { action: "status", name: "alice" } },
    { name: "-S -a shows every account", args: ["-Sa"], expected: { action: "status-all" } },
    { name: "-S does not combine with -l", args: ["-S", "-l", "alice"], expected: /-S cannot be combined/ },
    { name: "-a needs -S", args: ["-a"], expected: /-a works only with -S/ },
    { name: "the login name is required (there is no 'own' password here)", args: [], expected: /missing LOGIN/ },
  ]);
});

describe("chage arguments", () => {
  runTable(parseChageArgs, [
    { name: "-l lists", args: ["-l", "alice"], expected: { action: "list", name: "alice", iso: false } },
    { name: "-l -i lists with ISO dates", args: ["-li", "alice"], expected: { action: "list", name: "alice", iso: true } },
    { name: "-d 0 forces a change at next login", args: ["-d", "0", "alice"], expected: { action: "set", request: { name: "alice", lastChange: 0 } } },
    {
      name: "every aging field has its flag",
      args: ["-d", "2022-01-08", "-m", "1", "-M", "90", "-W", "14", "-I", "30", "-E", "2030-01-01", "alice"],
      expected: {
        action: "set",
        request: { name: "alice", lastChange: 19000, minDays: 1, maxDays: 90, warnDays: 14, inactiveDays: 30, expireDate: 21915 },
      },
    },
    { name: "-1 clears fields", args: ["-E", "-1", "-I", "-1", "-M", "-1", "alice"], expected: { action: "set", request: { name: "alice", maxDays: -1, inactiveDays: -1, expireDate: -1 } } },
    { name: "long forms work too", args: ["--lastday", "0", "--maxdays=60", "alice"], expected: { action: "set", request: { name: "alice", lastChange: 0, maxDays: 60 } } },
    { name: "-l does not combine with setters", args: ["-l", "-M", "5", "alice"], expected: /do not include "l" with other flags/ },
    { name: "-i needs -l", args: ["-i", "-M", "5", "alice"], expected: /-i works only with -l/ },
    { name: "no option would be interactive mode: refused", args: ["alice"], expected: /interactive mode is not supported/ },
    { name: "a bad number is refused", args: ["-M", "lots", "alice"], expected: /invalid maximum days 'lots'/ },
    { name: "a bad date is refused", args: ["-E", "2022-13-45", "alice"], expected: /invalid expiry date '2022-13-45'/ },
    { name: "the login name is required", args: ["-l"], expected: /missing LOGIN/ },
  ]);
});

describe("getent arguments", () => {
  runTable(parseGetentArgs, [
    { name: "passwd without keys lists everything", args: ["passwd"], expected: { database: "passwd", keys: [] } },
    { name: "shadow with keys", args: ["shadow", "alice", "bob"], expected: { database: "shadow", keys: ["alice", "bob"] } },
    { name: "another database is refused", args: ["group"], expected: /unknown database 'group'/ },
    { name: "the database is required", args: [], expected: /missing database/ },
  ]);
});

describe("auth-test and check-account arguments", () => {
  runTable(parseAuthTestArgs, [
    { name: "a user alone reads the password later", args: ["alice"], expected: { username: "alice", service: "shadowctl", remoteAddress: "" } },
    {
      name: "a password argument is taken as bytes",
      args: ["--service", "imap", "--remote", "192.0.2.7", "alice", "s3cret"],
      expected: { username: "alice", password: Buffer.from("s3cret"), service: "imap", remoteAddress: "192.0.2.7" },
    },
    { name: "a third operand is refused", args: ["alice", "pw", "extra"], expected: /unexpected argument 'extra'/ },
    { name: "the user is required", args: [], expected: /missing USER/ },
  ]);
  runTable(parseCheckAccountArgs, [
    { name: "check-account takes a user and a service", args: ["-s", "smtp", "alice"], expected: { username: "alice", service: "smtp", remoteAddress: "" } },
    { name: "check-account takes no password", args: ["alice", "pw"], expected: /unexpected argument 'pw'/ },
  ]);
});

describe("import arguments", () => {
  const options = { dryRun: false, mode: ImportMode.IMPORT_MODE_MERGE, skipInvalid: false, includeSystem: false, passwdFileName: "p", shadowFileName: "s" };
  runTable(parseImportArgs, [
    { name: "both files, merge by default", args: ["--passwd", "p", "--shadow", "s"], expected: { passwdFile: "p", shadowFile: "s", json: false, replaceNeedsYes: false, options } },
    {
      name: "every option",
      args: ["--passwd=p", "--shadow=s", "--skip-invalid", "--dry-run", "--json", "--mode", "replace", "--include-system"],
      expected: {
        passwdFile: "p",
        shadowFile: "s",
        json: true,
        replaceNeedsYes: false,
        options: { ...options, dryRun: true, skipInvalid: true, includeSystem: true, mode: ImportMode.IMPORT_MODE_REPLACE },
      },
    },
    { name: "create-only mode", args: ["--passwd", "p", "--shadow", "s", "--mode", "create-only"], expected: { passwdFile: "p", shadowFile: "s", json: false, replaceNeedsYes: false, options: { ...options, mode: ImportMode.IMPORT_MODE_CREATE_ONLY } } },
    {
      name: "replace without --yes is sent as a dry run and flagged",
      args: ["--passwd", "p", "--shadow", "s", "--mode", "replace"],
      expected: { passwdFile: "p", shadowFile: "s", json: false, replaceNeedsYes: true, options: { ...options, dryRun: true, mode: ImportMode.IMPORT_MODE_REPLACE } },
    },
    {
      name: "replace with --yes is applied",
      args: ["--passwd", "p", "--shadow", "s", "--mode", "replace", "-y"],
      expected: { passwdFile: "p", shadowFile: "s", json: false, replaceNeedsYes: false, options: { ...options, mode: ImportMode.IMPORT_MODE_REPLACE } },
    },
    { name: "an unknown mode is refused", args: ["--passwd", "p", "--shadow", "s", "--mode", "upsert"], expected: /invalid mode 'upsert'/ },
    { name: "the passwd file is required", args: ["--shadow", "s"], expected: /missing --passwd/ },
    { name: "the shadow file is required (/dev/null says none)", args: ["--passwd", "p"], expected: /missing --shadow FILE \(use --shadow \/dev\/null/ },
    { name: "operands are refused", args: ["--passwd", "p", "--shadow", "s", "extra"], expected: /unexpected argument 'extra'/ },
  ]);
});

describe("export, faillock and status arguments", () => {
  runTable(parseExportArgs, [
    { name: "export writes two files", args: ["--passwd", "p", "--shadow", "s"], expected: { passwdFile: "p", shadowFile: "s", force: false } },
    { name: "export --force replaces existing files", args: ["--passwd", "p", "--shadow", "s", "--force"], expected: { passwdFile: "p", shadowFile: "s", force: true } },
    { name: "export refuses one file for both", args: ["--passwd", "x", "--shadow", "x"], expected: /must be different/ },
    { name: "export refuses one file for both, however spelled", args: ["--passwd", "x", "--shadow", "./x"], expected: /must be different/ },
  ]);
  runTable(parseFaillockArgs, [
    { name: "faillock --user --reset", args: ["--user", "alice", "--reset"], expected: { name: "alice" } },
    { name: "faillock without --reset is refused", args: ["--user", "alice"], expected: /only --reset/ },
  ]);
  runTable(parseStatusArgs, [
    { name: "status", args: [], expected: { json: false } },
    { name: "status --json", args: ["--json"], expected: { json: true } },
    { name: "status takes no operand", args: ["now"], expected: /unexpected argument 'now'/ },
  ]);
});
