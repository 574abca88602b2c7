// Tests the one mapping from a gRPC status to the error line shadowctl prints.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { status } from "@grpc/grpc-js";
import { describeRpcFailure, type FailureSubject } from "../../../src/cli/shadowctl/rpc-call";

const SOCKET = "/var/lib/shadowd/shadowd-admin.sock";
const ABOUT_ALICE: FailureSubject = { action: "cannot modify user 'alice'", socket: SOCKET, user: "alice" };
const ABOUT_IMPORT: FailureSubject = { action: "import failed", socket: SOCKET };

describe("describeRpcFailure", () => {
  const cases: Array<{ name: string; code: status; details: string; subject: FailureSubject; expected: string }> = [
    {
      name: "a socket that does not exist means the daemon is not running",
      code: status.UNAVAILABLE,
      details: `No connection established. Last error: Error: connect ENOENT ${SOCKET}. Resolution note: `,
      subject: ABOUT_ALICE,
      expected: `cannot reach shadowd at ${SOCKET}: is the daemon running?`,
    },
    {
      name: "a refused connection means the daemon is not running",
      code: status.UNAVAILABLE,
      details: `No connection established. Last error: Error: connect ECONNREFUSED ${SOCKET}.`,
      subject: ABOUT_IMPORT,
      expected: `cannot reach shadowd at ${SOCKET}: is the daemon running?`,
    },
    {
      name: "a socket the user may not open says permission denied",
      code: status.UNAVAILABLE,
      details: `No connection established. Last error: Error: connect EACCES ${SOCKET}.`,
      subject: ABOUT_ALICE,
      expected: `cannot reach shadowd at ${SOCKET}: permission denied (run shadowctl as a user who may open it)`,
    },
    {
      name: "UNAVAILABLE from a running daemon is an overload, with its details",
      code: status.UNAVAILABLE,
      details: "database is busy",
      subject: ABOUT_IMPORT,
      expected: "import failed: shadowd is unavailable: database is busy",
    },
    {
      name: "NOT_FOUND about a user says the user does not exist",
      code: status.NOT_FOUND,
      details: "account 'alice' does not exist",
      subject: ABOUT_ALICE,
      expected: "user 'alice' does not exist",
    },
    {
      name: "NOT_FOUND without a user shows the details",
      code: status.NOT_FOUND,
      details: "no such thing",
      subject: ABOUT_IMPORT,
      expected: "import failed: no such thing",
    },
    {
      name: "INVALID_ARGUMENT shows the server's details",
      code: status.INVALID_ARGUMENT,
      details: "invalid shell ''",
      subject: ABOUT_ALICE,
      expected: "cannot modify user 'alice': invalid shell ''",
    },
    {
      name: "a method the socket does not serve hints that this may be the auth socket",
      code: status.UNIMPLEMENTED,
      details: "The server does not implement the method /shadowd.v1.Admin/ModifyUser",
      subject: ABOUT_ALICE,
      expected: `cannot modify user 'alice': The server does not implement the method /shadowd.v1.Admin/ModifyUser (is ${SOCKET} shadowd's admin socket?)`,
    },
    {
      name: "an RPC shadowd has not implemented shows shadowd's own words",
      code: status.UNIMPLEMENTED,
      details: "ExportAccounts is not implemented in this version of shadowd",
      subject: ABOUT_IMPORT,
      expected: "import failed: ExportAccounts is not implemented in this version of shadowd",
    },
    {
      name: "PERMISSION_DENIED hints at the socket",
      code: status.PERMISSION_DENIED,
      details: "",
      subject: ABOUT_ALICE,
      expected: `cannot modify user 'alice': PERMISSION_DENIED (is ${SOCKET} shadowd's admin socket?)`,
    },
    {
      name: "a deadline says shadowd did not answer",
      code: status.DEADLINE_EXCEEDED,
      details: "Deadline exceeded",
      subject: ABOUT_IMPORT,
      expected: `import failed: shadowd did not answer in time (${SOCKET})`,
    },
    {
      name: "RESOURCE_EXHAUSTED says overloaded",
      code: status.RESOURCE_EXHAUSTED,
      details: "hashing queue full",
      subject: ABOUT_ALICE,
      expected: "cannot modify user 'alice': shadowd is overloaded: hashing queue full",
    },
    {
      name: "an INTERNAL error without details names the status",
      code: status.INTERNAL,
      details: "",
      subject: ABOUT_IMPORT,
      expected: "import failed: INTERNAL",
    },
  ];
  for (const testCase of cases) {
    it(testCase.name, () => {
      assert.equal(describeRpcFailure({ code: testCase.code, details: testCase.details }, testCase.subject), testCase.expected);
    });
  }
});
