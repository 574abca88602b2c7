// Integration: two shadowctl writers (100 operations each, some on one shared account) and
// an Authenticate/CheckAccount/GetAging load at once: every call succeeds or answers a
// legitimate outcome; no INTERNAL, UNAVAILABLE or SQLITE_BUSY; no lost update.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as path from "node:path";
import type { ServiceError } from "@grpc/grpc-js";
import { startTestDaemon, runCommand, REPO_ROOT, type CommandResult } from "../helpers/daemon";
import { AuthResult } from "../../src/gen/shadowd/v1/shadowd";

const OPERATIONS = 100;
const ACCOUNTS_PER_WRITER = 4;

/**
 * One writer: a bash loop of shadowctl calls (a fresh process each, as an operator's script
 * would run them). Prints "FAIL <op> <exit code> <stderr>" for any failed call.
 */
function writerScript(prefix: string): string {
  return `
set -u
ctl() { out=$("$SHADOWCTL" --state-dir "$STATE_DIR" "$@" 2>&1); code=$?; [ $code -eq 0 ] || echo "FAIL $* => $code $out"; }
for i in $(seq 1 ${OPERATIONS}); do
  user=${prefix}$(( i % ${ACCOUNTS_PER_WRITER} ))
  case $(( i % 5 )) in
    0) ctl usermod -c "${prefix} round $i" shared </dev/null ;;
    1) ctl usermod -c "${prefix} round $i" "$user" </dev/null ;;
    2) ctl chage -M $(( 30 + i )) -W 7 "$user" </dev/null ;;
    3) printf '%s\\n' "${prefix}-Concurrency-pw-$i" | ctl passwd --stdin "$user" ;;
    4) if [ $(( i % 2 )) -eq 0 ]; then ctl usermod -L "$user" </dev/null; else ctl usermod -U "$user" </dev/null; fi ;;
  esac
done
echo DONE
`;
}

test("two shadowctl writers and an authentication load at once: no internal error, no busy database, no lost update", { timeout: 240_000 }, async (t) => {
  const daemon = await startTestDaemon({ extraArgs: ["--penalty-max-ms", "0"] });
  try {
    const password = Buffer.from("Concurrency-reader-pw-1");
    for (const name of ["reader", "shared"]) await daemon.adminp.addUser({ name, gecos: "", home: `/home/${name}`, shell: "/bin/sh", password });
    for (const prefix of ["a", "b"]) {
      for (let i = 0; i < ACCOUNTS_PER_WRITER; i++) {
        await daemon.adminp.addUser({ name: `${prefix}${i}`, gecos: "", home: `/home/${prefix}${i}`, shell: "/bin/sh", password: Buffer.from(`${prefix}-initial-pw-${i}`) });
      }
    }

    let writing = true;
    const writers = ["a", "b"].map((prefix) =>
      runCommand("bash", ["-c", writerScript(prefix)], { env: { ...process.env, SHADOWCTL: path.join(REPO_ROOT, "bin/shadowctl"), STATE_DIR: daemon.stateDir } }),
    );
    const writersDone = Promise.all(writers).finally(() => (writing = false));

    const problems: string[] = [];
    const counts = new Map<string, number>();
    const note = (what: string): void => void counts.set(what, (counts.get(what) ?? 0) + 1);
    const load = async (worker: number): Promise<void> => {
      for (let i = 0; writing; i++) {
        const target = i % 4;
        try {
          if (target === 0) {
            const answer = await daemon.authp.authenticate({ username: worker % 2 === 0 ? "reader" : "shared", password, service: "imap", remoteAddress: "" });
            if (answer.result !== AuthResult.AUTH_RESULT_OK) problems.push(`right password answered ${AuthResult[answer.result]}`);
            note("authenticate ok");
          } else if (target === 1) {
            const user = `${worker % 2 === 0 ? "a" : "b"}${i % ACCOUNTS_PER_WRITER}`;
            const answer = await daemon.authp.authenticate({ username: user, password: Buffer.from("Concurrency-wrong-pw"), service: "pop3", remoteAddress: "" });
            if (answer.result !== AuthResult.AUTH_RESULT_DENIED) problems.push(`wrong password for ${user} answered ${AuthResult[answer.result]}`);
            note("authenticate denied");
          } else {
            const user = [`a${i % ACCOUNTS_PER_WRITER}`, `b${i % ACCOUNTS_PER_WRITER}`, "shared"][i % 3]!;
            const answer = target === 2 ? await daemon.authp.checkAccount({ username: user, service: "imap", remoteAddress: "" }) : await daemon.authp.getAging({ username: user });
            if ("result" in answer && answer.result === AuthResult.AUTH_RESULT_UNSPECIFIED) problems.push(`CheckAccount ${user} answered UNSPECIFIED`);
            note(target === 2 ? "check account" : "get aging");
          }
        } catch (error) {
          const e = error as ServiceError;
          problems.push(`call failed: ${e.code} ${e.details}`);
        }
        // A steady load, not a CPU hog: the writers' process start-ups need the CPU too.
        await new Promise((resolve) => setTimeout(resolve, 15));
      }
    };
    await Promise.all([writersDone, ...Array.from({ length: 2 }, (_, worker) => load(worker))]);
    const results: CommandResult[] = await Promise.all(writers);

    t.diagnostic(`load calls while writing: ${JSON.stringify(Object.fromEntries(counts))}`);
    for (const [i, result] of results.entries()) {
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout.trim().split("\n").filter((line) => line.startsWith("FAIL")).join("\n"), "", `writer ${i + 1}: every shadowctl call succeeded`);
      assert.match(result.stdout, /DONE\n$/);
    }
    assert.deepEqual(problems, []);
    assert.ok((counts.get("authenticate ok") ?? 0) >= 20, "the load ran throughout");

    // No update was lost: each account shows its writer's last change.
    const last = (prefix: string, phase: number, account: number): number => {
      let found = 0;
      for (let i = 1; i <= OPERATIONS; i++) if (i % 5 === phase && i % ACCOUNTS_PER_WRITER === account) found = i;
      return found;
    };
    for (const prefix of ["a", "b"]) {
      for (let k = 0; k < ACCOUNTS_PER_WRITER; k++) {
        const account = await daemon.adminp.getUser({ name: `${prefix}${k}` });
        const gecosRound = last(prefix, 1, k);
        if (gecosRound > 0) assert.equal(account.gecos, `${prefix} round ${gecosRound}`, `${prefix}${k} gecos`);
        const chageRound = last(prefix, 2, k);
        if (chageRound > 0) assert.equal(account.shadow?.maxDays, 30 + chageRound, `${prefix}${k} max days`);
        const passwdRound = last(prefix, 3, k);
        if (passwdRound > 0) {
          const answer = await daemon.authp.authenticate({ username: `${prefix}${k}`, password: Buffer.from(`${prefix}-Concurrency-pw-${passwdRound}`), service: "imap", remoteAddress: "" });
          // The account may be locked (usermod -L) or faillocked by the load's wrong passwords;
          // DENIED would mean the last password set was lost.
          assert.notEqual(answer.result, AuthResult.AUTH_RESULT_DENIED, `${prefix}${k} has the password set in round ${passwdRound}`);
        }
      }
    }
    assert.match((await daemon.adminp.getUser({ name: "shared" })).gecos, /^[ab] round (95|100)$/);
    const log = daemon.log();
    assert.doesNotMatch(log, /SQLITE_BUSY|database is locked|stayed locked/i);
    assert.doesNotMatch(log, /"level":50/, "nothing was logged as an error");
  } finally {
    await daemon.stop();
  }
});
