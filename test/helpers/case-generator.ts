// Seeded generator of differential cases (passwd/shadow lines + a password) aimed at pam_unix 1.5.2 and
// glibc 2.36 boundaries, with real libxcrypt hashes (koffi → libcrypt.so.1). Also the locked-hash oracle.
// Test helper only; deterministic for a given (seed, today, count).
import { load } from "koffi";
import type { PamCase, PamService } from "./real-pam";

/** libxcrypt entry points used by the tests. */
interface Libxcrypt {
  crypt(phrase: string, setting: string): string | null;
  gensalt(prefix: string, count: number, randomBytes: Buffer): string | null;
}

let libxcrypt: Libxcrypt | undefined;

function openLibxcrypt(): Libxcrypt {
  if (libxcrypt !== undefined) return libxcrypt;
  const lib = load("libcrypt.so.1");
  const cryptFn = lib.func("const char *crypt(const char *phrase, const char *setting)");
  const gensaltFn = lib.func("const char *crypt_gensalt(const char *prefix, unsigned long count, const void *rbytes, int nrbytes)");
  const asHash = (value: unknown): string | null => (typeof value === "string" && value !== "" && !value.startsWith("*") ? value : null);
  libxcrypt = {
    crypt: (phrase, setting) => asHash(cryptFn(phrase, setting)),
    gensalt: (prefix, count, randomBytes) => asHash(gensaltFn(prefix, count, randomBytes, randomBytes.length)),
  };
  return libxcrypt;
}

/** crypt(3) from the system's libxcrypt; null when libxcrypt refuses (failure token "*0"/"*1"). */
export function cryptWithLibxcrypt(password: string, setting: string): string | null {
  return openLibxcrypt().crypt(password, setting);
}

/**
 * True when `hash` is locked with `!` (one or more, as RHEL's `passwd -l` writes `!!`) and the password
 * verifies against the rest: the case where shadowd answers LOCKED instead of DENIED (pam_unix says
 * PAM_AUTH_ERR either way). Judged with libxcrypt; with root, real-pam.ts's runLockedTwins asks pam_unix.
 */
export function lockedHashMatches(hash: string, password: string): boolean {
  if (!hash.startsWith("!")) return false;
  const rest = hash.replace(/^!+/, "");
  // pam_unix never verifies BSDi `_` hashes, and checks non-`$` hashes longer than 13 characters with its own
  // bigcrypt/HP-UX rules, which libxcrypt does not share: those never count as a match here.
  if (rest === "" || rest.startsWith("*") || rest.startsWith("_")) return false;
  if (!rest.startsWith("$") && rest.length > 13) return false;
  return cryptWithLibxcrypt(password, rest) === rest;
}

// ---------------------------------------------------------------------------------------------
// Seeded randomness
// ---------------------------------------------------------------------------------------------

interface Rng {
  next(): number;
  int(low: number, high: number): number;
  chance(probability: number): boolean;
  pick<T>(items: readonly T[]): T;
  weighted<T>(items: ReadonlyArray<readonly [number, T]>): T;
  bytes(count: number): Buffer;
}

function createRng(seed: number): Rng {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T>(items: readonly T[]): T => {
    const item = items[Math.floor(next() * items.length)];
    if (item === undefined) throw new Error("pick from an empty list");
    return item;
  };
  return {
    next,
    int: (low, high) => low + Math.floor(next() * (high - low + 1)),
    chance: (probability) => next() < probability,
    pick,
    weighted: <T>(items: ReadonlyArray<readonly [number, T]>): T => {
      const total = items.reduce((sum, [weight]) => sum + weight, 0);
      let point = next() * total;
      for (const [weight, item] of items) {
        point -= weight;
        if (point < 0) return item;
      }
      return pick(items)[1];
    },
    bytes: (count) => Buffer.from(Array.from({ length: count }, () => Math.floor(next() * 256))),
  };
}

// ---------------------------------------------------------------------------------------------
// Hashes
// ---------------------------------------------------------------------------------------------

type HashFormat =
  | "yescrypt-fast"
  | "yescrypt"
  | "gost-yescrypt"
  | "scrypt"
  | "sha512"
  | "sha512-rounds"
  | "sha256"
  | "md5"
  | "bcrypt-2b"
  | "bcrypt-2a"
  | "bcrypt-2y"
  | "des"
  | "bsdi"
  | "nt";

const FORMAT_SETTINGS: Record<HashFormat, { prefix: string; count: number }> = {
  "yescrypt-fast": { prefix: "$y$", count: 1 },
  yescrypt: { prefix: "$y$", count: 5 },
  "gost-yescrypt": { prefix: "$gy$", count: 1 },
  scrypt: { prefix: "$7$", count: 6 },
  sha512: { prefix: "$6$", count: 0 },
  "sha512-rounds": { prefix: "$6$", count: 1000 },
  sha256: { prefix: "$5$", count: 0 },
  md5: { prefix: "$1$", count: 0 },
  "bcrypt-2b": { prefix: "$2b$", count: 4 },
  "bcrypt-2a": { prefix: "$2a$", count: 4 },
  "bcrypt-2y": { prefix: "$2y$", count: 4 },
  des: { prefix: "", count: 0 },
  bsdi: { prefix: "_", count: 1 },
  nt: { prefix: "$3$", count: 0 },
};

/** Weights keep expensive formats (yescrypt at the default cost, scrypt) rare: the whole run has a time budget. */
const HASH_FORMAT_WEIGHTS: ReadonlyArray<readonly [number, HashFormat]> = [
  [7, "yescrypt-fast"],
  [2, "yescrypt"],
  [2, "gost-yescrypt"],
  [1, "scrypt"],
  [8, "sha512"],
  [2, "sha512-rounds"],
  [5, "sha256"],
  [5, "md5"],
  [4, "bcrypt-2b"],
  [2, "bcrypt-2a"],
  [2, "bcrypt-2y"],
  [7, "des"],
  [2, "bsdi"],
  [1, "nt"],
];

interface HashFactory {
  hash(format: HashFormat, password: string): string;
}

function createHashFactory(rng: Rng): HashFactory {
  const cache = new Map<string, string>();
  return {
    hash(format, password) {
      const key = `${format}\u0000${password}`;
      const cached = cache.get(key);
      if (cached !== undefined) return cached;
      const { prefix, count } = FORMAT_SETTINGS[format];
      const setting = openLibxcrypt().gensalt(prefix, count, rng.bytes(32));
      if (setting === null) throw new Error(`libxcrypt cannot make a ${format} setting`);
      const hash = cryptWithLibxcrypt(password, setting);
      if (hash === null) throw new Error(`libxcrypt refused a ${format} hash of a ${Buffer.byteLength(password)}-byte password`);
      cache.set(key, hash);
      return hash;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Passwords
// ---------------------------------------------------------------------------------------------

const BASE_PASSWORDS = [
  "Secret123",
  "correct horse battery staple",
  "pässwörd",
  "пароль123",
  "密码-key",
  "🔑emoji-pass",
  "a",
  "12345678",
  "Tr0ub4dor&3",
  " leading-space",
  "trailing-space ",
  "tab\there",
  "colon:inside",
  "cr\rinside",
  "back\\slash",
  "quote'\"",
] as const;

function randomPassword(rng: Rng): string {
  if (rng.chance(0.6)) return rng.pick(BASE_PASSWORDS);
  const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&()*+,-./:;<=>?@[]^_{|}~ ";
  const length = rng.int(1, 24);
  let password = "";
  for (let i = 0; i < length; i += 1) password += alphabet[rng.int(0, alphabet.length - 1)] ?? "x";
  return password;
}

/** A password that differs from `password` in one of the ways users get it wrong. */
function wrongPassword(rng: Rng, password: string): string {
  const candidates = [
    `${password} `,
    `${password}x`,
    password.slice(0, -1),
    password.toUpperCase() === password ? password.toLowerCase() : password.toUpperCase(),
    "",
    "Wrong-Pass9",
    `${password}\r`,
  ].filter((candidate) => candidate !== password);
  return rng.pick(candidates);
}

// ---------------------------------------------------------------------------------------------
// Aging fields
// ---------------------------------------------------------------------------------------------

interface Aging {
  lastChange: string;
  min: string;
  max: string;
  warn: string;
  inactive: string;
  expire: string;
}

/** The value glibc stores for a numeric field text that it accepts (wrapping 2^31..2^32-1 negative). */
function glibcValue(text: string): number | null {
  if (!/^\d+$/.test(text)) return null;
  const value = Number(text);
  return value >= 2 ** 31 ? value - 2 ** 32 : value;
}

function dayText(day: number): string | null {
  return day >= 0 && day <= 4294967295 ? String(day) : null;
}

/** Boundary values around `today` for every field, with the lastchg choices tied to max/warn/inact. */
function randomAging(rng: Rng, today: number): Aging {
  const max = rng.weighted<string>([
    [2, ""],
    [1, "0"],
    [1, "1"],
    [5, "30"],
    [1, "5"],
    [1, "9999"],
    [1, "10000"],
    [2, "99999"],
    [0.3, "2147483647"],
    [0.3, "2147483648"],
    [0.3, "4294967295"],
  ]);
  const maxValue = glibcValue(max);
  const small = maxValue !== null && maxValue >= 0 && maxValue <= 99999 ? maxValue : null;
  const warn = rng.weighted<string>([
    [2, ""],
    [1, "0"],
    [1, "1"],
    [3, "7"],
    [1, small !== null ? String(small + 1) : "100"],
    [0.3, "2147483648"],
  ]);
  const inactive = rng.weighted<string>([
    [4, ""],
    [1, "0"],
    [1, "1"],
    [2, "7"],
    [1, small !== null ? String(small + 1) : "40"],
    [0.3, "99999"],
    [0.3, "2147483647"],
    [0.3, "4294967295"],
  ]);
  const warnValue = glibcValue(warn);
  const inactiveValue = glibcValue(inactive);
  const lastChangeChoices: Array<readonly [number, string]> = [
    [1, ""],
    [1, "0"],
    [0.5, "1"],
    [1, String(today - 1)],
    [1, String(today)],
    [1, String(today + 1)],
    [1, String(today - 10)],
    [0.3, "99999"],
    [0.3, "2147483647"],
    [0.3, "2147483648"],
    [0.3, "4294967295"],
  ];
  const addDay = (weight: number, day: number): void => {
    const text = dayText(day);
    if (text !== null) lastChangeChoices.push([weight, text]);
  };
  if (small !== null) {
    for (const delta of [-1, 0, 1]) addDay(2, today - small + delta);
    if (warnValue !== null && warnValue >= 0) for (const delta of [-1, 0, 1]) addDay(1.5, today - small + warnValue + delta);
    if (inactiveValue !== null && inactiveValue >= 0 && inactiveValue <= 99999) {
      for (const delta of [-1, 0, 1]) addDay(2, today - small - inactiveValue + delta);
    }
  }
  const lastChange = rng.weighted(lastChangeChoices);
  const min = rng.weighted<string>([
    [4, ""],
    [3, "0"],
    [1, "1"],
    [1, "30"],
    [0.5, "9999"],
    [0.5, "10000"],
    [0.5, "99999"],
  ]);
  const expire = rng.weighted<string>([
    [8, ""],
    [1, "0"],
    [1, "1"],
    [2, String(today - 1)],
    [2, String(today)],
    [2, String(today + 1)],
    [0.5, String(today + 30)],
    [0.5, "99999"],
    [0.5, "2147483648"],
    [0.5, "4294967295"],
  ]);
  return { lastChange, min, max, warn, inactive, expire };
}

const PLAIN_AGING = (today: number): Aging => ({
  lastChange: String(today - 10),
  min: "0",
  max: "99999",
  warn: "7",
  inactive: "",
  expire: "",
});

function shadowFields(user: string, hash: string, aging: Aging, flag = ""): string[] {
  return [user, hash, aging.lastChange, aging.min, aging.max, aging.warn, aging.inactive, aging.expire, flag];
}

// ---------------------------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------------------------

interface Draft {
  label: string;
  /** A user name other than the default `dfNNNN` (its lines must use it too). */
  user?: string;
  /** The whole passwd line, when the scenario writes it itself (passwdField is then ignored). */
  passwdLine?: string;
  passwdField: string | null;
  shadowLine: string | null;
  password: string;
  service: PamService;
}

interface Context {
  rng: Rng;
  hashes: HashFactory;
  today: number;
  user: string;
  uid: number;
}

/** A real hash and a password to try against it (right or wrong), with a label. */
function realHashAttempt(context: Context, options: { format?: HashFormat; correctProbability?: number } = {}): {
  hash: string;
  password: string;
  label: string;
} {
  const { rng, hashes } = context;
  const format = options.format ?? rng.weighted(HASH_FORMAT_WEIGHTS);
  let password = randomPassword(rng);
  if (format === "des" && rng.chance(0.6)) {
    password = rng.pick(["Secret123", "abcdefghXYZ", "longer-than-eight", "12345678901"]);
    const hash = hashes.hash(format, password);
    const tried = rng.pick([
      password,
      password.slice(0, 8),
      `${password.slice(0, 8)}-anything`,
      password.slice(0, 7),
      `X${password.slice(1)}`,
    ]);
    return { hash, password: tried, label: `des of a ${password.length}-char password, tried ${tried.length} chars` };
  }
  const hash = hashes.hash(format, password);
  const correct = rng.chance(options.correctProbability ?? 0.6);
  return {
    hash,
    password: correct ? password : wrongPassword(rng, password),
    label: `${format}, ${correct ? "right" : "wrong"} password`,
  };
}

function pickService(rng: Rng, nullokProbability: number): PamService {
  return rng.chance(nullokProbability) ? "unix-nullok" : "unix";
}

/**
 * A passwd field that sends pam_unix 1.5.2 to the shadow entry (passverify.c): mostly `x`, sometimes
 * `##<user>` (is_pwd_shadowed) or `*NP*` (get_account_info's NIS+ branch, through unix_chkpwd).
 */
function pickShadowedField(rng: Rng, user: string): string {
  return rng.weighted<string>([
    [8, "x"],
    [1, `##${user}`],
    [1, "*NP*"],
  ]);
}

function scenarioAging(context: Context): Draft {
  const { rng, hashes, today, user } = context;
  const format = rng.weighted<HashFormat>([
    [6, "sha512"],
    [2, "md5"],
    [2, "des"],
    [1, "yescrypt-fast"],
  ]);
  const password = rng.pick(BASE_PASSWORDS);
  const right = rng.chance(0.85);
  const aging = randomAging(rng, today);
  const line = shadowFields(user, hashes.hash(format, password), aging).join(":");
  return {
    label: `aging ${aging.lastChange}:${aging.min}:${aging.max}:${aging.warn}:${aging.inactive}:${aging.expire}, ${right ? "right" : "wrong"} password`,
    passwdField: "x",
    shadowLine: line,
    password: right ? password : wrongPassword(rng, password),
    service: pickService(rng, 0.1),
  };
}

function scenarioHash(context: Context): Draft {
  const { rng, hashes, today, user } = context;
  const aging = rng.chance(0.6) ? PLAIN_AGING(today) : randomAging(rng, today);
  const kind = rng.weighted<string>([
    [10, "real"],
    [1, "truncated"],
    [1, "trailing-space"],
    [1, "hpux-suffix-sha"],
    [1, "hpux-suffix-des"],
    [1, "des-bigcrypt-tail"],
    [1, "des-truncated"],
    [1, "empty-checksum"],
    [1, "unknown-scheme"],
    [1, "garbage"],
    [0.5, "x"],
    [0.5, "NP"],
    [1, "long-password"],
  ]);
  if (kind === "long-password") {
    const base = "L".repeat(511);
    const useDes = rng.chance(0.3);
    const hash = useDes ? hashes.hash("des", base.slice(0, 8)) : hashes.hash("sha512", base);
    const tried = rng.pick([base, `${base}X`, `${base}${"X".repeat(89)}`, base.slice(0, 510)]);
    return {
      label: `${useDes ? "des of the 8-char prefix" : "sha512 of a 511-byte password"}, tried ${tried.length} bytes`,
      passwdField: "x",
      shadowLine: shadowFields(user, hash, aging).join(":"),
      password: tried,
      service: "unix",
    };
  }
  let attempt = realHashAttempt(context, kind === "hpux-suffix-des" || kind.startsWith("des-") ? { format: "des" } : {});
  if (kind === "hpux-suffix-sha") attempt = realHashAttempt(context, { format: "sha512", correctProbability: 0.9 });
  let hash = attempt.hash;
  switch (kind) {
    case "truncated":
      hash = hash.slice(0, -rng.int(1, 10));
      break;
    case "trailing-space":
      hash = `${hash} `;
      break;
    case "hpux-suffix-sha":
    case "hpux-suffix-des":
      hash = `${hash},B/..`;
      break;
    case "des-bigcrypt-tail":
      hash = `${hash}${rng.pick(["abcdefghijk", "ABCDEFGHIJK"])}`;
      break;
    case "des-truncated":
      hash = hash.slice(0, 12);
      break;
    case "empty-checksum":
      hash = hash.startsWith("$") ? hash.slice(0, hash.lastIndexOf("$") + 1) : "$6$saltsalt$";
      break;
    case "unknown-scheme":
      hash = "$9$abc$def";
      break;
    case "garbage":
      hash = rng.pick(["garbage", "not-a-hash-but-long-enough", "$6$", "$", "*0"]);
      break;
    case "x":
    case "NP":
      hash = kind;
      break;
    default:
      break;
  }
  return {
    label: `hash ${kind}: ${attempt.label}`,
    passwdField: "x",
    shadowLine: shadowFields(user, hash, aging).join(":"),
    password: attempt.password,
    service: pickService(rng, 0.15),
  };
}

function scenarioLocked(context: Context): Draft {
  const { rng, today, user } = context;
  const aging = rng.chance(0.5) ? PLAIN_AGING(today) : randomAging(rng, today);
  const attempt = realHashAttempt(context, { correctProbability: 0.7 });
  const kind = rng.weighted<string>([
    [6, "!hash"],
    [1, "!!hash"],
    [1, "*hash"],
    [1, "!"],
    [1, "!!"],
    [1, "*"],
    [1, "*LK*"],
    [1, "!*"],
  ]);
  const hash = kind.endsWith("hash") ? `${kind.slice(0, -4)}${attempt.hash}` : kind;
  const passwdField = pickShadowedField(rng, user);
  return {
    label: `locked ${kind} (passwd ${passwdField}): ${attempt.label}`,
    passwdField,
    shadowLine: shadowFields(user, hash, aging).join(":"),
    password: rng.chance(0.2) ? "" : attempt.password,
    service: pickService(rng, 0.25),
  };
}

function scenarioEmptyHash(context: Context): Draft {
  const { rng, today, user } = context;
  const aging = rng.chance(0.5) ? PLAIN_AGING(today) : randomAging(rng, today);
  const password = rng.chance(0.5) ? "" : randomPassword(rng);
  const service = pickService(rng, 0.6);
  const passwdField = pickShadowedField(rng, user);
  return {
    label: `empty hash (passwd ${passwdField}), ${service}, password ${password === "" ? "empty" : "given"}`,
    passwdField,
    shadowLine: shadowFields(user, "", aging).join(":"),
    password,
    service,
  };
}

/** Numeric field texts glibc may accept or reject, applied to one field of an otherwise normal line. */
const NUMBER_MUTATIONS = [
  "-1",
  "-5",
  "-0",
  "+5",
  " 5",
  "\t5",
  "5 ",
  "0x10",
  "010",
  "4294967296",
  "18446744073709551616",
  "12abc",
  "abc",
  "1e3",
  "00000000000000000000007",
  "4294967295",
  "2147483648",
  "2147483647",
] as const;

const FLAG_MUTATIONS = ["0", "1", "-1", "abc", "4294967296", "18446744073709551616", " 1", "+1", "1 "] as const;

function scenarioSyntax(context: Context): Draft {
  const { rng, hashes, today, user } = context;
  const password = rng.pick(BASE_PASSWORDS);
  const hash = hashes.hash(rng.chance(0.7) ? "sha512" : "md5", password);
  // Aging that is not OK when read as written, so a misread field changes the outcome.
  const aging: Aging = rng.pick<Aging>([
    { lastChange: String(today - 31), min: "0", max: "30", warn: "7", inactive: "", expire: "" },
    { lastChange: String(today - 25), min: "0", max: "30", warn: "7", inactive: "", expire: "" },
    { lastChange: String(today - 40), min: "0", max: "30", warn: "7", inactive: "5", expire: "" },
    { lastChange: String(today - 10), min: "0", max: "99999", warn: "7", inactive: "", expire: String(today - 1) },
    randomAging(rng, today),
  ]);
  const fields = shadowFields(user, hash, aging);
  const kind = rng.weighted<string>([
    [8, "number"],
    [2, "flag"],
    [1, "8-fields"],
    [1, "7-fields"],
    [1, "6-fields"],
    [1, "10-fields"],
    [1, "11-fields"],
    [2, "svr3"],
    [1, "svr3-colon"],
    [1, "svr3-space"],
    [1, "svr3-tab"],
    [1, "4-fields"],
    [0.5, "3-fields"],
    [0.5, "2-fields"],
    [1, "cr"],
    [1, "trailing-space"],
    [1, "leading-space"],
    [0.5, "leading-tab"],
    [0.5, "comment"],
    [0.5, "name-case"],
  ]);
  let line: string;
  let label = kind;
  switch (kind) {
    case "number": {
      const index = rng.int(2, 7);
      const text = rng.pick(NUMBER_MUTATIONS);
      fields[index] = text;
      line = fields.join(":");
      label = `field ${index} = ${JSON.stringify(text)}`;
      break;
    }
    case "flag": {
      const text = rng.pick(FLAG_MUTATIONS);
      fields[8] = text;
      line = fields.join(":");
      label = `flag = ${JSON.stringify(text)}`;
      break;
    }
    case "8-fields":
      line = fields.slice(0, 8).join(":");
      break;
    case "7-fields":
      line = fields.slice(0, 7).join(":");
      break;
    case "6-fields":
      line = fields.slice(0, 6).join(":");
      break;
    case "10-fields":
      line = `${fields.join(":")}:${rng.pick(["", "extra"])}`;
      break;
    case "11-fields":
      line = `${fields.join(":")}::`;
      break;
    case "svr3":
      line = fields.slice(0, 5).join(":");
      break;
    case "svr3-colon":
      line = `${fields.slice(0, 5).join(":")}:`;
      break;
    case "svr3-space":
      line = `${fields.slice(0, 5).join(":")} `;
      break;
    case "svr3-tab":
      line = `${fields.slice(0, 5).join(":")}\t`;
      break;
    case "4-fields":
      line = fields.slice(0, 4).join(":");
      break;
    case "3-fields":
      line = fields.slice(0, 3).join(":");
      break;
    case "2-fields":
      line = fields.slice(0, 2).join(":");
      break;
    case "cr":
      line = `${fields.join(":")}\r`;
      break;
    case "trailing-space":
      line = `${fields.join(":")} `;
      break;
    case "leading-space":
      line = ` ${fields.join(":")}`;
      break;
    case "leading-tab":
      line = `\t${fields.join(":")}`;
      break;
    case "comment":
      line = `#${fields.join(":")}`;
      break;
    default:
      line = [user.toUpperCase(), ...fields.slice(1)].join(":");
      break;
  }
  return {
    label: `syntax ${label} (aging ${aging.lastChange}:${aging.min}:${aging.max}:${aging.warn}:${aging.inactive}:${aging.expire})`,
    passwdField: "x",
    shadowLine: line,
    password,
    service: "unix",
  };
}

function scenarioIdentity(context: Context): Draft {
  const { rng, today, user } = context;
  const attempt = realHashAttempt(context, { format: rng.pick<HashFormat>(["sha512", "md5", "des", "yescrypt-fast"]) });
  const expiredLine = shadowFields(user, attempt.hash, {
    lastChange: "0",
    min: "0",
    max: "1",
    warn: "7",
    inactive: "0",
    expire: String(today - 1),
  }).join(":");
  const agingLine = shadowFields(user, attempt.hash, randomAging(rng, today)).join(":");
  const kind = rng.weighted<string>([
    [3, "hash-in-passwd"],
    [2, "hash-in-passwd+expired-shadow"],
    [2, "x-without-shadow"],
    [2, "no-passwd-entry"],
    [1, "unknown-user"],
    [2, "##user"],
    [2, "empty-passwd-field"],
    [1, "star-passwd-field"],
    [1, "locked-hash-in-passwd"],
    [1, "X-uppercase-passwd-field"],
    [2, "*NP*"],
    [1, "*NP*+expired-shadow"],
    [1, "*NP*-without-shadow"],
    [0.5, "*np*-lowercase"],
    [0.5, "*NP*-trailing-space"],
    [0.5, "##other-user"],
  ]);
  const base = { label: `identity ${kind}: ${attempt.label}`, password: attempt.password, service: pickService(rng, 0.15) };
  switch (kind) {
    case "hash-in-passwd":
      return { ...base, passwdField: attempt.hash, shadowLine: null };
    case "hash-in-passwd+expired-shadow":
      return { ...base, passwdField: attempt.hash, shadowLine: expiredLine };
    case "x-without-shadow":
      return { ...base, passwdField: "x", shadowLine: null };
    case "no-passwd-entry":
      return { ...base, passwdField: null, shadowLine: agingLine };
    case "unknown-user":
      return { ...base, passwdField: null, shadowLine: null };
    case "##user":
      return { ...base, passwdField: `##${user}`, shadowLine: agingLine };
    case "empty-passwd-field":
      return { ...base, passwdField: "", shadowLine: null, service: pickService(rng, 0.5), password: rng.chance(0.5) ? "" : attempt.password };
    case "star-passwd-field":
      return { ...base, passwdField: "*", shadowLine: null };
    case "locked-hash-in-passwd":
      return { ...base, passwdField: `!${attempt.hash}`, shadowLine: null };
    case "*NP*":
      return { ...base, passwdField: "*NP*", shadowLine: agingLine, service: pickService(rng, 0.3) };
    case "*NP*+expired-shadow":
      return { ...base, passwdField: "*NP*", shadowLine: expiredLine };
    case "*NP*-without-shadow":
      return { ...base, passwdField: "*NP*", shadowLine: null };
    case "*np*-lowercase":
      return { ...base, passwdField: "*np*", shadowLine: agingLine };
    case "*NP*-trailing-space":
      return { ...base, passwdField: "*NP* ", shadowLine: agingLine };
    case "##other-user":
      return { ...base, passwdField: `##${user}x`, shadowLine: agingLine };
    default:
      return { ...base, passwdField: "X", shadowLine: agingLine };
  }
}

function scenarioDuplicate(context: Context): Draft {
  const { rng, hashes, today, user } = context;
  const password = rng.pick(BASE_PASSWORDS);
  const hash = hashes.hash("sha512", password);
  const good = shadowFields(user, hash, PLAIN_AGING(today)).join(":");
  const expired = shadowFields(user, hash, { ...PLAIN_AGING(today), expire: String(today - 1) }).join(":");
  const invalid = shadowFields(user, hash, { ...PLAIN_AGING(today), max: "-1" }).join(":");
  const otherHash = shadowFields(user, hashes.hash("sha512", `${password}-other`), PLAIN_AGING(today)).join(":");
  const [label, lines, tried] = rng.pick<readonly [string, readonly string[], string]>([
    ["valid then expired", [good, expired], password],
    ["expired then valid", [expired, good], password],
    ["invalid then expired", [invalid, expired], password],
    ["expired then invalid", [expired, invalid], password],
    ["other hash first, second hash's password tried", [otherHash, good], password],
    ["other hash second, its password tried", [good, otherHash], `${password}-other`],
    ["commented then valid", [`#${expired}`, good], password],
  ]);
  return { label: `duplicate: ${label}`, passwdField: "x", shadowLine: lines.join("\n"), password: tried, service: "unix" };
}

/** User names pam_unix treats differently: auth refuses names that do not start with a letter or digit. */
function scenarioName(context: Context): Draft {
  const { rng, user } = context;
  const variant = rng.pick([`_${user}`, `.${user}`, user.toUpperCase(), `${user}$`, `${user}.x`, `${user}-x`, `0${user}`]);
  const inner = (rng.chance(0.6) ? scenarioAging : scenarioIdentity)({ ...context, user: variant });
  return { ...inner, user: variant, label: `name ${JSON.stringify(variant)}: ${inner.label}` };
}

/** passwd lines glibc may or may not accept; the shadow line is valid. uid texts never read below 1000. */
function scenarioPasswdSyntax(context: Context): Draft {
  const { rng, hashes, today, user, uid } = context;
  const password = rng.pick(BASE_PASSWORDS);
  const shadowLine = shadowFields(user, hashes.hash("sha512", password), rng.chance(0.5) ? PLAIN_AGING(today) : randomAging(rng, today)).join(":");
  const rest = "differential case:/nonexistent:/usr/sbin/nologin";
  const [label, passwdLine] = rng.pick<readonly [string, string]>([
    ["uid abc", `${user}:x:abc:${uid}:${rest}`],
    ["uid empty", `${user}:x::${uid}:${rest}`],
    ["gid empty", `${user}:x:${uid}::${rest}`],
    ["uid +N", `${user}:x:+${uid}:${uid}:${rest}`],
    ["uid with a leading space", `${user}:x: ${uid}:${uid}:${rest}`],
    ["uid with a trailing space", `${user}:x:${uid} :${uid}:${rest}`],
    ["uid with a leading zero", `${user}:x:0${uid}:${uid}:${rest}`],
    ["uid 4294967296", `${user}:x:4294967296:${uid}:${rest}`],
    ["uid 4294967295", `${user}:x:4294967295:${uid}:${rest}`],
    ["uid -N", `${user}:x:-${uid}:${uid}:${rest}`],
    ["uid 0x10000", `${user}:x:0x10000:${uid}:${rest}`],
    ["6 fields", `${user}:x:${uid}:${uid}:differential case:/nonexistent`],
    ["8 fields", `${user}:x:${uid}:${uid}:${rest}:extra`],
    ["shell with a trailing space", `${user}:x:${uid}:${uid}:${rest} `],
    ["leading space", ` ${user}:x:${uid}:${uid}:${rest}`],
    ["CR at the end", `${user}:x:${uid}:${uid}:${rest}\r`],
    ["x with a trailing space", `${user}:x :${uid}:${uid}:${rest}`],
    ["x with a carriage return", `${user}:x\r:${uid}:${uid}:${rest}`],
    ["uid with many leading zeros", `${user}:x:00000000000000000000${uid}:${uid}:${rest}`],
    ["uid above 2^64", `${user}:x:18446744073709551616:${uid}:${rest}`],
    ["gid +N", `${user}:x:${uid}:+${uid}:${rest}`],
    ["gid with a leading tab", `${user}:x:${uid}:\t${uid}:${rest}`],
    ["gid -0", `${user}:x:${uid}:-0:${rest}`],
    ["gid -N", `${user}:x:${uid}:-${uid}:${rest}`],
    ["4 fields", `${user}:x:${uid}:${uid}`],
    ["5 fields", `${user}:x:${uid}:${uid}:differential case`],
    ["3 fields", `${user}:x:${uid}`],
    ["4 fields, a trailing space after the gid", `${user}:x:${uid}:${uid} `],
    ["4 fields, a CR after the gid", `${user}:x:${uid}:${uid}\r`],
    ["shell with colons", `${user}:x:${uid}:${uid}:${rest}:/bin/sh:`],
    ["tab and CR in the gecos", `${user}:x:${uid}:${uid}:a\tb\rc:/nonexistent:/usr/sbin/nologin`],
    ["control characters in home and shell", `${user}:x:${uid}:${uid}:c:/non\u0001existent:/usr/sbin/nologin\u007f`],
    ["leading tab before the name", `\t${user}:x:${uid}:${uid}:${rest}`],
    ["*NP* with a short line", `${user}:*NP*:${uid}:${uid}`],
  ]);
  return { label: `passwd ${label}`, passwdField: "x", passwdLine, shadowLine, password, service: "unix" };
}

const SCENARIOS: ReadonlyArray<readonly [number, (context: Context) => Draft]> = [
  [32, scenarioAging],
  [19, scenarioHash],
  [9, scenarioLocked],
  [5, scenarioEmptyHash],
  [17, scenarioSyntax],
  [10, scenarioIdentity],
  [4, scenarioDuplicate],
  [3, scenarioName],
  [4, scenarioPasswdSyntax],
];

/** First uid of generated accounts (above shadowd's default min_uid, like the corpus's 61000+). */
export const GENERATED_UID_BASE = 62000;

/**
 * Generates `count` cases for the differential test: users `df0001`… (a few name variants such as
 * `_df0001`), uids from 62001, seeded
 * choices of scenario, hash format, aging fields around `today` and line syntax. Hashes come from
 * the system's libxcrypt with salts drawn from the same seed, so a (seed, today, count) triple
 * always yields the same cases. Passwords never hold NUL or "\n".
 */
export function generateDifferentialCases(seed: number, today: number, count: number): PamCase[] {
  const rng = createRng(seed);
  const hashes = createHashFactory(rng);
  const cases: PamCase[] = [];
  for (let index = 0; index < count; index += 1) {
    const uid = GENERATED_UID_BASE + index + 1;
    const draft = rng.weighted(SCENARIOS)({ rng, hashes, today, user: `df${String(index + 1).padStart(4, "0")}`, uid });
    const user = draft.user ?? `df${String(index + 1).padStart(4, "0")}`;
    const passwdLine = draft.passwdField === null ? null : `${user}:${draft.passwdField}:${uid}:${uid}:differential case:/nonexistent:/usr/sbin/nologin`;
    cases.push({
      user,
      passwdLine: draft.passwdLine ?? passwdLine,
      shadowLine: draft.shadowLine,
      password: draft.password,
      service: draft.service,
      label: draft.label,
    });
  }
  return cases;
}
