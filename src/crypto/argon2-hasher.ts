// Owns this project's own hashes: argon2id PHC strings written in the reference parameter
// order ($argon2id$v=19$m=…,t=…,p=…$salt$hash), strict parsing that accepts m/t/p in any
// order, verification and the re-hash test. Uses the argon2 package (libuv threadpool).
import { randomBytes } from "node:crypto";
import * as argon2 from "argon2";

/** argon2id cost parameters. */
export interface Argon2Parameters {
  /** Memory in KiB. */
  memoryCost: number;
  /** Passes over memory. */
  timeCost: number;
  /** Lanes. */
  parallelism: number;
}

/** OWASP's argon2id minimum (19 MiB, 2 passes, 1 lane). */
export const DEFAULT_ARGON2_PARAMETERS: Readonly<Argon2Parameters> = Object.freeze({
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
});

export const ARGON2_SALT_BYTES = 16;
export const ARGON2_HASH_BYTES = 32;
const ARGON2_VERSION_13 = 0x13;
const ARGON2_VERSION_10 = 0x10;

export type Argon2Variant = "argon2id" | "argon2i" | "argon2d";

/** A parsed argon2 PHC string. */
export interface Argon2Phc {
  variant: Argon2Variant;
  /** 19 (0x13) or 16 (0x10, also when the string has no `v=`). */
  version: number;
  memoryCost: number;
  timeCost: number;
  parallelism: number;
  salt: Buffer;
  hash: Buffer;
}

const PHC_PATTERN = /^\$(argon2id|argon2i|argon2d)(?:\$v=(\d{1,10}))?\$([a-z]=\d{1,10},[a-z]=\d{1,10},[a-z]=\d{1,10})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;
const UINT32_MAX = 0xffff_ffff;
const MAX_LANES = 0xff_ffff;
const MIN_SALT_BYTES = 8;
const MIN_HASH_BYTES = 4;

/** Unpadded standard base64 (the PHC "B64" encoding) → bytes, or null if not canonical-length. */
function decodeB64(text: string): Buffer | null {
  if (text.length % 4 === 1) return null;
  return Buffer.from(text, "base64");
}

function encodeB64(bytes: Buffer): string {
  return bytes.toString("base64").replace(/=+$/, "");
}

/**
 * Parse an argon2 PHC string strictly: one of the three variants, optional `v=16|19`,
 * exactly the parameters m, t and p once each in any order, unpadded base64 salt (>= 8
 * bytes) and hash (>= 4 bytes), values inside argon2's limits. Null for anything else.
 */
export function parseArgon2Phc(text: string): Argon2Phc | null {
  const match = PHC_PATTERN.exec(text);
  if (match === null) return null;
  const [, variant, versionText, paramText, saltText, hashText] = match;
  if (variant === undefined || paramText === undefined || saltText === undefined || hashText === undefined) {
    return null;
  }
  const version = versionText === undefined ? ARGON2_VERSION_10 : Number(versionText);
  if (version !== ARGON2_VERSION_10 && version !== ARGON2_VERSION_13) return null;

  const params = new Map<string, number>();
  for (const pair of paramText.split(",")) {
    const [key, value] = pair.split("=");
    if (key === undefined || value === undefined || params.has(key)) return null;
    params.set(key, Number(value));
  }
  const memoryCost = params.get("m");
  const timeCost = params.get("t");
  const parallelism = params.get("p");
  if (memoryCost === undefined || timeCost === undefined || parallelism === undefined) return null;
  if (parallelism < 1 || parallelism > MAX_LANES) return null;
  if (timeCost < 1 || timeCost > UINT32_MAX) return null;
  if (memoryCost < 8 * parallelism || memoryCost > UINT32_MAX) return null;

  const salt = decodeB64(saltText);
  const hash = decodeB64(hashText);
  if (salt === null || hash === null || salt.length < MIN_SALT_BYTES || hash.length < MIN_HASH_BYTES) return null;
  return { variant: variant as Argon2Variant, version, memoryCost, timeCost, parallelism, salt, hash };
}

/** The PHC string in the reference layout: `$<variant>$v=<n>$m=<m>,t=<t>,p=<p>$<salt>$<hash>`. */
export function formatArgon2Phc(phc: Argon2Phc): string {
  return (
    `$${phc.variant}$v=${phc.version}$m=${phc.memoryCost},t=${phc.timeCost},p=${phc.parallelism}` +
    `$${encodeB64(phc.salt)}$${encodeB64(phc.hash)}`
  );
}

/** A new argon2id PHC string (16-byte random salt, 32-byte hash) in the reference order. */
export async function hashArgon2id(password: Buffer, parameters: Argon2Parameters): Promise<string> {
  const salt = randomBytes(ARGON2_SALT_BYTES);
  const hash = await argon2.hash(password, {
    type: argon2.argon2id,
    version: ARGON2_VERSION_13,
    memoryCost: parameters.memoryCost,
    timeCost: parameters.timeCost,
    parallelism: parameters.parallelism,
    hashLength: ARGON2_HASH_BYTES,
    salt,
    raw: true,
  });
  return formatArgon2Phc({
    variant: "argon2id",
    version: ARGON2_VERSION_13,
    memoryCost: parameters.memoryCost,
    timeCost: parameters.timeCost,
    parallelism: parameters.parallelism,
    salt,
    hash,
  });
}

/**
 * Verify `password` against a parsed argon2 hash (any variant). The string handed to the
 * argon2 package is re-serialised in the reference order, so the stored order never
 * matters; the package compares in constant time.
 */
export function verifyArgon2Phc(password: Buffer, phc: Argon2Phc): Promise<boolean> {
  return argon2.verify(formatArgon2Phc(phc), password);
}

/**
 * True for anything but an argon2id v=19 hash at exactly `parameters`, written in the
 * reference layout (a hash with m/t/p in another order is re-written so other tools accept it).
 */
export function needsArgon2Rehash(storedHash: string, parameters: Argon2Parameters): boolean {
  const phc = parseArgon2Phc(storedHash);
  if (phc === null) return true;
  return !(
    phc.variant === "argon2id" &&
    phc.version === ARGON2_VERSION_13 &&
    phc.memoryCost === parameters.memoryCost &&
    phc.timeCost === parameters.timeCost &&
    phc.parallelism === parameters.parallelism &&
    formatArgon2Phc(phc) === storedHash
  );
}

/**
 * An argon2id hash at `parameters` with random salt and random hash bytes: verifying any
 * password against it costs exactly one real verification and (but for a 2^-256 chance)
 * never matches. Built without hashing, so it is free to create.
 */
export function createDummyArgon2Phc(parameters: Argon2Parameters): Argon2Phc {
  return {
    variant: "argon2id",
    version: ARGON2_VERSION_13,
    memoryCost: parameters.memoryCost,
    timeCost: parameters.timeCost,
    parallelism: parameters.parallelism,
    salt: randomBytes(ARGON2_SALT_BYTES),
    hash: randomBytes(ARGON2_HASH_BYTES),
  };
}

/** Throws RangeError unless the parameters are integers inside argon2's limits. */
export function validateArgon2Parameters(parameters: Argon2Parameters): void {
  const { memoryCost, timeCost, parallelism } = parameters;
  if (!Number.isInteger(parallelism) || parallelism < 1 || parallelism > MAX_LANES) {
    throw new RangeError(`argon2 parallelism must be an integer in 1..${MAX_LANES}, got ${parallelism}`);
  }
  if (!Number.isInteger(timeCost) || timeCost < 1 || timeCost > UINT32_MAX) {
    throw new RangeError(`argon2 timeCost must be a positive integer, got ${timeCost}`);
  }
  if (!Number.isInteger(memoryCost) || memoryCost < 8 * parallelism || memoryCost > UINT32_MAX) {
    throw new RangeError(`argon2 memoryCost must be an integer >= 8 * parallelism (KiB), got ${memoryCost}`);
  }
}
