// Owns the PasswordHasher the daemon uses: pam_unix 1.5.2's verify_pwd_hash rules
// (pam-hash-rules.ts) over libxcrypt (legacy-crypt.ts) and argon2 (argon2-hasher.ts), the
// configured re-hash target, every hashing operation bounded by one WorkLimiter.
import { randomBytes } from "node:crypto";
import type { HashCheck, PasswordHasher } from "../app/ports";
import {
  createDummyArgon2Phc,
  hashArgon2id,
  needsArgon2Rehash,
  parseArgon2Phc,
  validateArgon2Parameters,
  verifyArgon2Phc,
  type Argon2Parameters,
  type Argon2Phc,
} from "./argon2-hasher";
import { compareBytesConstantTime, compareConstantTime, cryptPassphrase, generateCryptSetting, hashWithCrypt, verifyCryptHash } from "./legacy-crypt";
import {
  checkPasswordDeliverable,
  planStoredHash,
  preparePassword,
  type HashScheme,
  type LongPasswordPolicy,
} from "./pam-hash-rules";
import { computePamMd5Crypt } from "./pam-md5-crypt";
import { WorkLimiter, type WorkLimiterCounters } from "./work-limiter";

/**
 * What new passwords (and legacy hashes re-hashed at login) are hashed with: argon2id, or a
 * crypt(3) method of the system's libxcrypt at its default cost, which pam_unix can read
 * (it cannot read argon2id).
 */
export type HashTarget = "argon2id" | "yescrypt" | "sha512crypt";

/** The crypt(3) prefix of each libxcrypt target. */
const CRYPT_PREFIX: Readonly<Record<Exclude<HashTarget, "argon2id">, string>> = { yescrypt: "$y$", sha512crypt: "$6$" };

export interface PasswordHasherOptions {
  /** Cost of new argon2id hashes, and of the dummy verification. */
  argon2: Argon2Parameters;
  /** The re-hash target (default argon2id). */
  scheme?: HashTarget;
  /** Hash/verify operations running at once (default os.availableParallelism()). */
  maxConcurrent?: number;
  /** Operations waiting for a slot before OverloadedError (default 64). */
  maxQueued?: number;
  /**
   * Passwords of 512 bytes or more: "reject" (default, the port's contract) or "truncate"
   * (pam_unix 1.5.2 exactly: cut to 512 bytes, so DES, bigcrypt and $1$ can still match).
   */
  longPasswords?: LongPasswordPolicy;
}

/** The PasswordHasher port plus the counters the daemon exports as metrics. */
export interface PamPasswordHasher extends PasswordHasher {
  /** Running and queued hashing operations, and how many were refused. */
  counters(): WorkLimiterCounters;
}

/**
 * Create the daemon's PasswordHasher. verify() follows pam_unix 1.5.2 (see
 * pam-hash-rules.ts) and, for a hash locked with `!`, says "locked-match" when the rest
 * matches. Checks that pam_unix answers without hashing (locked markers, empty hash without
 * nullok, BSDi hashes, undeliverable passwords, malformed argon2 strings) spend one dummy
 * argon2id verification, so response time does not reveal them. Every operation goes
 * through one WorkLimiter and rejects with OverloadedError when its queue is full.
 */
export function createPasswordHasher(options: PasswordHasherOptions): PamPasswordHasher {
  const parameters: Argon2Parameters = { ...options.argon2 };
  const longPasswords = options.longPasswords ?? "reject";
  validateArgon2Parameters(parameters);
  const limiter = new WorkLimiter({
    ...(options.maxConcurrent === undefined ? {} : { maxConcurrent: options.maxConcurrent }),
    ...(options.maxQueued === undefined ? {} : { maxQueued: options.maxQueued }),
  });
  const target = cryptTarget(options.scheme ?? "argon2id");
  let dummy: Argon2Phc | null = null;
  const dummyPhc = (): Argon2Phc => {
    dummy ??= createDummyArgon2Phc(parameters);
    return dummy;
  };
  // With a crypt(3) target most stored hashes end up in that method: the dummy costs one of
  // its verifications instead (a hash of random bytes, which nothing else matches).
  let dummyCrypt: Promise<string> | null = null;
  const spendDummy = async (password: Buffer): Promise<false> => {
    if (target === null) {
      await verifyArgon2Phc(password, dummyPhc());
      return false;
    }
    dummyCrypt ??= hashCrypt(randomBytes(32), target);
    await verifyCryptHash(password.subarray(0, 256), await dummyCrypt);
    return false;
  };

  const computeMatch = async (scheme: HashScheme, password: Buffer, hash: string): Promise<boolean> => {
    switch (scheme) {
      case "argon2": {
        const phc = parseArgon2Phc(hash);
        return phc === null ? spendDummy(password) : verifyArgon2Phc(password, phc);
      }
      case "md5crypt":
        return verifyMd5Crypt(password, hash);
      case "bigcrypt":
      case "libxcrypt":
        // For bigcrypt hashes (no `$`, >= 13 characters, not `_`) libxcrypt's crypt()
        // computes exactly what pam_unix's bigcrypt() does: 13 characters = DES over the
        // first 8 password bytes; longer = one 11-character block per 8 bytes (max 16).
        return verifyCryptHash(password, hash);
      default: {
        const unreachable: never = scheme;
        throw new Error(`unknown hash scheme ${String(unreachable)}`);
      }
    }
  };

  return {
    async verify(password: Buffer, storedHash: string, verifyOptions: { nullok: boolean }): Promise<HashCheck> {
      const { plan, locked } = planStoredHash(storedHash, verifyOptions);
      if (plan.kind === "accept") return "match";
      const matched = await limiter.run(async () => {
        if (plan.kind === "reject") return spendDummy(password);
        const prepared = preparePassword(password, plan.scheme, longPasswords);
        if (!prepared.ok) return spendDummy(password);
        return computeMatch(plan.scheme, prepared.password, plan.hash);
      });
      if (!matched) return "mismatch";
      return locked ? "locked-match" : "match";
    },

    async hash(password: Buffer): Promise<string> {
      const problem = checkPasswordDeliverable(password);
      if (problem !== null) {
        throw new RangeError(`refusing to hash a password that could never verify (${problem})`);
      }
      return limiter.run(() => (target === null ? hashArgon2id(password, parameters) : hashCrypt(password, target)));
    },

    needsRehash(storedHash: string): boolean {
      return target === null ? needsArgon2Rehash(storedHash, parameters) : needsCryptRehash(storedHash, target);
    },

    async dummyVerify(password: Buffer): Promise<void> {
      await limiter.run(() => spendDummy(password));
    },

    counters(): WorkLimiterCounters {
      return limiter.counters();
    },
  };
}

/** A crypt(3) target: its prefix and the method-and-cost part of its settings ("$y$j9T$"). */
interface CryptTarget {
  prefix: string;
  costPrefix: string;
}

/** The target of a crypt(3) scheme (null for argon2id); throws when libxcrypt lacks it. */
function cryptTarget(scheme: HashTarget): CryptTarget | null {
  if (scheme === "argon2id") return null;
  const prefix = CRYPT_PREFIX[scheme];
  const setting = generateCryptSetting(prefix);
  if (setting === null) throw new Error(`the system's libxcrypt cannot make ${scheme} (${prefix}) hashes`);
  return { prefix, costPrefix: settingCostPrefix(setting) };
}

/** "$y$j9T$salt" → "$y$j9T$"; "$6$salt" → "$6$"; "$6$rounds=N$salt" → "$6$rounds=N$". */
function settingCostPrefix(setting: string): string {
  const fields = setting.split("$");
  const method = fields[1] ?? "";
  const second = fields[2] ?? "";
  if (method === "y" || method === "gy" || method === "7" || second.startsWith("rounds=")) return `$${method}$${second}$`;
  return `$${method}$`;
}

async function hashCrypt(password: Buffer, target: CryptTarget): Promise<string> {
  const hash = await hashWithCrypt(password, target.prefix);
  if (hash === null || !hash.startsWith(target.costPrefix)) throw new Error(`libxcrypt refused to make a ${target.prefix} hash`);
  return hash;
}

/** True for anything but a hash of the target's method at the target's cost. */
function needsCryptRehash(storedHash: string, target: CryptTarget): boolean {
  const fields = storedHash.split("$");
  // A whole crypt(3) hash: "", method, [cost,] salt, hash.
  if (fields.length < 4 || fields[0] !== "") return true;
  return settingCostPrefix(storedHash) !== target.costPrefix;
}

/**
 * `$1$`: libxcrypt's md5crypt equals pam_unix's own for every setting libxcrypt accepts.
 * It refuses settings with bytes outside printable ASCII or any of `!*:;\`, which pam_unix's
 * md5crypt takes as salt; only then is pam_unix's algorithm run here (on this thread: 1000
 * MD5 rounds). pam's "broken MD5" retry equals the good one on little-endian hosts.
 */
async function verifyMd5Crypt(password: Buffer, hash: string): Promise<boolean> {
  const computed = await cryptPassphrase(password, hash);
  if (computed !== null) return compareConstantTime(computed, hash);
  const stored = Buffer.from(hash, "utf8");
  return compareBytesConstantTime(computePamMd5Crypt(password, stored), stored);
}
