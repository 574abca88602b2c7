// Tests how shadowctl obtains secrets: standard input read verbatim minus one newline, and
// the no-echo terminal prompt driven through a fake TTY stream.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { PassThrough, Readable } from "node:stream";
import type { CliInput } from "../../../src/cli/shadowctl/context";
import {
  MAX_SECRET_INPUT_BYTES,
  obtainNewPassword,
  promptSecret,
  readSecretFromStdin,
  stripOneNewline,
} from "../../../src/cli/shadowctl/prompt";

/** A fake terminal: a PassThrough with isTTY and a recorded raw mode. */
function fakeTerminal(): { stdin: CliInput; type: (text: string) => void; rawModes: boolean[] } {
  const stream = new PassThrough();
  const rawModes: boolean[] = [];
  const stdin = Object.assign(stream, {
    isTTY: true,
    setRawMode: (mode: boolean): PassThrough => {
      rawModes.push(mode);
      return stream;
    },
  });
  return { stdin, type: (text) => stream.write(text), rawModes };
}

function collector(): { write: (chunk: string | Uint8Array) => boolean; text: () => string } {
  let text = "";
  return {
    write: (chunk) => {
      text += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
      return true;
    },
    text: () => text,
  };
}

describe("stripOneNewline", () => {
  const cases: Array<[string, string, string]> = [
    ["one trailing newline is stripped", "secret\n", "secret"],
    ["only one of two newlines is stripped", "secret\n\n", "secret\n"],
    ["a carriage return is kept", "secret\r\n", "secret\r"],
    ["leading and inner white space is kept", "  se cret ", "  se cret "],
    ["an empty input stays empty", "", ""],
  ];
  for (const [name, input, output] of cases) {
    it(name, () => assert.equal(stripOneNewline(Buffer.from(input)).toString("utf8"), output));
  }
});

describe("readSecretFromStdin", () => {
  it("reads every chunk and strips one newline", async () => {
    const outcome = await readSecretFromStdin(Readable.from([Buffer.from("päss"), Buffer.from("word\n")]));
    assert.deepEqual(outcome, { kind: "ok", secret: Buffer.from("pässword") });
  });
  it("keeps bytes that are not UTF-8", async () => {
    const outcome = await readSecretFromStdin(Readable.from([Buffer.from([0xff, 0xfe, 0x0a])]));
    assert.deepEqual(outcome, { kind: "ok", secret: Buffer.from([0xff, 0xfe]) });
  });
  it("refuses more than the limit instead of reading forever", async () => {
    const outcome = await readSecretFromStdin(Readable.from([Buffer.alloc(MAX_SECRET_INPUT_BYTES + 1, 0x61)]));
    assert.deepEqual(outcome, { kind: "too-long" });
  });
});

describe("promptSecret", () => {
  it("reads up to Enter with echo off and restores the terminal", async () => {
    const terminal = fakeTerminal();
    const stderr = collector();
    const pending = promptSecret(terminal.stdin, stderr, "Password: ");
    terminal.type("hunter2\r");
    assert.deepEqual(await pending, { kind: "ok", secret: Buffer.from("hunter2") });
    assert.deepEqual(terminal.rawModes, [true, false]);
    assert.equal(stderr.text(), "Password: \n");
  });
  it("applies Backspace and Ctrl-U", async () => {
    const terminal = fakeTerminal();
    const pending = promptSecret(terminal.stdin, collector(), "Password: ");
    terminal.type("wrong\u0015abcd\u007f\u007fxy\n");
    assert.deepEqual(await pending, { kind: "ok", secret: Buffer.from("abxy") });
  });
  it("cancels on Ctrl-C", async () => {
    const terminal = fakeTerminal();
    const pending = promptSecret(terminal.stdin, collector(), "Password: ");
    terminal.type("abc\u0003");
    assert.deepEqual(await pending, { kind: "cancelled" });
    assert.deepEqual(terminal.rawModes, [true, false]);
  });
  it("does not prompt when standard input is not a terminal", async () => {
    const stderr = collector();
    assert.deepEqual(await promptSecret(Readable.from(["x\n"]), stderr, "Password: "), { kind: "cancelled" });
    assert.equal(stderr.text(), "");
  });
});

describe("obtainNewPassword", () => {
  it("prompts twice on a terminal and returns the password when both match", async () => {
    const terminal = fakeTerminal();
    const stderr = collector();
    const pending = obtainNewPassword(terminal.stdin, stderr, { fromStdin: false });
    terminal.type("n3w pass\r");
    await new Promise((resolve) => setImmediate(resolve));
    terminal.type("n3w pass\r");
    assert.deepEqual(await pending, { kind: "ok", secret: Buffer.from("n3w pass") });
    assert.equal(stderr.text(), "New password: \nRetype new password: \n");
  });
  it("keeps a pasted second line for the second prompt", async () => {
    const terminal = fakeTerminal();
    const pending = obtainNewPassword(terminal.stdin, collector(), { fromStdin: false });
    terminal.type("same\rsame\r");
    assert.deepEqual(await pending, { kind: "ok", secret: Buffer.from("same") });
  });
  it("reports a mismatch", async () => {
    const terminal = fakeTerminal();
    const pending = obtainNewPassword(terminal.stdin, collector(), { fromStdin: false });
    terminal.type("one\r");
    await new Promise((resolve) => setImmediate(resolve));
    terminal.type("two\r");
    assert.deepEqual(await pending, { kind: "mismatch" });
  });
  it("refuses to read a pipe without --stdin", async () => {
    assert.deepEqual(await obtainNewPassword(Readable.from(["pw\n"]), collector(), { fromStdin: false }), { kind: "not-a-terminal" });
  });
  it("reads a pipe with --stdin", async () => {
    assert.deepEqual(await obtainNewPassword(Readable.from(["pw\n"]), collector(), { fromStdin: true }), { kind: "ok", secret: Buffer.from("pw") });
  });
  it("refuses an empty password from a pipe", async () => {
    assert.deepEqual(await obtainNewPassword(Readable.from(["\n"]), collector(), { fromStdin: true }), { kind: "empty" });
  });
});
