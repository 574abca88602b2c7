// Owns the binding to the system libxcrypt (libcrypt.so.1) through koffi: crypt_rn run on a
// libuv worker thread, crypt_gensalt_rn, and the constant-time comparison of crypt results.
// No pam_unix rules here (see pam-hash-rules.ts); imports only koffi and node:crypto.
import { timingSafeEqual } from "node:crypto";
import * as koffi from "koffi";

/** sizeof(struct crypt_data) in libxcrypt 4.x: the per-call scratch buffer crypt_rn needs. */
export const CRYPT_DATA_SIZE = 32768;
/** libxcrypt refuses passphrases of this many bytes or more (ERANGE). */
export const CRYPT_MAX_PASSPHRASE_SIZE = 512;
/** Largest string crypt_rn writes, NUL included. */
export const CRYPT_OUTPUT_SIZE = 384;
/** Largest setting crypt_gensalt_rn writes, NUL included. */
export const CRYPT_GENSALT_OUTPUT_SIZE = 192;

const LIBCRYPT_SONAME = "libcrypt.so.1";

type NativeCallback = (err: unknown, result: unknown) => void;

interface LibCrypt {
  cryptRnAsync(phrase: Buffer, setting: Buffer, data: Buffer, size: number, done: NativeCallback): void;
  cryptGensaltRn(
    prefix: Buffer,
    count: number,
    rbytes: Buffer | null,
    nrbytes: number,
    output: Buffer,
    outputSize: number,
  ): unknown;
}

let libcrypt: LibCrypt | null = null;

/** Loads libcrypt.so.1 on first use (throws if the library or a symbol is missing). */
function loadLibCrypt(): LibCrypt {
  if (libcrypt !== null) return libcrypt;
  const lib = koffi.load(LIBCRYPT_SONAME);
  // char *crypt_rn(const char *phrase, const char *setting, void *data, int size);
  // Both strings are passed as NUL-terminated Buffers so the password's bytes reach
  // libxcrypt untouched (no UTF-8 round trip); data is the caller's crypt_data buffer.
  const cryptRn = lib.func("void *crypt_rn(const uint8_t *phrase, const uint8_t *setting, void *data, int size)");
  // char *crypt_gensalt_rn(const char *prefix, unsigned long count, const char *rbytes,
  //                        int nrbytes, char *output, int output_size);
  const cryptGensaltRn = lib.func(
    "void *crypt_gensalt_rn(const uint8_t *prefix, unsigned long count, const uint8_t *rbytes, int nrbytes, void *output, int output_size)",
  );
  const loaded: LibCrypt = {
    cryptRnAsync: (phrase, setting, data, size, done) => {
      cryptRn.async(phrase, setting, data, size, done);
    },
    cryptGensaltRn: (prefix, count, rbytes, nrbytes, output, outputSize) =>
      cryptGensaltRn(prefix, count, rbytes, nrbytes, output, outputSize),
  };
  libcrypt = loaded;
  return loaded;
}

/** A copy of `bytes` followed by one NUL, for a C string argument. */
function toCString(bytes: Buffer): Buffer {
  const out = Buffer.alloc(bytes.length + 1);
  bytes.copy(out);
  return out;
}

/** The NUL-terminated string at the start of `buffer`, read as latin1 (crypt output is ASCII). */
function readCString(buffer: Buffer, maxLength: number): string {
  const end = buffer.indexOf(0);
  return buffer.toString("latin1", 0, end === -1 || end > maxLength ? maxLength : end);
}

/**
 * crypt(3) through libxcrypt's crypt_rn, run through koffi's async call: it executes on a
 * libuv threadpool thread (napi_create_async_work), never on the event loop. Resolves with
 * the computed string, or null when libxcrypt refuses (unknown method, bad setting
 * characters, passphrase >= 512 bytes...: the "*0"/"*1" failure token). The phrase is cut
 * at its first NUL byte, as any C caller's would be; callers wanting exactness reject such
 * passwords first.
 */
export function cryptPassphrase(password: Buffer, setting: string): Promise<string | null> {
  let lib: LibCrypt;
  try {
    lib = loadLibCrypt();
  } catch (err) {
    return Promise.reject(err);
  }
  const phrase = toCString(password);
  const settingBytes = toCString(Buffer.from(setting, "utf8"));
  const data = Buffer.alloc(CRYPT_DATA_SIZE);
  return new Promise<string | null>((resolve, reject) => {
    try {
      lib.cryptRnAsync(phrase, settingBytes, data, CRYPT_DATA_SIZE, (err, result) => {
        phrase.fill(0);
        if (err !== null && err !== undefined) {
          data.fill(0);
          reject(err instanceof Error ? err : new Error(String(err)));
          return;
        }
        // crypt_rn returns NULL on failure and leaves the failure token in data->output.
        const output = result === null ? null : readCString(data, CRYPT_OUTPUT_SIZE);
        data.fill(0);
        resolve(output !== null && output.startsWith("*") ? null : output);
      });
    } catch (err) {
      phrase.fill(0);
      reject(err);
    }
  });
}

/**
 * Compare a computed hash with the stored one in constant time for equal lengths; a
 * different length is a mismatch (the length of a stored hash is not a secret).
 */
export function compareConstantTime(computed: string, stored: string): boolean {
  return compareBytesConstantTime(Buffer.from(computed, "utf8"), Buffer.from(stored, "utf8"));
}

/** compareConstantTime for byte strings. */
export function compareBytesConstantTime(computed: Buffer, stored: Buffer): boolean {
  if (computed.length !== stored.length) return false;
  return timingSafeEqual(computed, stored);
}

/**
 * True when crypt(password, storedHash) reproduces storedHash exactly: the plain libxcrypt
 * check, without pam_unix's special cases (see pam-hash-rules.ts for those).
 */
export async function verifyCryptHash(password: Buffer, storedHash: string): Promise<boolean> {
  const computed = await cryptPassphrase(password, storedHash);
  return computed !== null && compareConstantTime(computed, storedHash);
}

export interface GenerateSettingOptions {
  /** Method cost (yescrypt: 1..11, default 5; sha512crypt: rounds; 0 = libxcrypt default). */
  count?: number;
  /** Random bytes to use; omitted: libxcrypt reads them from the OS (getrandom). */
  randomBytes?: Buffer;
}

/**
 * A new setting string (prefix, cost and salt) for crypt(3), from libxcrypt's
 * crypt_gensalt_rn: e.g. prefix "$y$" → "$y$j9T$<salt>", "$6$" → "$6$<salt>". Returns null
 * when libxcrypt refuses (unknown prefix, bad count). Synchronous: it only formats a salt.
 */
export function generateCryptSetting(prefix: string, options: GenerateSettingOptions = {}): string | null {
  const lib = loadLibCrypt();
  const output = Buffer.alloc(CRYPT_GENSALT_OUTPUT_SIZE);
  const rbytes = options.randomBytes ?? null;
  const result = lib.cryptGensaltRn(
    toCString(Buffer.from(prefix, "utf8")),
    options.count ?? 0,
    rbytes,
    rbytes === null ? 0 : rbytes.length,
    output,
    CRYPT_GENSALT_OUTPUT_SIZE,
  );
  if (result === null) return null;
  const setting = readCString(output, CRYPT_GENSALT_OUTPUT_SIZE);
  return setting.startsWith("*") ? null : setting;
}

/**
 * A new crypt(3) hash of `password` with the given method prefix ("$y$", "$6$", ...), for
 * writing hashes other tools can read. Null when libxcrypt refuses.
 */
export async function hashWithCrypt(
  password: Buffer,
  prefix: string,
  options: GenerateSettingOptions = {},
): Promise<string | null> {
  const setting = generateCryptSetting(prefix, options);
  if (setting === null) return null;
  return cryptPassphrase(password, setting);
}
