// Owns how shadowctl obtains secrets: read from standard input (one trailing newline
// stripped, the rest verbatim) or typed at a terminal prompt without echo. Never prints them.
import { StringDecoder } from "node:string_decoder";
import type { CliInput, CliOutput } from "./context";

/** More than this on standard input is not a password: refuse instead of reading on. */
export const MAX_SECRET_INPUT_BYTES = 65536;

/** A secret, or why there is none. */
export type SecretOutcome =
  | { kind: "ok"; secret: Buffer }
  | { kind: "cancelled" }
  | { kind: "too-long" };

/** True when standard input is a terminal someone can type at. */
export function isInteractive(stdin: CliInput): boolean {
  return stdin.isTTY === true && typeof stdin.setRawMode === "function";
}

/** Remove one trailing "\n" (what `echo` and `printf '%s\n'` add); keep everything else. */
export function stripOneNewline(data: Buffer): Buffer {
  return data.length > 0 && data[data.length - 1] === 0x0a ? data.subarray(0, data.length - 1) : data;
}

/** Read standard input to its end as one secret, with one trailing newline stripped. */
export async function readSecretFromStdin(stdin: CliInput): Promise<SecretOutcome> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stdin as AsyncIterable<Buffer | string>) {
    const bytes = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk;
    total += bytes.length;
    if (total > MAX_SECRET_INPUT_BYTES) {
      stdin.destroy();
      return { kind: "too-long" };
    }
    chunks.push(bytes);
  }
  return { kind: "ok", secret: stripOneNewline(Buffer.concat(chunks)) };
}

/**
 * Show `prompt` on standard error and read one line from the terminal with echo off (raw
 * mode): Enter ends it, Backspace deletes, Ctrl-U clears, Ctrl-C or Ctrl-D on an empty
 * line cancels. The terminal mode is restored in every case.
 */
export function promptSecret(stdin: CliInput, stderr: CliOutput, prompt: string): Promise<SecretOutcome> {
  const setRawMode = stdin.setRawMode;
  if (stdin.isTTY !== true || setRawMode === undefined) return Promise.resolve({ kind: "cancelled" });
  return new Promise((resolve) => {
    const decoder = new StringDecoder("utf8");
    let typed: string[] = [];
    let done = false;
    const finish = (outcome: SecretOutcome): void => {
      if (done) return;
      done = true;
      stdin.off("data", onData);
      stdin.off("end", onEnd);
      setRawMode.call(stdin, false);
      stdin.pause();
      stderr.write("\n");
      resolve(outcome);
    };
    const onData = (chunk: Buffer | string): void => {
      const characters = [...(typeof chunk === "string" ? chunk : decoder.write(chunk))];
      for (let index = 0; index < characters.length && !done; index += 1) {
        const character = characters[index] ?? "";
        switch (character) {
          case "\r":
          case "\n": {
            // Keys typed ahead (a pasted second line) stay for the next prompt.
            const rest = characters.slice(index + 1).join("");
            finish({ kind: "ok", secret: Buffer.from(typed.join(""), "utf8") });
            if (rest !== "") stdin.unshift(Buffer.from(rest, "utf8"));
            return;
          }
          case "\u0003":
            finish({ kind: "cancelled" });
            return;
          case "\u0004":
            if (typed.length === 0) finish({ kind: "cancelled" });
            break;
          case "\u007f":
          case "\b":
            typed = typed.slice(0, -1);
            break;
          case "\u0015":
            typed = [];
            break;
          default:
            typed.push(character);
        }
      }
    };
    const onEnd = (): void => finish({ kind: "cancelled" });
    stderr.write(prompt);
    setRawMode.call(stdin, true);
    stdin.on("data", onData);
    stdin.on("end", onEnd);
    stdin.resume();
  });
}

/** A new password chosen by the operator, or why there is none. */
export type NewPasswordOutcome =
  | SecretOutcome
  | { kind: "empty" }
  | { kind: "mismatch" }
  | { kind: "not-a-terminal" };

/**
 * Obtain a new password the way passwd(1) does: on a terminal, prompt twice without echo
 * ("New password: " / "Retype new password: "); with `fromStdin` and no terminal, read it
 * from standard input. Without a terminal and without `fromStdin`, refuse: a script must
 * say --stdin explicitly.
 */
export async function obtainNewPassword(
  stdin: CliInput,
  stderr: CliOutput,
  options: { fromStdin: boolean },
): Promise<NewPasswordOutcome> {
  if (!isInteractive(stdin)) {
    if (!options.fromStdin) return { kind: "not-a-terminal" };
    const read = await readSecretFromStdin(stdin);
    if (read.kind === "ok" && read.secret.length === 0) return { kind: "empty" };
    return read;
  }
  const first = await promptSecret(stdin, stderr, "New password: ");
  if (first.kind !== "ok") return first;
  if (first.secret.length === 0) return { kind: "empty" };
  const second = await promptSecret(stdin, stderr, "Retype new password: ");
  if (second.kind !== "ok") return second;
  return first.secret.equals(second.secret) ? first : { kind: "mismatch" };
}

/**
 * The lines (for standard error) that explain why no new password was obtained, in
 * passwd(1)'s words where it has some. `tool` is the command name ("passwd", "useradd").
 */
export function describeMissingPassword(
  outcome: Exclude<NewPasswordOutcome, { kind: "ok" }>,
  tool: string,
): string {
  const unchanged = `${tool}: Authentication token manipulation error\n${tool}: password unchanged\n`;
  switch (outcome.kind) {
    case "mismatch":
      return `Sorry, passwords do not match.\n${unchanged}`;
    case "empty":
      return `No password has been supplied.\n${unchanged}`;
    case "cancelled":
      return `${tool}: password unchanged\n`;
    case "too-long":
      return `shadowctl: ${tool}: more than ${MAX_SECRET_INPUT_BYTES} bytes on standard input; that is not a password\n`;
    case "not-a-terminal":
      return (
        `shadowctl: ${tool}: standard input is not a terminal, so there is nobody to prompt.\n` +
        `Use --stdin to read the new password from it, e.g.: printf '%s\\n' "$PASSWORD" | shadowctl ${tool} --stdin LOGIN\n`
      );
    default: {
      const unreachable: never = outcome;
      return unreachable;
    }
  }
}
