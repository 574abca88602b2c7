// Owns shadowctl's pure argument parsing: a getopt-like wrapper over node's util.parseArgs
// and the value parsers shared by the commands (ids, day counts, dates). No I/O, no gRPC.
import { parseArgs } from "node:util";
import { parseDayArgument } from "../../domain/days";

/** What a command's argument parser produces: a value, a usage error, or a help request. */
export type ParseOutcome<T> =
  | { kind: "ok"; value: T }
  | { kind: "usage"; message: string }
  | { kind: "help" };

/** One option of a command, as util.parseArgs describes it. */
export interface OptionSpec {
  type: "string" | "boolean";
  short?: string;
}

/** The options of a command, by long name. */
export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

/** The parsed options (by long name) and the positional arguments. */
export interface ParsedCommandLine {
  values: Readonly<Record<string, string | boolean | undefined>>;
  positionals: string[];
}

/** The largest uid/gid shadowd accepts: (uid_t)-1 is reserved, as in shadow-utils. */
export const MAX_ID = 4294967294;

/**
 * Parse `args` like getopt_long does for the shadow-utils tools: short and long forms,
 * clustered short flags, options and operands in any order, `--` ends the options, and
 * an option value may start with a dash (`chage -E -1`), which util.parseArgs alone
 * refuses. Every command gets `-h/--help`.
 */
export function parseCommandLine(args: readonly string[], specs: OptionSpecs): ParseOutcome<ParsedCommandLine> {
  const options: Record<string, { type: "string" | "boolean"; short?: string }> = {
    help: { type: "boolean", short: "h" },
  };
  for (const [name, spec] of Object.entries(specs)) {
    options[name] = spec.short === undefined ? { type: spec.type } : { type: spec.type, short: spec.short };
  }
  const normalized = joinDashValues(args, options);
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: normalized, options, allowPositionals: true, strict: true });
  } catch (error) {
    if (isParseArgsError(error)) return { kind: "usage", message: firstLine(error.message) };
    throw error;
  }
  const values: Record<string, string | boolean | undefined> = {};
  for (const [name, value] of Object.entries(parsed.values)) {
    if (typeof value === "string" || typeof value === "boolean") values[name] = value;
  }
  if (values["help"] === true) return { kind: "help" };
  return { kind: "ok", value: { values, positionals: [...parsed.positionals] } };
}

/** The value of a string option, or undefined when it was not given. */
export function stringOption(line: ParsedCommandLine, name: string): string | undefined {
  const value = line.values[name];
  return typeof value === "string" ? value : undefined;
}

/** True when a boolean option was given. */
export function flagOption(line: ParsedCommandLine, name: string): boolean {
  return line.values[name] === true;
}

/** Require exactly the named operands; the error names the first missing or extra one. */
export function expectOperands(line: ParsedCommandLine, names: readonly string[]): ParseOutcome<string[]> {
  const given = line.positionals;
  if (given.length < names.length) {
    const missing = names.slice(given.length).join(" ");
    return { kind: "usage", message: `missing ${missing}` };
  }
  if (given.length > names.length) {
    return { kind: "usage", message: `unexpected argument '${given[names.length] ?? ""}'` };
  }
  return { kind: "ok", value: [...given] };
}

/** A uid or gid: decimal digits, 0..4294967294. */
export function parseId(text: string, label: string): ParseOutcome<number> {
  if (!/^[0-9]+$/.test(text)) {
    return { kind: "usage", message: `invalid ${label} '${text}': expected a number (names are not supported)` };
  }
  const value = Number(text);
  if (value > MAX_ID) return { kind: "usage", message: `invalid ${label} '${text}': at most ${MAX_ID}` };
  return { kind: "ok", value };
}

/**
 * A count of days as chage -m/-M/-W/-I and useradd/usermod -f take it: an integer >= -1,
 * where -1 clears the field (shadow-utils' getlong range check).
 */
export function parseDayCount(text: string, label: string): ParseOutcome<number> {
  if (!/^(-1|\+?[0-9]+)$/.test(text)) {
    return { kind: "usage", message: `invalid ${label} '${text}': expected a number of days, or -1 to clear` };
  }
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value > 2147483647) {
    return { kind: "usage", message: `invalid ${label} '${text}': too large` };
  }
  return { kind: "ok", value };
}

/**
 * A date as chage -d/-E and useradd/usermod -e take it: YYYY-MM-DD or a day number since
 * 1970-01-01; -1 clears (returned as -1). An empty text also clears, as useradd -e "" does.
 */
export function parseDate(text: string, label: string): ParseOutcome<number> {
  if (text === "") return { kind: "ok", value: -1 };
  const day = parseDayArgument(text);
  if (typeof day !== "number") return { kind: "usage", message: `invalid ${label} '${text}': ${day.error}` };
  return { kind: "ok", value: day };
}

/** getopt lets an option's value start with '-' (`-E -1`); rewrite those for parseArgs. */
function joinDashValues(
  args: readonly string[],
  options: Readonly<Record<string, { type: "string" | "boolean"; short?: string }>>,
): string[] {
  const stringLongs = new Set<string>();
  const shortTypes = new Map<string, "string" | "boolean">();
  for (const [name, spec] of Object.entries(options)) {
    if (spec.type === "string") stringLongs.add(name);
    if (spec.short !== undefined) shortTypes.set(spec.short, spec.type);
  }
  const out: string[] = [];
  for (let index = 0; index < args.length; index += 1) {
    const arg = args[index] ?? "";
    const next = args[index + 1];
    if (arg === "--") {
      out.push(...args.slice(index));
      break;
    }
    const takesNext = next !== undefined && next.startsWith("-") && takesSeparateValue(arg, stringLongs, shortTypes);
    if (takesNext) {
      out.push(arg.startsWith("--") ? `${arg}=${next}` : `${arg}${next}`);
      index += 1;
    } else {
      out.push(arg);
    }
  }
  return out;
}

/** True when `arg` is an option whose value must come from the next argument. */
function takesSeparateValue(
  arg: string,
  stringLongs: ReadonlySet<string>,
  shortTypes: ReadonlyMap<string, "string" | "boolean">,
): boolean {
  if (arg.startsWith("--")) return !arg.includes("=") && stringLongs.has(arg.slice(2));
  if (!arg.startsWith("-") || arg.length < 2) return false;
  // A short cluster: boolean flags, then at most one string option that takes the rest.
  for (let position = 1; position < arg.length; position += 1) {
    const type = shortTypes.get(arg.charAt(position));
    if (type === undefined) return false;
    if (type === "string") return position === arg.length - 1;
  }
  return false;
}

function isParseArgsError(error: unknown): error is Error & { code: string } {
  if (!(error instanceof Error)) return false;
  const code: unknown = (error as Error & { code?: unknown }).code;
  return typeof code === "string" && code.startsWith("ERR_PARSE_ARGS");
}

function firstLine(text: string): string {
  const line = text.split("\n")[0] ?? text;
  return line.replace(/\. To specify a positional argument.*$/, "");
}

/** Parse an option's value when it was given; an absent option stays undefined. */
export function parseOptional<T>(
  text: string | undefined,
  parse: (text: string) => ParseOutcome<T>,
): ParseOutcome<T | undefined> {
  return text === undefined ? { kind: "ok", value: undefined } : parse(text);
}
