// Owns the /etc/shadow and /etc/passwd text formats: glibc 2.36's line rules (sgetspent,
// nss_files), import policy on top of them, line readers for streaming and whole texts,
// writing lines back, and joining both files into Accounts. Pure; imports only domain/.

import type { Account, ShadowFields } from "./account";
import {
  MAX_GECOS_BYTES,
  MAX_HOME_BYTES,
  MAX_IMPORTED_NAME_BYTES,
  MAX_LINE_BYTES,
  MAX_SHELL_BYTES,
  exceedsUtf8Bytes,
} from "./limits";
import {
  quoteForMessage,
  validateImportedAccountName,
  validateImportedFieldText,
  validateImportedHashText,
} from "./names";

/** One shadow line: the account name and its fields. */
export interface ShadowEntry {
  name: string;
  fields: ShadowFields;
}

/** One passwd line: an Account without its shadow part. */
export type PasswdEntry = Omit<Account, "shadow">;

/** The verdict on one line: the entry, or why the line is not one. */
export type LineParse<E> = { ok: true; entry: E } | { ok: false; reason: string };

/** An accepted line: its 1-based number, its text as read, and the entry. */
export interface ParsedLine<E> {
  line: number;
  text: string;
  entry: E;
}

/** A line that was not imported, with the name on it (as far as it could be read). */
export interface LineProblem {
  line: number;
  name: string;
  reason: string;
}

/** What a line reader made of one line (comments and blank lines are "skip"). */
export type LineResult<E> =
  | { kind: "skip"; line: number }
  | ({ kind: "entry" } & ParsedLine<E>)
  | ({ kind: "problem" } & LineProblem);

/** A whole file: accepted entries in file order, and the problems. */
export interface ParsedText<E> {
  entries: ParsedLine<E>[];
  problems: LineProblem[];
}

/** A problem found when joining passwd and shadow entries. */
export interface JoinProblem extends LineProblem {
  file: "passwd" | "shadow";
}

/** The Accounts of a passwd file plus its shadow file. */
export interface JoinedAccounts {
  accounts: Account[];
  problems: JoinProblem[];
}

/** Splits a byte stream into lines; see createLineSplitter. */
export interface LineSplitter {
  /** The complete lines this chunk finishes, without their "\n". */
  push(chunk: Uint8Array): string[];
  /** The last line when the input does not end with "\n" (flushes a cut UTF-8 sequence). */
  end(): string[];
}

const MAX_UINT32 = 4_294_967_295;
const TWO_POW_32 = 4_294_967_296;
const MIN_INT32 = -2_147_483_648;
const MAX_INT32 = 2_147_483_647;
/** How the shadow line's fields are named in problems (field 1 is the name). */
const SHADOW_FIELD_LABELS = [
  "name",
  "password hash",
  "last change",
  "minimum days",
  "maximum days",
  "warning days",
  "inactive days",
  "expire date",
  "reserved flag",
] as const;
const SHADOW_SHAPES = "a shadow line has 9 fields (or 8, or the old 5)";
const PASSWD_SHAPE = "a passwd line has name:password:uid:gid, then optionally gecos, home and shell";

/**
 * Parses one shadow line exactly as glibc 2.36's sgetspent() does, except that NIS compat
 * lines (a name starting with "+" or "-") are refused, since getspnam() never returns them:
 * - the text is cut at the first "\n"; fields are separated by ":"; the name and the hash
 *   keep every other character (white space too);
 * - 9 fields; 8 when the expire date is not empty; the old 5-field form
 *   `name:hash:lastchg:min:max`, optionally followed by ":" and white space (an empty max
 *   needs that ":");
 * - a numeric field is empty (null) or strtoul's syntax: white space, an optional "+" (or
 *   "-" before a zero), decimal digits, nothing else before the next ":"; a negative value
 *   or one above 4294967295 rejects the line; 2^31..2^32-1 wrap to negative (4294967295
 *   is -1); the 6th field may also be white space only (empty);
 * - the 9th field is kept verbatim; it must be empty or a number (no ":" after it).
 * Import policy (names, sizes, encoding) is classifyShadowLine's job, not this function's.
 */
export function parseShadowLine(line: string): LineParse<ShadowEntry> {
  const newline = line.indexOf("\n");
  const text = newline < 0 ? line : line.slice(0, newline);
  if (text.includes("\0")) return { ok: false, reason: "the line contains a NUL byte" };
  const cursor = { text, pos: 0 };
  const name = readStringField(cursor);
  if (name.startsWith("+") || name.startsWith("-")) {
    return { ok: false, reason: `NIS compat entry ${quoteForMessage(name)}: "+"/"-" lines are not supported; list the account itself` };
  }
  const hash = readStringField(cursor);
  const lastChange = readNumberField(cursor, 3, cursor.pos);
  if (!lastChange.ok) return lastChange;
  const minDays = readNumberField(cursor, 4, cursor.pos);
  if (!minDays.ok) return minDays;
  const maxDays = readNumberField(cursor, 5, cursor.pos);
  if (!maxDays.ok) return maxDays;
  const warnStart = cursor.pos;
  while (cursor.pos < text.length && isCSpace(text.charCodeAt(cursor.pos))) cursor.pos++;
  const fields: ShadowFields = {
    hash,
    lastChange: lastChange.value,
    minDays: minDays.value,
    maxDays: maxDays.value,
    warnDays: null,
    inactiveDays: null,
    expireDate: null,
    flag: "",
  };
  if (cursor.pos === text.length) return { ok: true, entry: { name, fields } }; // the old 5-field form
  const warnDays = readNumberField(cursor, 6, warnStart);
  if (!warnDays.ok) return warnDays;
  const inactiveDays = readNumberField(cursor, 7, cursor.pos);
  if (!inactiveDays.ok) return inactiveDays;
  const expireDate = readNumberField(cursor, 8, cursor.pos);
  if (!expireDate.ok) return expireDate;
  fields.warnDays = warnDays.value;
  fields.inactiveDays = inactiveDays.value;
  fields.expireDate = expireDate.value;
  if (cursor.pos < text.length) {
    const flag = text.slice(cursor.pos);
    const problem = checkFlagText(flag, text);
    if (problem !== null) return { ok: false, reason: problem };
    fields.flag = flag;
  }
  return { ok: true, entry: { name, fields } };
}

/**
 * Parses one passwd line exactly as glibc 2.36's passwd parser does (pwd/fgetpwent_r.c's
 * LINE_PARSER, which getpwnam() uses through nss_files), except that NIS compat lines (a
 * name starting with "+" or "-") are refused, since getpwnam() never returns them:
 * - the text is cut at the first "\n"; the name and the password are up to the next ":"
 *   and keep every other character (white space, "\r" too);
 * - uid and gid are strtoul's syntax: C white space, an optional "+" (or "-" before zeros
 *   only), at least one decimal digit, then ":" or the end of the line; a value above
 *   4294967295 (or a negative one) rejects the line; 4294967295 itself is accepted;
 * - gecos and home are up to the next ":"; the shell is the REST of the line, ":" included;
 * - the line must reach the gid; gecos, home and shell missing after it are empty.
 * Import policy (names, sizes, encoding) is classifyPasswdLine's job, not this function's.
 */
export function parsePasswdLine(line: string): LineParse<PasswdEntry> {
  const newline = line.indexOf("\n");
  const text = newline < 0 ? line : line.slice(0, newline);
  if (text.includes("\0")) return { ok: false, reason: "the line contains a NUL byte" };
  const cursor = { text, pos: 0 };
  const name = readStringField(cursor);
  if (name.startsWith("+") || name.startsWith("-")) {
    return { ok: false, reason: `NIS compat entry ${quoteForMessage(name)}: "+"/"-" lines are not supported; list the account itself` };
  }
  const passwdPassword = readStringField(cursor);
  const uid = readIdField(cursor, 3, "uid");
  if (typeof uid === "string") return { ok: false, reason: uid };
  const gid = readIdField(cursor, 4, "gid");
  if (typeof gid === "string") return { ok: false, reason: gid };
  const gecos = readStringField(cursor);
  const home = readStringField(cursor);
  const shell = text.slice(cursor.pos);
  return { ok: true, entry: { name, passwdPassword, uid, gid, gecos, home, shell } };
}

/**
 * One shadow line under the import rules: after glibc's own skipping (leading white space,
 * then blank lines and "#" comments), a line longer than 65536 bytes, with a NUL or invalid
 * UTF-8 (U+FFFD), that parseShadowLine refuses, with an invalid imported name or an
 * unusable hash is a problem. Duplicates are the line reader's business.
 */
export function classifyShadowLine(text: string): LineParse<ShadowEntry> | { skip: true } {
  const content = stripLeadingCSpace(text);
  if (content === "" || content.startsWith("#")) return { skip: true };
  const encodingProblem = checkLineText(content);
  if (encodingProblem !== null) return { ok: false, reason: encodingProblem };
  const parsed = parseShadowLine(content);
  if (!parsed.ok) return parsed;
  const nameProblem = validateImportedAccountName(parsed.entry.name);
  if (nameProblem !== null) return { ok: false, reason: nameProblem };
  const hashProblem = validateImportedHashText(parsed.entry.fields.hash);
  if (hashProblem !== null) return { ok: false, reason: hashProblem };
  return parsed;
}

/**
 * One passwd line under the import rules: skipping and encoding as classifyShadowLine, then
 * parsePasswdLine, the imported-name rule, and the size limits of the password field and of
 * gecos, home and shell. Their other characters are kept as glibc keeps them (a "\r" from
 * Windows line endings ends up in the shell, and pam_unix still logs the account in).
 */
export function classifyPasswdLine(text: string): LineParse<PasswdEntry> | { skip: true } {
  const content = stripLeadingCSpace(text);
  if (content === "" || content.startsWith("#")) return { skip: true };
  const encodingProblem = checkLineText(content);
  if (encodingProblem !== null) return { ok: false, reason: encodingProblem };
  const parsed = parsePasswdLine(content);
  if (!parsed.ok) return parsed;
  const entry = parsed.entry;
  const problem =
    validateImportedAccountName(entry.name) ??
    validateImportedHashText(entry.passwdPassword) ??
    validateImportedFieldText("gecos field", entry.gecos, MAX_GECOS_BYTES) ??
    validateImportedFieldText("home directory", entry.home, MAX_HOME_BYTES) ??
    validateImportedFieldText("login shell", entry.shell, MAX_SHELL_BYTES, { colonAllowed: true });
  if (problem !== null) return { ok: false, reason: problem };
  return parsed;
}

/**
 * A stateful reader for a shadow file fed one line at a time (streaming: nothing but the
 * names seen so far is kept). Lines are numbered from 1 in call order. The first valid line
 * for a name wins, as with getspnam(); a later valid one is a "duplicate" problem.
 */
export function createShadowLineReader(): (text: string) => LineResult<ShadowEntry> {
  return createLineReader(classifyShadowLine, "shadow");
}

/** As createShadowLineReader, for a passwd file (first entry for a name wins, as getpwnam()). */
export function createPasswdLineReader(): (text: string) => LineResult<PasswdEntry> {
  return createLineReader(classifyPasswdLine, "passwd");
}

/** A whole shadow file: its entries (first of each name) and its problems, by line. */
export function parseShadowText(text: string): ParsedText<ShadowEntry> {
  return collectLines(splitTextLines(text), createShadowLineReader());
}

/** A whole passwd file: its entries (first of each name) and its problems, by line. */
export function parsePasswdText(text: string): ParsedText<PasswdEntry> {
  return collectLines(splitTextLines(text), createPasswdLineReader());
}

/** The lines of a text, cut at "\n" (a final "\n" does not start another line; "\r" stays). */
export function splitTextLines(text: string): string[] {
  if (text === "") return [];
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/**
 * Splits a byte stream (chunks cut anywhere) into lines. Bytes are decoded as UTF-8 with
 * invalid sequences turned into U+FFFD (which the classifiers report) and a BOM kept. A line
 * longer than MAX_LINE_BYTES is cut to just over the limit, so memory stays bounded and the
 * classifier still reports it as too long.
 */
export function createLineSplitter(): LineSplitter {
  const decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });
  const cap = MAX_LINE_BYTES + 1;
  let pending = "";
  let discarding = false;
  const take = (decoded: string): string[] => {
    const lines: string[] = [];
    let start = 0;
    for (;;) {
      const newline = decoded.indexOf("\n", start);
      const piece = newline < 0 ? decoded.slice(start) : decoded.slice(start, newline);
      if (!discarding) {
        pending += piece;
        if (pending.length > cap) {
          pending = pending.slice(0, cap);
          discarding = true;
        }
      }
      if (newline < 0) break;
      lines.push(pending);
      pending = "";
      discarding = false;
      start = newline + 1;
    }
    return lines;
  };
  return {
    push: (chunk) => take(decoder.decode(chunk, { stream: true })),
    end: () => {
      const lines = take(decoder.decode());
      if (pending !== "") lines.push(pending);
      pending = "";
      discarding = false;
      return lines;
    },
  };
}

/**
 * The shadow line for an entry: 9 fields, null numbers empty, negative numbers as their
 * unsigned 32-bit form (-1 → 4294967295), so parseShadowLine gives the same fields back.
 * Fields must pass validateShadowFields.
 */
export function formatShadowLine(name: string, fields: ShadowFields): string {
  return [
    name,
    fields.hash,
    formatShadowNumber(fields.lastChange),
    formatShadowNumber(fields.minDays),
    formatShadowNumber(fields.maxDays),
    formatShadowNumber(fields.warnDays),
    formatShadowNumber(fields.inactiveDays),
    formatShadowNumber(fields.expireDate),
    fields.flag,
  ].join(":");
}

/**
 * The passwd line of an account (its shadow part is not used): 7 fields, the shell last (it
 * may hold ":"), so parsePasswdLine gives the same entry back. Name, password, gecos and home
 * must not hold ":" or "\n" (validatePasswdEntry).
 */
export function formatPasswdLine(entry: PasswdEntry): string {
  return [entry.name, entry.passwdPassword, entry.uid, entry.gid, entry.gecos, entry.home, entry.shell].join(":");
}

/**
 * Whether passwd fields can be stored and written back as a line parsePasswdLine reads the
 * same: the imported-name rule, uid and gid integers 0..4294967295, and the rules of
 * validateImportedHashText / validateImportedFieldText (":" allowed in the shell only).
 * Null when valid, else the reason.
 */
export function validatePasswdEntry(entry: PasswdEntry): string | null {
  const nameProblem = validateImportedAccountName(entry.name);
  if (nameProblem !== null) return nameProblem;
  for (const [label, value] of [["uid", entry.uid], ["gid", entry.gid]] as const) {
    if (!Number.isInteger(value) || value < 0 || value > MAX_UINT32) return `the ${label} ${value} is not in 0..${MAX_UINT32}`;
  }
  return (
    validateImportedHashText(entry.passwdPassword) ??
    validateImportedFieldText("gecos field", entry.gecos, MAX_GECOS_BYTES) ??
    validateImportedFieldText("home directory", entry.home, MAX_HOME_BYTES) ??
    validateImportedFieldText("login shell", entry.shell, MAX_SHELL_BYTES, { colonAllowed: true })
  );
}

/**
 * Whether fields can be stored and written back: the hash rule of validateImportedHashText
 * (what glibc reads back), numbers null or integers in glibc's 32-bit range
 * (-2147483648..2147483647), and a flag that is empty or a number glibc accepts. Null when
 * valid, else the reason.
 */
export function validateShadowFields(fields: ShadowFields): string | null {
  const hashProblem = validateImportedHashText(fields.hash);
  if (hashProblem !== null) return hashProblem;
  const numbers: Array<[number, number | null]> = [
    [3, fields.lastChange],
    [4, fields.minDays],
    [5, fields.maxDays],
    [6, fields.warnDays],
    [7, fields.inactiveDays],
    [8, fields.expireDate],
  ];
  for (const [field, value] of numbers) {
    if (value !== null && (!Number.isInteger(value) || value < MIN_INT32 || value > MAX_INT32)) {
      return `the ${fieldLabel(field)} ${value} is not a 32-bit day count (${MIN_INT32}..${MAX_INT32}, or empty)`;
    }
  }
  if (fields.flag.includes(":")) return 'the reserved flag contains ":" (the field separator)';
  if (fields.flag !== "") return checkFlagText(fields.flag, fields.flag);
  return null;
}

/**
 * Joins passwd and shadow entries into Accounts, in passwd order. A passwd entry without a
 * shadow entry gets `shadow: null` (with "x" it can never authenticate: PAM_AUTHINFO_UNAVAIL).
 * A shadow entry is attached even when the passwd field holds the hash itself: pam_unix then
 * ignores it (no aging, see evaluateAccountAging) but chage -l shows it and export keeps it.
 * A shadow entry without a passwd entry is a problem "no matching passwd entry".
 */
export function joinAccounts(
  passwdEntries: ReadonlyArray<Pick<ParsedLine<PasswdEntry>, "line" | "entry">>,
  shadowEntries: ReadonlyArray<Pick<ParsedLine<ShadowEntry>, "line" | "entry">>,
): JoinedAccounts {
  const shadowByName = new Map<string, ShadowFields>();
  for (const { entry } of shadowEntries) {
    if (!shadowByName.has(entry.name)) shadowByName.set(entry.name, entry.fields);
  }
  const passwdNames = new Set<string>();
  const accounts: Account[] = [];
  for (const { entry } of passwdEntries) {
    if (passwdNames.has(entry.name)) continue;
    passwdNames.add(entry.name);
    // Spelled out: object spread is several times slower on a million entries.
    accounts.push({
      name: entry.name,
      passwdPassword: entry.passwdPassword,
      uid: entry.uid,
      gid: entry.gid,
      gecos: entry.gecos,
      home: entry.home,
      shell: entry.shell,
      shadow: shadowByName.get(entry.name) ?? null,
    });
  }
  const problems: JoinProblem[] = [];
  for (const { line, entry } of shadowEntries) {
    if (!passwdNames.has(entry.name)) {
      problems.push({
        file: "shadow",
        line,
        name: entry.name,
        reason: `no matching passwd entry for ${quoteForMessage(entry.name)}`,
      });
    }
  }
  return { accounts, problems };
}

interface Cursor {
  text: string;
  pos: number;
}

type NumberRead = { ok: true; value: number | null } | { ok: false; reason: string };

/** glibc's STRING_FIELD: up to the next ":" (consumed) or the end of the line. */
function readStringField(cursor: Cursor): string {
  const colon = cursor.text.indexOf(":", cursor.pos);
  const end = colon < 0 ? cursor.text.length : colon;
  const value = cursor.text.slice(cursor.pos, end);
  cursor.pos = colon < 0 ? end : colon + 1;
  return value;
}

/**
 * glibc's INT_FIELD_MAYBE_NULL with strtou32 as Debian's 2.36 builds it: the line must not
 * end here; no digits → empty (null); then a ":" (consumed) or the end of the line must
 * follow; a value that does not fit in 32 bits (negative, or > 4294967295) rejects the line.
 */
function readNumberField(cursor: Cursor, field: number, displayStart: number): NumberRead {
  const { text } = cursor;
  if (cursor.pos >= text.length) return { ok: false, reason: describeMissingField(text, field) };
  const number = scanStrtoul(text, cursor.pos);
  const after = number.end;
  if (after < text.length && text[after] !== ":") {
    return { ok: false, reason: describeBadNumber(text, field, displayStart, number) };
  }
  if (number.negative || number.value > MAX_UINT32) {
    return { ok: false, reason: describeBadNumber(text, field, displayStart, number) };
  }
  let value: number | null = null;
  if (number.hasDigits) value = number.value > MAX_INT32 ? number.value - TWO_POW_32 : number.value;
  cursor.pos = after < text.length ? after + 1 : after;
  return { ok: true, value };
}

interface StrtoulScan {
  /** Whether any digit was converted. */
  hasDigits: boolean;
  /** The digits' value; exact up to 2^53, and any value above 4294967295 is "too large". */
  value: number;
  /** A "-" sign before non-zero digits (strtoul negates: the value no longer fits 32 bits). */
  negative: boolean;
  /** Where strtoul's endptr points: after the digits, or back at the start when none. */
  end: number;
}

/** strtoul(text + start, &end, 10) in the C locale. */
function scanStrtoul(text: string, start: number): StrtoulScan {
  let i = start;
  while (i < text.length && isCSpace(text.charCodeAt(i))) i++;
  let negative = false;
  const sign = text.charCodeAt(i);
  if (sign === 0x2b || sign === 0x2d) {
    negative = sign === 0x2d;
    i++;
  }
  const digitsStart = i;
  let value = 0;
  for (; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (!isDigit(code)) break;
    // Past 2^32 the exact value no longer matters: keep it just "too large".
    value = value > MAX_UINT32 ? value : value * 10 + (code - 0x30);
  }
  if (i === digitsStart) return { hasDigits: false, value: 0, negative: false, end: start };
  return { hasDigits: true, value, negative: negative && value !== 0, end: i };
}

/** The 9th field: empty, or strtoul's syntax filling the whole rest of the line, < 2^32. */
function checkFlagText(flag: string, line: string): string | null {
  if (flag.includes(":")) {
    const count = line.split(":").length;
    return `${count} fields; ${SHADOW_SHAPES}`;
  }
  const number = scanStrtoul(flag, 0);
  if (number.end !== flag.length || number.negative || number.value > MAX_UINT32) {
    return describeBadNumber(flag, 9, 0, number);
  }
  return null;
}

function describeMissingField(text: string, field: number): string {
  const count = text.split(":").length;
  if (field === 5 && count === 5) {
    return `5 fields with the 5th (maximum days) empty; glibc reads the old 5-field form only with a value there (write 9 fields: add ":::" and the empty 9th)`;
  }
  if (field === 8 && count === 8) {
    return "8 fields with the 8th (expire date) empty; glibc reads 8 fields only with an expire date (add a final \":\" to make 9)";
  }
  return `${count} field${count === 1 ? "" : "s"}; ${SHADOW_SHAPES}`;
}

/**
 * Why a numeric field glibc refuses is refused. `field` is a shadow field number or a passwd
 * "field N (uid|gid)" label; the field's text starts at `displayStart` in `text`.
 */
function describeBadNumber(text: string, field: number | string, displayStart: number, number: StrtoulScan): string {
  const colon = text.indexOf(":", displayStart);
  const raw = text.slice(displayStart, colon < 0 ? text.length : colon);
  const label = typeof field === "number" ? `field ${field} (${fieldLabel(field)})` : field;
  const head = `${label} ${quoteForMessage(raw)}`;
  const rest = text.slice(number.end, colon < 0 ? text.length : colon);
  if (number.hasDigits && rest !== "") {
    if (rest.startsWith("\r")) return `${head} ends with a carriage return (Windows line endings?)`;
    if (/^[\t\v\f ]/.test(rest)) return `${head} has white space after the number`;
    return `${head} is not a number`;
  }
  if (!number.hasDigits) {
    if (raw.includes("\r")) return `${head} contains a carriage return (Windows line endings?)`;
    return `${head} is not a number`;
  }
  if (number.negative) {
    const advice = typeof field === "number" ? ' (leave the field empty for "not set")' : "";
    return `${head} is negative; glibc rejects the whole line${advice}`;
  }
  return `${head} is larger than ${MAX_UINT32}`;
}

function fieldLabel(field: number): string {
  return SHADOW_FIELD_LABELS[field - 1] ?? `field ${field}`;
}

function formatShadowNumber(value: number | null): string {
  if (value === null) return "";
  return String(value < 0 ? value + TWO_POW_32 : value);
}

/**
 * glibc's INT_FIELD with strtou32 as Debian's 2.36 builds it: at least one digit (else the
 * line is rejected), then a ":" (consumed) or the end of the line; a value that does not fit
 * in 32 bits (negative, or > 4294967295) rejects the line.
 */
function readIdField(cursor: Cursor, field: number, label: "uid" | "gid"): number | string {
  const { text } = cursor;
  const head = `field ${field} (${label})`;
  const start = cursor.pos;
  if (start >= text.length) {
    const count = text.split(":").length;
    return count < field ? `${count} field${count === 1 ? "" : "s"}; ${PASSWD_SHAPE}` : `${head} is empty`;
  }
  if (text[start] === ":") return `${head} is empty`;
  const number = scanStrtoul(text, start);
  const after = number.end;
  const unterminated = after < text.length && text[after] !== ":";
  if (!number.hasDigits || unterminated || number.negative || number.value > MAX_UINT32) {
    return describeBadNumber(text, head, start, number);
  }
  cursor.pos = after < text.length ? after + 1 : after;
  return number.value;
}

/** Import policy on a line's text: size, NUL, UTF-8. Null when fine. */
function checkLineText(text: string): string | null {
  if (exceedsUtf8Bytes(text, MAX_LINE_BYTES)) return `the line is longer than ${MAX_LINE_BYTES} bytes`;
  if (text.includes("\0")) return "the line contains a NUL byte";
  if (/\p{Surrogate}/u.test(text) || text.includes("\uFFFD")) {
    return "the line is not valid UTF-8 (or contains U+FFFD)";
  }
  return null;
}

function createLineReader<E extends { name: string }>(
  classify: (text: string) => LineParse<E> | { skip: true },
  file: "passwd" | "shadow",
): (text: string) => LineResult<E> {
  const firstLineOf = new Map<string, number>();
  let line = 0;
  return (text) => {
    line++;
    const verdict = classify(text);
    if ("skip" in verdict) return { kind: "skip", line };
    if (!verdict.ok) return { kind: "problem", line, name: nameForProblem(text), reason: verdict.reason };
    const { name } = verdict.entry;
    const first = firstLineOf.get(name);
    if (first !== undefined) {
      return {
        kind: "problem",
        line,
        name,
        reason: `duplicate ${file} entry for ${quoteForMessage(name)}: line ${first} is the one used`,
      };
    }
    firstLineOf.set(name, line);
    return { kind: "entry", line, text, entry: verdict.entry };
  };
}

function collectLines<E>(lines: readonly string[], read: (text: string) => LineResult<E>): ParsedText<E> {
  const result: ParsedText<E> = { entries: [], problems: [] };
  for (const text of lines) {
    const outcome = read(text);
    if (outcome.kind === "entry") result.entries.push({ line: outcome.line, text: outcome.text, entry: outcome.entry });
    else if (outcome.kind === "problem") {
      result.problems.push({ line: outcome.line, name: outcome.name, reason: outcome.reason });
    }
  }
  return result;
}

/** The name on a problem line: up to the first ":", after leading white space, bounded. */
export function nameForProblem(text: string): string {
  const content = stripLeadingCSpace(text);
  const colon = content.indexOf(":");
  const name = colon < 0 ? content : content.slice(0, colon);
  return Array.from(name.slice(0, 4 * MAX_IMPORTED_NAME_BYTES)).slice(0, MAX_IMPORTED_NAME_BYTES).join("");
}

/** __nss_readline: drop leading isspace() characters (C locale). */
function stripLeadingCSpace(text: string): string {
  let i = 0;
  while (i < text.length && isCSpace(text.charCodeAt(i))) i++;
  return i === 0 ? text : text.slice(i);
}

/** C isspace() in the C locale: space, \t, \n, \v, \f, \r. */
function isCSpace(code: number): boolean {
  return code === 0x20 || (code >= 0x09 && code <= 0x0d);
}

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}
