// Owns the administrator's account operations: useradd, usermod, userdel, passwd (as root),
// chage, getent. Semantics follow shadow-utils 4.13; every write is one storage call.
import type { Account, EpochDays, ShadowFields } from "../domain/account";
import { isShadowed, effectiveHash, withEffectiveHash } from "../domain/account";
import { validateNewAccountName, validateImportedAccountName, validateFieldText, validateHashText } from "../domain/names";
import { PASSWORD_DENIED_FROM_BYTES, MAX_GECOS_BYTES, MAX_HOME_BYTES, MAX_SHELL_BYTES } from "../domain/limits";
import type { Clock, PasswordHasher, Storage } from "./ports";
import { InvalidRequestError, PreconditionError } from "./errors";
import { AlreadyExistsError, NotFoundError } from "../storage/storage";

export interface AdminDeps {
  storage: Storage;
  hasher: PasswordHasher;
  clock: Clock;
  /** Lowest uid handed out by useradd without -u (login.defs UID_MIN). */
  minUid: number;
}

/** login.defs defaults on Debian 12. */
const PASS_MIN_DAYS = 0;
const PASS_MAX_DAYS = 99999;
const PASS_WARN_AGE = 7;
const MAX_ID = 4294967294;

export interface AddUserInput {
  name: string;
  uid?: number;
  gid?: number;
  gecos: string;
  home: string;
  shell: string;
  expireDate?: number;
  inactiveDays?: number;
  password?: Buffer;
  passwordHash?: string;
}

/** A day number or count from a request: -1 clears (null), other negatives are refused. */
function optionalDays(label: string, value: number | undefined): number | null | undefined {
  if (value === undefined) return undefined;
  if (!Number.isSafeInteger(value) || value < -1 || value > 2147483647) {
    throw new InvalidRequestError(`${label} must be -1 (clear) or a number from 0 to 2147483647, got ${value}`);
  }
  return value === -1 ? null : value;
}

function checkId(label: string, value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > MAX_ID) throw new InvalidRequestError(`${label} must be 0..${MAX_ID}, got ${value}`);
  return value;
}

function checkField(label: string, value: string, maxBytes: number): string {
  const problem = validateFieldText(label, value, maxBytes);
  if (problem !== null) throw new InvalidRequestError(problem);
  return value;
}

function checkPassword(password: Buffer): Buffer {
  if (password.length === 0) throw new InvalidRequestError("the new password is empty (use passwd -d to delete a password)");
  if (password.length >= PASSWORD_DENIED_FROM_BYTES) throw new InvalidRequestError(`the new password is ${PASSWORD_DENIED_FROM_BYTES} bytes or longer; PAM cannot pass it`);
  if (password.includes(0)) throw new InvalidRequestError("the new password contains a NUL byte");
  return password;
}

function checkPreHashed(hash: string): string {
  const problem = validateHashText(hash);
  if (problem !== null) throw new InvalidRequestError(`invalid pre-hashed password (-p): ${problem}`);
  return hash;
}

/** Validate the name of an account to look up (liberal: imported names are allowed). */
export function checkExistingName(name: string): string {
  const problem = validateImportedAccountName(name);
  if (problem !== null) throw new InvalidRequestError(`invalid user name: ${problem}`);
  return name;
}

async function scanUids(storage: Storage): Promise<{ used: Set<number>; highestFrom: (min: number) => number }> {
  const used = new Set<number>();
  for await (const account of storage.listAccounts()) used.add(account.uid);
  return {
    used,
    highestFrom(min: number): number {
      let highest = min - 1;
      for (const uid of used) if (uid >= min && uid < 60000 && uid > highest) highest = uid;
      return highest + 1;
    },
  };
}

/** useradd: hash "!" (no password yet) unless a password or -p hash is given; lastchg today. */
export async function addUser(deps: AdminDeps, input: AddUserInput): Promise<Account> {
  const nameProblem = validateNewAccountName(input.name);
  if (nameProblem !== null) throw new InvalidRequestError(`invalid user name '${input.name}': ${nameProblem}`);
  if (input.password !== undefined && input.passwordHash !== undefined) {
    throw new InvalidRequestError("give either a password or a pre-hashed password (-p), not both");
  }
  const gecos = checkField("comment", input.gecos, MAX_GECOS_BYTES);
  const home = checkField("home directory", input.home === "" ? `/home/${input.name}` : input.home, MAX_HOME_BYTES);
  const shell = checkField("shell", input.shell === "" ? "/bin/sh" : input.shell, MAX_SHELL_BYTES);
  const expireDate = optionalDays("expire date", input.expireDate) ?? null;
  const inactiveDays = optionalDays("inactive days", input.inactiveDays) ?? null;
  if (await deps.storage.getAccount(input.name)) throw new AlreadyExistsError(input.name);

  const uids = await scanUids(deps.storage);
  let uid: number;
  if (input.uid !== undefined) {
    uid = checkId("uid", input.uid);
    if (uids.used.has(uid)) throw new PreconditionError(`UID ${uid} is not unique`);
  } else {
    uid = uids.highestFrom(deps.minUid);
  }
  const gid = input.gid !== undefined ? checkId("gid", input.gid) : uid;

  let hash = "!";
  if (input.password !== undefined) hash = await deps.hasher.hash(checkPassword(input.password));
  else if (input.passwordHash !== undefined) hash = checkPreHashed(input.passwordHash);

  const account: Account = {
    name: input.name,
    passwdPassword: "x",
    uid,
    gid,
    gecos,
    home,
    shell,
    shadow: {
      hash,
      lastChange: deps.clock.today(),
      minDays: PASS_MIN_DAYS,
      maxDays: PASS_MAX_DAYS,
      warnDays: PASS_WARN_AGE,
      inactiveDays,
      expireDate,
      flag: "",
    },
  };
  await deps.storage.createAccount(account);
  return account;
}

export interface ModifyUserInput {
  name: string;
  newName?: string;
  uid?: number;
  gid?: number;
  gecos?: string;
  home?: string;
  shell?: string;
  expireDate?: number;
  inactiveDays?: number;
  lock: boolean;
  unlock: boolean;
}

/** A shadow entry to edit: the existing one, or one made from the passwd field (as chage does). */
function editableShadow(account: Account): { account: Account; shadow: ShadowFields } {
  if (account.shadow !== null) return { account, shadow: account.shadow };
  const hash = isShadowed(account) ? "!" : account.passwdPassword;
  const shadow: ShadowFields = { hash, lastChange: null, minDays: null, maxDays: null, warnDays: null, inactiveDays: null, expireDate: null, flag: "" };
  return { account: { ...account, passwdPassword: "x" }, shadow };
}

function lockHash(hash: string): string {
  return hash.startsWith("!") ? hash : `!${hash}`;
}

function unlockHash(hash: string, tool: string): string {
  if (!hash.startsWith("!")) return hash;
  const unlocked = hash.slice(1);
  if (unlocked === "") throw new PreconditionError(`${tool}: unlocking the password would result in a passwordless account (set a password with passwd, or delete it with passwd -d)`);
  return unlocked;
}

/** usermod. */
export async function modifyUser(deps: AdminDeps, input: ModifyUserInput): Promise<Account> {
  checkExistingName(input.name);
  if (input.lock && input.unlock) throw new InvalidRequestError("-L and -U are mutually exclusive");
  if (input.newName !== undefined) {
    const problem = validateNewAccountName(input.newName);
    if (problem !== null) throw new InvalidRequestError(`invalid new user name '${input.newName}': ${problem}`);
  }
  const uid = input.uid === undefined ? undefined : checkId("uid", input.uid);
  const gid = input.gid === undefined ? undefined : checkId("gid", input.gid);
  const gecos = input.gecos === undefined ? undefined : checkField("comment", input.gecos, MAX_GECOS_BYTES);
  const home = input.home === undefined ? undefined : checkField("home directory", input.home, MAX_HOME_BYTES);
  const shell = input.shell === undefined ? undefined : checkField("shell", input.shell, MAX_SHELL_BYTES);
  const expireDate = optionalDays("expire date", input.expireDate);
  const inactiveDays = optionalDays("inactive days", input.inactiveDays);
  if (uid !== undefined && uid !== (await deps.storage.getAccount(input.name))?.uid) {
    const uids = await scanUids(deps.storage);
    if (uids.used.has(uid)) throw new PreconditionError(`UID ${uid} is not unique`);
  }

  return deps.storage.updateAccount(input.name, (old) => {
    let next: Account = { ...old };
    if (input.newName !== undefined) next.name = input.newName;
    if (uid !== undefined) next.uid = uid;
    if (gid !== undefined) next.gid = gid;
    if (gecos !== undefined) next.gecos = gecos;
    if (home !== undefined) next.home = home;
    if (shell !== undefined) next.shell = shell;
    if (expireDate !== undefined || inactiveDays !== undefined) {
      const editable = editableShadow(next);
      next = { ...editable.account, shadow: { ...editable.shadow } };
      if (expireDate !== undefined) next.shadow!.expireDate = expireDate;
      if (inactiveDays !== undefined) next.shadow!.inactiveDays = inactiveDays;
    }
    const hash = effectiveHash(next);
    if (input.lock && hash !== null) next = withEffectiveHash(next, lockHash(hash));
    if (input.unlock && hash !== null) next = withEffectiveHash(next, unlockHash(hash, "usermod"));
    return next;
  });
}

/** userdel. */
export async function deleteUser(deps: AdminDeps, name: string): Promise<void> {
  checkExistingName(name);
  await deps.storage.deleteAccount(name);
}

export interface SetPasswordInput {
  name: string;
  password?: Buffer;
  expire: boolean;
  delete: boolean;
  lock: boolean;
  unlock: boolean;
}

/** passwd run by root: a new password (lastchg today), -e, -d, -l, -u. */
export async function setPassword(deps: AdminDeps, input: SetPasswordInput): Promise<Account> {
  checkExistingName(input.name);
  const actions = [input.password !== undefined, input.expire, input.delete, input.lock, input.unlock].filter(Boolean).length;
  if (actions === 0) throw new InvalidRequestError("nothing to do: give a password, or one of -e, -d, -l, -u");
  if (input.lock && input.unlock) throw new InvalidRequestError("-l and -u are mutually exclusive");
  if (input.delete && (input.password !== undefined || input.lock || input.unlock)) {
    throw new InvalidRequestError("-d cannot be combined with a new password, -l or -u");
  }
  const newHash = input.password === undefined ? undefined : await deps.hasher.hash(checkPassword(input.password));
  const today: EpochDays = deps.clock.today();
  const existing = await deps.storage.getAccount(input.name);
  if (existing === null) throw new NotFoundError(input.name);

  return deps.storage.updateAccount(input.name, (old) => {
    const editable = editableShadow(old);
    let next: Account = { ...editable.account, shadow: { ...editable.shadow } };
    const shadow = next.shadow!;
    if (newHash !== undefined) {
      shadow.hash = newHash;
      shadow.lastChange = today;
    }
    if (input.delete) {
      shadow.hash = "";
      shadow.lastChange = today;
    }
    if (input.lock) shadow.hash = lockHash(shadow.hash);
    if (input.unlock) shadow.hash = unlockHash(shadow.hash, "passwd");
    if (input.expire) shadow.lastChange = 0;
    return next;
  });
}

export interface SetAgingInput {
  name: string;
  lastChange?: number;
  minDays?: number;
  maxDays?: number;
  warnDays?: number;
  inactiveDays?: number;
  expireDate?: number;
}

/** chage -d -m -M -W -I -E (-1 clears a field). */
export async function setAging(deps: AdminDeps, input: SetAgingInput): Promise<Account> {
  checkExistingName(input.name);
  const fields = {
    lastChange: optionalDays("last change (-d)", input.lastChange),
    minDays: optionalDays("minimum days (-m)", input.minDays),
    maxDays: optionalDays("maximum days (-M)", input.maxDays),
    warnDays: optionalDays("warning days (-W)", input.warnDays),
    inactiveDays: optionalDays("inactive days (-I)", input.inactiveDays),
    expireDate: optionalDays("expire date (-E)", input.expireDate),
  };
  return deps.storage.updateAccount(input.name, (old) => {
    const editable = editableShadow(old);
    const shadow: ShadowFields = { ...editable.shadow };
    for (const [key, value] of Object.entries(fields) as [keyof typeof fields, number | null | undefined][]) {
      if (value !== undefined) shadow[key] = value;
    }
    return { ...editable.account, shadow };
  });
}

/** getent for one account; NotFoundError when missing. */
export async function getUser(deps: Pick<AdminDeps, "storage">, name: string): Promise<Account> {
  checkExistingName(name);
  const account = await deps.storage.getAccount(name);
  if (account === null) throw new NotFoundError(name);
  return account;
}
