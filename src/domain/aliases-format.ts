// Owns the aliases(5) text format as Postfix and sendmail read it: logical lines, alias names
// (folded to lower case), typed targets, problems by line, and the formatting back to text.
// Pure: no I/O. Following aliases to accounts is resolve-recipient.ts's job.
import { exceedsUtf8Bytes, MAX_IMPORTED_NAME_BYTES, MAX_LINE_BYTES, utf8ByteLength } from "./limits";
import { quoteForMessage } from "./names";
import { splitTextLines } from "./shadow-format";

/**
 * One destination of an alias:
 * - `local`: a local name, followed through the aliases to an account; `noAlias` for
 *   sendmail's `\name` (deliver to the account, never look the name up as an alias);
 * - `address`: anything with an `@` (`user@example.org`), listed, never followed: shadowd
 *   does not know which domains are local;
 * - `command`: `|command` (without the `|`);
 * - `file`: `/path` (or `~/path`);
 * - `include`: `:include:/path` (the path; the file is never read).
 */
export type AliasTarget =
  | { kind: "local"; name: string; noAlias: boolean }
  | { kind: "address"; address: string }
  | { kind: "command"; command: string }
  | { kind: "file"; path: string }
  | { kind: "include"; path: string };

/** One alias: its folded name, its targets in file order, and the line it starts on. */
export interface AliasEntry {
  name: string;
  targets: AliasTarget[];
  line: number;
}

/** A logical line that was not read as an alias; `name` is its alias name when one was read. */
export interface AliasProblem {
  line: number;
  name: string;
  reason: string;
}

/** What one pushed line completes: an alias, a problem, or (most often) nothing yet. */
export type AliasReadResult = { kind: "alias"; alias: AliasEntry } | { kind: "problem"; problem: AliasProblem };

/** A whole aliases file: its aliases (the first of each name) and its problems, by line. */
export interface ParsedAliases {
  aliases: AliasEntry[];
  problems: AliasProblem[];
}

/** Reads an aliases file one physical line at a time (see createAliasesReader). */
export interface AliasesReader {
  /** Take the next line (without its "\n"); returns what the previous logical line became. */
  push(line: string): AliasReadResult[];
  /** The end of the file: returns what the last logical line became. */
  end(): AliasReadResult[];
}

/** The longest logical line (an alias with its continuation lines), in UTF-8 bytes. */
export const MAX_ALIAS_ENTRY_BYTES = 1024 * 1024;
/** The most targets one alias may list. */
export const MAX_ALIAS_TARGETS = 10_000;

/** Characters that make a name or target need double quotes in aliases(5) text. */
const NEEDS_QUOTES = /[\s,"()<>\\]/u;
/** Characters no logical line may hold: C0 controls (but tab, line feed, carriage return) and DEL. */
const CONTROL_CHARACTER = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/u;
const INCLUDE_PREFIX = ":include:";

/**
 * The key an alias name is stored and looked up under: lower case, as Postfix's postalias
 * and local(8) fold it (sendmail too). Folding is Unicode-aware.
 */
export function foldAliasName(name: string): string {
  return name.toLowerCase();
}

/**
 * A reader of aliases(5) text, line by line, for files of any size. The rules (Postfix 3.7's
 * postalias, which sendmail's newaliases shares):
 * - empty and white-space-only lines, and lines whose first non-white-space character is
 *   `#`, are ignored, and do not end a logical line;
 * - a line starting with white space continues the logical line before it;
 * - a logical line is `name: target, target, ...`; the name is everything before the first
 *   `:` outside double quotes, trimmed, unquoted, and folded to lower case; `@` is allowed
 *   only inside quotes (postalias: "name must be local");
 * - targets are separated by commas or white space; `"..."` quotes (with `\` escapes),
 *   `(comments)` are dropped, `Phrase <address>` keeps the address, an unquoted `|command`
 *   runs to the next comma; `\name`, `|command`, `/file`, `~/file`, `:include:/file` and
 *   `user@domain` are typed (AliasTarget), anything else is a local name.
 * Problems (line-numbered, first line of the logical line): no `:`, an empty name, a name
 * with a domain, no targets, a duplicate name (case-insensitive; the first one counts),
 * unbalanced quotes, parentheses or angle brackets, control characters, invalid UTF-8
 * (U+FFFD), and oversize entries. `#` inside a line is not a comment: a target starting with
 * an unquoted `#` is reported.
 */
export function createAliasesReader(): AliasesReader {
  let lineNumber = 0;
  let pending: Pending | null = null;
  const firstLineOf = new Map<string, number>();

  const finish = (): AliasReadResult[] => {
    const entry = pending;
    pending = null;
    if (entry === null || entry.orphan) return [];
    if (entry.longLine !== null) return [problem(entry.longLine, "", `the line is longer than ${MAX_LINE_BYTES} bytes`)];
    if (entry.bytes > MAX_ALIAS_ENTRY_BYTES) {
      return [problem(entry.line, "", `the alias (with its continuation lines) is longer than ${MAX_ALIAS_ENTRY_BYTES} bytes`)];
    }
    return [readLogicalLine(entry.parts.join("\n"), entry.line, firstLineOf)];
  };

  return {
    push(line: string): AliasReadResult[] {
      lineNumber++;
      const text = lineNumber === 1 && line.startsWith("\uFEFF") ? line.slice(1) : line;
      if (/^\s*$/u.test(text) || /^\s*#/u.test(text)) return [];
      if (/^\s/u.test(text)) {
        if (pending === null) {
          pending = { line: lineNumber, parts: [], bytes: 0, orphan: true, longLine: null };
          return [problem(lineNumber, "", "a continuation line (it starts with white space) with no alias line before it")];
        }
        if (!pending.orphan) appendPart(pending, text, lineNumber);
        return [];
      }
      const done = finish();
      pending = { line: lineNumber, parts: [], bytes: 0, orphan: false, longLine: null };
      appendPart(pending, text, lineNumber);
      return done;
    },
    end(): AliasReadResult[] {
      return finish();
    },
  };
}

/** Parse a whole aliases(5) text (see createAliasesReader for the rules). */
export function parseAliasesText(text: string): ParsedAliases {
  const reader = createAliasesReader();
  const parsed: ParsedAliases = { aliases: [], problems: [] };
  const take = (results: AliasReadResult[]): void => {
    for (const result of results) {
      if (result.kind === "alias") parsed.aliases.push(result.alias);
      else parsed.problems.push(result.problem);
    }
  };
  for (const line of splitTextLines(text)) take(reader.push(line));
  take(reader.end());
  return parsed;
}

/**
 * A target as aliases(5) text that parses back to the same target: `name`, `\name`,
 * `user@example.org`, `"|command"` (always quoted), `/file`, `:include:/file`, quoted
 * where white space or special characters need it.
 */
export function formatAliasTarget(target: AliasTarget): string {
  switch (target.kind) {
    case "local": {
      const text = target.noAlias ? `\\${target.name}` : target.name;
      return needsQuotes(target.name) ? quote(text) : text;
    }
    case "address":
      return formatAddress(target.address);
    case "command":
      return quote(`|${target.command}`);
    case "file":
      return needsQuotes(target.path) ? quote(target.path) : target.path;
    case "include":
      return needsQuotes(target.path) ? quote(`${INCLUDE_PREFIX}${target.path}`) : `${INCLUDE_PREFIX}${target.path}`;
    default: {
      const unreachable: never = target;
      return unreachable;
    }
  }
}

/**
 * A target as a mail administrator reads it, unquoted: `name`, `\name`, `user@example.org`,
 * `|command`, `/file`, `:include:/file`. (ResolveRecipient's other targets.)
 */
export function describeAliasTarget(target: AliasTarget): string {
  switch (target.kind) {
    case "local":
      return target.noAlias ? `\\${target.name}` : target.name;
    case "address":
      return formatAddress(target.address);
    case "command":
      return `|${target.command}`;
    case "file":
      return target.path;
    case "include":
      return `${INCLUDE_PREFIX}${target.path}`;
    default: {
      const unreachable: never = target;
      return unreachable;
    }
  }
}

/** An alias name as the left-hand side of an aliases(5) line: quoted when it needs to be. */
export function formatAliasName(name: string): string {
  return needsQuotes(name) || /[:@]/u.test(name) ? quote(name) : name;
}

/** The aliases(5) line of an entry, `name: target, target`, which parses back to it. */
export function formatAliasLine(entry: Pick<AliasEntry, "name" | "targets">): string {
  return `${formatAliasName(entry.name)}: ${entry.targets.map(formatAliasTarget).join(", ")}`;
}

// ---------------------------------------------------------------------------------------
// One logical line

function problem(line: number, name: string, reason: string): AliasReadResult {
  return { kind: "problem", problem: { line, name, reason } };
}

/** A logical line being collected. */
interface Pending {
  line: number;
  parts: string[];
  bytes: number;
  /** A continuation line with no alias line before it (reported at once, then skipped). */
  orphan: boolean;
  /** The first of its physical lines longer than MAX_LINE_BYTES, or null. */
  longLine: number | null;
}

function appendPart(entry: Pending, text: string, line: number): void {
  if (entry.longLine !== null || entry.bytes > MAX_ALIAS_ENTRY_BYTES) return;
  if (exceedsUtf8Bytes(text, MAX_LINE_BYTES)) {
    entry.longLine = line;
    entry.parts = [];
    return;
  }
  entry.bytes += utf8ByteLength(text) + (entry.parts.length > 0 ? 1 : 0);
  if (entry.bytes <= MAX_ALIAS_ENTRY_BYTES) entry.parts.push(text);
  else entry.parts = [];
}

function readLogicalLine(text: string, line: number, firstLineOf: Map<string, number>): AliasReadResult {
  const head = readName(text);
  if (!head.ok) return problem(line, "", head.reason);
  const name = foldAliasName(head.name);
  const textProblem = describeBadCharacters(text);
  if (textProblem !== null) return problem(line, name, textProblem);
  const first = firstLineOf.get(name);
  if (first !== undefined) return problem(line, name, `duplicate alias ${quoteForMessage(name)}: it is first defined on line ${first}`);
  firstLineOf.set(name, line);
  const targets = readTargets(text.slice(head.end));
  if (!targets.ok) return problem(line, name, targets.reason);
  if (targets.targets.length === 0) return problem(line, name, "no targets after ':'");
  if (targets.targets.length > MAX_ALIAS_TARGETS) return problem(line, name, `more than ${MAX_ALIAS_TARGETS} targets`);
  return { kind: "alias", alias: { name, targets: targets.targets, line } };
}

function describeBadCharacters(text: string): string | null {
  if (text.includes("\uFFFD")) return "the line is not valid UTF-8 (or contains U+FFFD)";
  const control = CONTROL_CHARACTER.exec(text);
  if (control === null) return null;
  return `the line contains the control character U+${control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`;
}

type NameRead = { ok: true; name: string; end: number } | { ok: false; reason: string };

/** The alias name before the first `:` outside quotes; `end` is just after that `:`. */
function readName(text: string): NameRead {
  let name = "";
  let inQuotes = false;
  let unquotedAt = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] ?? "";
    if (inQuotes) {
      if (c === "\\" && i + 1 < text.length) name += text[++i] ?? "";
      else if (c === '"') inQuotes = false;
      else name += c;
      continue;
    }
    if (c === '"') {
      inQuotes = true;
      continue;
    }
    if (c !== ":") {
      if (c === "@") unquotedAt = true;
      name += c;
      continue;
    }
    const trimmed = name.trim();
    if (trimmed === "") return { ok: false, reason: "the alias name before ':' is empty" };
    if (unquotedAt) {
      return { ok: false, reason: `the alias name ${quoteForMessage(trimmed)} has a domain part: an alias is a local part (quote it to keep the "@")` };
    }
    if (exceedsUtf8Bytes(trimmed, MAX_IMPORTED_NAME_BYTES)) {
      return { ok: false, reason: `the alias name is ${utf8ByteLength(trimmed)} bytes; at most ${MAX_IMPORTED_NAME_BYTES} are allowed` };
    }
    return { ok: true, name: trimmed, end: i + 1 };
  }
  if (inQuotes) return { ok: false, reason: 'an unterminated " in the alias name' };
  return { ok: false, reason: "no ':' after the alias name (an alias line is name: target, target, ...)" };
}

// ---------------------------------------------------------------------------------------
// The right-hand side

/** A word of the target list: its unquoted text, and whether any of it was quoted. */
interface Word {
  value: string;
  quoted: boolean;
}

/** One piece of a comma-separated list item. */
type Item = { kind: "word"; word: Word } | { kind: "angle"; word: Word } | { kind: "command"; text: string };

type Outcome<T> = ({ ok: true } & T) | { ok: false; reason: string };

function isSpace(c: string): boolean {
  return c === " " || c === "\t" || c === "\n" || c === "\r";
}

/** Ends a word outside quotes. */
function isWordEnd(c: string): boolean {
  return isSpace(c) || c === "," || c === "(" || c === ")" || c === "<" || c === ">";
}

/** Read one word at `start`: plain characters, `"quoted"` runs, `\` escapes. */
function readWord(text: string, start: number): Outcome<{ word: Word; end: number }> {
  let value = "";
  let quoted = false;
  let i = start;
  while (i < text.length) {
    const c = text[i] ?? "";
    if (isWordEnd(c)) break;
    if (c === '"') {
      quoted = true;
      i++;
      for (;;) {
        if (i >= text.length) return { ok: false, reason: 'an unterminated "' };
        const q = text[i] ?? "";
        if (q === '"') break;
        if (q === "\\" && i + 1 < text.length) {
          value += text[i + 1] ?? "";
          i += 2;
        } else {
          value += q;
          i++;
        }
      }
      i++;
      continue;
    }
    if (c === "\\") {
      // A leading backslash is sendmail's "no further aliasing" mark and stays in the value.
      if (value === "" && !quoted) {
        value = "\\";
        i++;
      } else if (i + 1 < text.length) {
        value += text[i + 1] ?? "";
        i += 2;
      } else {
        value += c;
        i++;
      }
      continue;
    }
    value += c;
    i++;
  }
  return { ok: true, word: { value, quoted }, end: i };
}

/** The index after a `(comment)` starting at `start` (nesting and escapes allowed), or -1. */
function skipComment(text: string, start: number): number {
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (c === "\\") i++;
    else if (c === "(") depth++;
    else if (c === ")" && --depth === 0) return i + 1;
  }
  return -1;
}

/** The index of the `stop` character at or after `start` outside double quotes, or -1 (or the end, with `orEnd`). */
function findOutsideQuotes(text: string, start: number, stop: string, orEnd: boolean): number {
  let inQuotes = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inQuotes) {
      if (c === "\\") i++;
      else if (c === '"') inQuotes = false;
    } else if (c === '"') inQuotes = true;
    else if (c === stop) return i;
  }
  if (inQuotes) return -1;
  return orEnd ? text.length : -1;
}

/** Split the text after `:` into comma-separated list items of words. */
function scanList(text: string): Outcome<{ items: Item[][] }> {
  const items: Item[][] = [];
  let current: Item[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] ?? "";
    if (isSpace(c)) {
      i++;
    } else if (c === ",") {
      if (current.length > 0) items.push(current);
      current = [];
      i++;
    } else if (c === "(") {
      const end = skipComment(text, i);
      if (end < 0) return { ok: false, reason: 'an unterminated "(" comment' };
      i = end;
    } else if (c === ")") {
      return { ok: false, reason: 'a ")" without "("' };
    } else if (c === ">") {
      return { ok: false, reason: 'a ">" without "<"' };
    } else if (c === "<") {
      const end = findOutsideQuotes(text, i + 1, ">", false);
      if (end < 0) return { ok: false, reason: 'an unterminated "<address>"' };
      const inner = text.slice(i + 1, end).trim();
      const read = readWord(inner, 0);
      if (!read.ok) return read;
      if (read.end !== inner.length) return { ok: false, reason: `"<${inner}>" must hold exactly one address` };
      current.push({ kind: "angle", word: read.word });
      i = end + 1;
    } else if (c === "|" && current.length === 0) {
      // An unquoted command runs to the next comma (sendmail's reading; Postfix wants quotes).
      const end = findOutsideQuotes(text, i, ",", true);
      if (end < 0) return { ok: false, reason: 'an unterminated " in a command' };
      current.push({ kind: "command", text: text.slice(i + 1, end).trim() });
      i = end;
    } else {
      const read = readWord(text, i);
      if (!read.ok) return read;
      current.push({ kind: "word", word: read.word });
      i = read.end;
    }
  }
  if (current.length > 0) items.push(current);
  return { ok: true, items };
}

function readTargets(text: string): Outcome<{ targets: AliasTarget[] }> {
  const scanned = scanList(text);
  if (!scanned.ok) return scanned;
  const targets: AliasTarget[] = [];
  const add = (typed: Outcome<{ target: AliasTarget }>): string | null => {
    if (!typed.ok) return typed.reason;
    targets.push(typed.target);
    return null;
  };
  for (const item of scanned.items) {
    const angles = item.flatMap((piece) => (piece.kind === "angle" ? [piece.word] : []));
    if (angles.length > 1) return { ok: false, reason: "one list item holds more than one <address>" };
    const angle = angles[0];
    if (angle !== undefined) {
      if (angle.value === "") return { ok: false, reason: "an empty <>" };
      const failed = add(typeWord(angle));
      if (failed !== null) return { ok: false, reason: failed };
      continue;
    }
    for (let k = 0; k < item.length; k++) {
      const piece = item[k];
      if (piece === undefined || piece.kind === "angle") continue;
      let failed: string | null;
      if (piece.kind === "command") {
        failed = piece.text === "" ? "'|' without a command" : add({ ok: true, target: { kind: "command", command: piece.text } });
      } else {
        const next = item[k + 1];
        const bareInclude = !piece.word.quoted && piece.word.value.toLowerCase() === INCLUDE_PREFIX;
        if (bareInclude && next !== undefined && next.kind === "word") {
          // `:include: /file` with white space before the file name.
          failed = add(typeWord({ value: `${INCLUDE_PREFIX}${next.word.value}`, quoted: next.word.quoted }));
          k++;
        } else {
          failed = add(typeWord(piece.word));
        }
      }
      if (failed !== null) return { ok: false, reason: failed };
    }
  }
  return { ok: true, targets };
}

/** What kind of target a word is (see AliasTarget). */
function typeWord(word: Word): Outcome<{ target: AliasTarget }> {
  const value = word.value;
  if (value.trim() === "") return { ok: false, reason: "an empty target" };
  const shown = quoteForMessage(value);
  if (value.startsWith("\\") && !value.includes("@")) {
    const name = value.slice(1);
    if (name.trim() === "") return { ok: false, reason: "a lone backslash: \\name needs a name" };
    return { ok: true, target: { kind: "local", name, noAlias: true } };
  }
  const text = value.startsWith("\\") ? value.slice(1) : value;
  if (text.startsWith("|")) {
    const command = text.slice(1).trim();
    if (command === "") return { ok: false, reason: "'|' without a command" };
    return { ok: true, target: { kind: "command", command } };
  }
  if (text.startsWith("/") || text.startsWith("~/")) return { ok: true, target: { kind: "file", path: text } };
  if (text.toLowerCase().startsWith(INCLUDE_PREFIX)) {
    const path = text.slice(INCLUDE_PREFIX.length).trim();
    if (path === "") return { ok: false, reason: "':include:' without a file name" };
    if (!path.startsWith("/")) return { ok: false, reason: `':include:' needs an absolute file name, not ${quoteForMessage(path)}` };
    return { ok: true, target: { kind: "include", path } };
  }
  if (text.startsWith("#") && !word.quoted) {
    return { ok: false, reason: `${shown}: '#' starts a comment only at the beginning of a line` };
  }
  const at = text.lastIndexOf("@");
  if (at >= 0) {
    if (at === 0 || at === text.length - 1) return { ok: false, reason: `${shown} is not an address (user@domain)` };
    return { ok: true, target: { kind: "address", address: text } };
  }
  return { ok: true, target: { kind: "local", name: text, noAlias: false } };
}

// ---------------------------------------------------------------------------------------
// Formatting

function needsQuotes(text: string): boolean {
  return NEEDS_QUOTES.test(text) || text.startsWith("#") || text === "";
}

function quote(text: string): string {
  return `"${text.replace(/["\\]/g, "\\$&")}"`;
}

/** `user@domain`, quoting the local part (or, for an odd domain, the whole) when needed. */
function formatAddress(address: string): string {
  const at = address.lastIndexOf("@");
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);
  if (needsQuotes(domain)) return quote(address);
  return `${needsQuotes(local) ? quote(local) : local}@${domain}`;
}
