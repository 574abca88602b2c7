// The shim's Node-API socket addon (src/native/unix-socket.c, built into dist/native/): a
// blocking, close-on-exec UNIX stream socket whose connect, reads and writes end with EAGAIN
// at the timeout; errors as Error objects with the errno name in `code`; bad arguments refused.
// The servers here run on this thread's event loop, which the blocking calls hold up: the
// kernel's listen backlog takes the connections, and nothing ever answers them.
import { after, describe, it } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { loadUnixSocketAddon, type UnixSocketAddon } from "../../../src/rpc/http2-unary-blocking";

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "shd-sock-"));
const servers: net.Server[] = [];
after(() => {
  for (const server of servers) server.close();
  fs.rmSync(scratch, { recursive: true, force: true });
});

const loaded = loadUnixSocketAddon();
assert.ok(loaded !== null, "dist/native/unix-socket.node loads (make build)");
const addon: UnixSocketAddon = loaded;

function listening(name: string, backlog = 511): Promise<string> {
  const socketPath = path.join(scratch, name);
  const server = net.createServer((socket) => socket.on("error", () => undefined));
  servers.push(server);
  return new Promise((resolve) => server.listen({ path: socketPath, backlog }, () => resolve(socketPath)));
}

/** A socket file nobody listens on any more: its server was killed with SIGKILL. */
function staleSocket(): string {
  const socketPath = path.join(scratch, "stale.sock");
  const result = spawnSync(process.execPath, ["-e", `require("net").createServer().listen(${JSON.stringify(socketPath)}, () => process.kill(process.pid, "SIGKILL"))`]);
  assert.equal(result.signal, "SIGKILL");
  assert.ok(fs.existsSync(socketPath));
  return socketPath;
}

function thrown(run: () => unknown): NodeJS.ErrnoException {
  try {
    run();
  } catch (error) {
    return error as NodeJS.ErrnoException;
  }
  assert.fail("expected a throw");
}

describe("connect", () => {
  const regularFile = path.join(scratch, "regular");
  fs.writeFileSync(regularFile, "");
  const cases: Array<{ name: string; path: () => string; code: string; message: RegExp }> = [
    { name: "a missing path", path: () => path.join(scratch, "missing.sock"), code: "ENOENT", message: /^connect: No such file or directory$/ },
    { name: "an empty path", path: () => "", code: "ENOENT", message: /^connect: / },
    { name: "a socket file nobody listens on", path: staleSocket, code: "ECONNREFUSED", message: /^connect: Connection refused$/ },
    { name: "a regular file", path: () => regularFile, code: "ECONNREFUSED", message: /^connect: / },
    { name: "a path longer than sun_path (108 bytes with its NUL)", path: () => `/tmp/${"x".repeat(103)}`, code: "ENAMETOOLONG", message: /^connect: File name too long$/ },
    { name: "a path with a NUL inside", path: () => `${scratch}/a\0b`, code: "EINVAL", message: /^connect: Invalid argument$/ },
  ];
  for (const c of cases) {
    it(`fails with ${c.code} on ${c.name}`, () => {
      const error = thrown(() => addon.connect(c.path(), 1000));
      assert.ok(error instanceof Error);
      assert.equal(error.code, c.code);
      assert.match(error.message, c.message);
    });
  }

  it("a path of exactly 107 bytes is accepted (and fails only because nothing is there)", () => {
    const longest = path.join(scratch, "y".repeat(107 - scratch.length - 1));
    assert.equal(Buffer.byteLength(longest), 107);
    assert.equal(thrown(() => addon.connect(longest, 1000)).code, "ENOENT");
  });

  it("gives a blocking, close-on-exec descriptor connected to the server", async () => {
    const socketPath = await listening("plain.sock");
    const fd = addon.connect(socketPath, 1000);
    try {
      const flags = Number.parseInt(/^flags:\s+([0-7]+)$/m.exec(fs.readFileSync(`/proc/self/fdinfo/${fd}`, "utf8"))![1]!, 8);
      assert.equal(flags & 0o4000, 0, "not O_NONBLOCK");
      assert.equal(flags & 0o2000000, 0o2000000, "O_CLOEXEC");
      assert.equal(fs.writeSync(fd, Buffer.from("hello")), 5);
    } finally {
      fs.closeSync(fd);
    }
  });

  it("ends with EAGAIN at the timeout while the server's listen backlog is full", async () => {
    const socketPath = await listening("full.sock", 1);
    const held: number[] = [];
    try {
      let error: NodeJS.ErrnoException | undefined;
      let elapsed = 0;
      // The server's thread is this one, blocked here: it accepts nothing, the backlog fills.
      for (let i = 0; i < 8 && error === undefined; i++) {
        const started = Date.now();
        try {
          held.push(addon.connect(socketPath, 200));
        } catch (caught) {
          error = caught as NodeJS.ErrnoException;
          elapsed = Date.now() - started;
        }
      }
      assert.equal(error?.code, "EAGAIN");
      assert.ok(elapsed >= 150 && elapsed < 2000, `gave up after ${elapsed} ms`);
    } finally {
      for (const fd of held) fs.closeSync(fd);
    }
  });

  const badArguments: Array<{ name: string; args: unknown[]; error: RegExp; code: string }> = [
    { name: "a timeout of 0", args: ["/x", 0], error: /timeoutMs must be a number of milliseconds from 1 to 86400000/, code: "ERR_OUT_OF_RANGE" },
    { name: "a negative timeout", args: ["/x", -5], error: /timeoutMs/, code: "ERR_OUT_OF_RANGE" },
    { name: "NaN", args: ["/x", Number.NaN], error: /timeoutMs/, code: "ERR_OUT_OF_RANGE" },
    { name: "Infinity", args: ["/x", Number.POSITIVE_INFINITY], error: /timeoutMs/, code: "ERR_OUT_OF_RANGE" },
    { name: "more than a day", args: ["/x", 86_400_001], error: /timeoutMs/, code: "ERR_OUT_OF_RANGE" },
    { name: "a string timeout", args: ["/x", "5"], error: /timeoutMs/, code: "ERR_OUT_OF_RANGE" },
    { name: "a path that is not a string", args: [42, 1000], error: /path must be a string/, code: "ERR_INVALID_ARG_TYPE" },
    { name: "one argument", args: ["/x"], error: /takes two arguments/, code: "ERR_INVALID_ARG_TYPE" },
  ];
  for (const c of badArguments) {
    it(`refuses ${c.name}`, () => {
      const error = thrown(() => (addon.connect as (...args: unknown[]) => number)(...c.args));
      assert.match(error.message, c.error);
      assert.equal(error.code, c.code);
    });
  }
});

describe("setTimeouts", () => {
  it("ends a read that gets no answer with EAGAIN at the timeout", async () => {
    const socketPath = await listening("silent.sock");
    const fd = addon.connect(socketPath, 5000);
    try {
      addon.setTimeouts(fd, 150);
      const started = Date.now();
      const error = thrown(() => fs.readSync(fd, Buffer.alloc(16), 0, 16, null));
      const elapsed = Date.now() - started;
      assert.equal(error.code, "EAGAIN");
      assert.ok(elapsed >= 100 && elapsed < 2000, `gave up after ${elapsed} ms`);
    } finally {
      fs.closeSync(fd);
    }
  });

  it("fails with ENOTSOCK on a descriptor that is not a socket", () => {
    const fd = fs.openSync(path.join(scratch, "regular"), "r");
    try {
      assert.equal(thrown(() => addon.setTimeouts(fd, 100)).code, "ENOTSOCK");
    } finally {
      fs.closeSync(fd);
    }
  });

  const badArguments: Array<{ name: string; args: unknown[]; code: string; error: RegExp }> = [
    { name: "a timeout of 0", args: [0, 0], code: "ERR_OUT_OF_RANGE", error: /timeoutMs/ },
    { name: "a descriptor that is not a number", args: ["0", 100], code: "ERR_INVALID_ARG_TYPE", error: /takes a descriptor and a timeout/ },
    // Never truncated into another descriptor: 2**40 would be fd 0, 1.5 fd 1.
    { name: "a descriptor past int's range", args: [2 ** 40, 100], code: "ERR_OUT_OF_RANGE", error: /fd must be a whole number/ },
    { name: "a fractional descriptor", args: [1.5, 100], code: "ERR_OUT_OF_RANGE", error: /fd must be a whole number/ },
    { name: "a negative descriptor", args: [-1, 100], code: "ERR_OUT_OF_RANGE", error: /fd must be a whole number/ },
  ];
  for (const c of badArguments) {
    it(`refuses ${c.name}`, () => {
      const error = thrown(() => (addon.setTimeouts as (...args: unknown[]) => void)(...c.args));
      assert.equal(error.code, c.code);
      assert.match(error.message, c.error);
    });
  }
});
