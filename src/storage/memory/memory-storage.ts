// Owns the in-memory Storage: the reference backend for unit tests, with the SQLite
// backend's semantics (creation order, refused values, all-or-nothing batches). No I/O.
import type { Account, ShadowFields } from "../../domain/account";
import {
  AlreadyExistsError,
  NotFoundError,
  type AccountBatch,
  type AccountFile,
  type AccountUpdater,
  type ExportPage,
  type SourceLine,
  type Storage,
} from "../storage";

const UINT32_MAX = 4294967295;
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/**
 * Storage in two Maps. Stored accounts are private copies; callers get fresh copies, and an
 * updater gets a frozen one. Values the SQLite schema's CHECK constraints refuse are refused
 * here too, with a RangeError, so unit tests meet the same limits as production.
 */
export class MemoryStorage implements Storage {
  /** id → account. Ids only grow, so Map order is creation order; set() keeps the position. */
  readonly #byId = new Map<number, Account>();
  readonly #idByName = new Map<string, number>();
  /** id → the source lines of imported accounts (see Storage: kept while their fields are). */
  readonly #sources = new Map<number, Partial<Record<AccountFile, SourceLine>>>();
  #nextId = 1;
  #closed = false;

  async createAccount(account: Account): Promise<void> {
    this.#assertOpen();
    assertStorable(account);
    if (this.#idByName.has(account.name)) throw new AlreadyExistsError(account.name);
    this.#insert(account);
  }

  async getAccount(name: string): Promise<Account | null> {
    this.#assertOpen();
    const id = this.#idByName.get(name);
    const account = id === undefined ? undefined : this.#byId.get(id);
    return account === undefined ? null : copyAccount(account);
  }

  /**
   * Iterates the live Map: accounts that exist throughout are yielded exactly once, in
   * creation order; changes made while iterating may or may not show.
   */
  async *listAccounts(): AsyncGenerator<Account, void, undefined> {
    this.#assertOpen();
    for (const account of this.#byId.values()) yield copyAccount(account);
  }

  async countAccounts(): Promise<number> {
    this.#assertOpen();
    return this.#byId.size;
  }

  async updateAccount(name: string, updater: AccountUpdater): Promise<Account> {
    this.#assertOpen();
    const id = this.#idByName.get(name);
    const stored = id === undefined ? undefined : this.#byId.get(id);
    if (id === undefined || stored === undefined) throw new NotFoundError(name);
    const old = freezeAccount(copyAccount(stored));
    const next = updater(old);
    if (next === old) return old;
    assertStorable(next);
    if (next.name !== name && this.#idByName.has(next.name)) throw new AlreadyExistsError(next.name);
    this.#idByName.delete(name);
    this.#idByName.set(next.name, id);
    this.#byId.set(id, copyAccount(next));
    this.#dropOutdatedSources(id, stored, next);
    return copyAccount(next);
  }

  async deleteAccount(name: string): Promise<void> {
    this.#assertOpen();
    const id = this.#idByName.get(name);
    if (id === undefined) throw new NotFoundError(name);
    this.#idByName.delete(name);
    this.#byId.delete(id);
    this.#sources.delete(id);
  }

  /**
   * Deletes first, then replacements, then creates (see AccountBatch). The whole batch is
   * checked against the names it would see before anything changes, so a failure leaves
   * every account as it was.
   */
  async applyBatch(batch: AccountBatch): Promise<void> {
    this.#assertOpen();
    const names = new Set(this.#idByName.keys());
    for (const name of batch.delete) {
      if (!names.delete(name)) throw new NotFoundError(name);
    }
    for (const account of batch.replace) {
      assertStorable(account);
      if (!names.has(account.name)) throw new NotFoundError(account.name);
    }
    for (const account of batch.create) {
      assertStorable(account);
      if (names.has(account.name)) throw new AlreadyExistsError(account.name);
      names.add(account.name);
    }

    for (const name of batch.delete) {
      const id = this.#idByName.get(name);
      if (id !== undefined) {
        this.#byId.delete(id);
        this.#sources.delete(id);
      }
      this.#idByName.delete(name);
    }
    for (const account of batch.replace) {
      const id = this.#idByName.get(account.name);
      const stored = id === undefined ? undefined : this.#byId.get(id);
      if (id === undefined || stored === undefined) continue;
      this.#byId.set(id, copyAccount(account));
      this.#dropOutdatedSources(id, stored, account);
    }
    for (const account of batch.create) this.#insert(account);
  }

  async setSourceLines(name: string, lines: { passwd?: SourceLine | null; shadow?: SourceLine | null }): Promise<void> {
    this.#assertOpen();
    const id = this.#idByName.get(name);
    if (id === undefined) throw new NotFoundError(name);
    for (const line of [lines.passwd, lines.shadow]) {
      if (line !== undefined && line !== null && !Number.isSafeInteger(line.seq)) {
        throw new RangeError(`account '${name}': a source line seq must be an integer, not ${line.seq}`);
      }
      if (line?.text?.includes("\n") === true) throw new RangeError(`account '${name}': a source line holds a newline`);
    }
    const sources = { ...this.#sources.get(id) };
    for (const file of ["passwd", "shadow"] as const) {
      const line = lines[file];
      if (line === null) delete sources[file];
      else if (line !== undefined) sources[file] = { seq: line.seq, text: line.text };
    }
    this.#sources.set(id, sources);
  }

  /** A snapshot taken at the first step (accounts are copied up front). */
  async *exportAccounts(): AsyncGenerator<ExportPage, void, undefined> {
    this.#assertOpen();
    const pageSize = 1000;
    const entries = [...this.#byId].map(([id, account]) => ({ id, account: copyAccount(account), sources: { ...this.#sources.get(id) } }));
    for (const file of ["passwd", "shadow"] as const) {
      const ordered = entries
        .filter((entry) => file === "passwd" || entry.account.shadow !== null)
        .sort((a, b) => compareExportOrder(a.sources[file]?.seq, a.id, b.sources[file]?.seq, b.id));
      for (let start = 0; start < ordered.length; start += pageSize) {
        const records = ordered.slice(start, start + pageSize).map((entry) => ({ account: entry.account, text: entry.sources[file]?.text ?? null }));
        yield { file, records };
      }
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  /** The storage rule for source lines: a file's text goes when a field read from it changes. */
  #dropOutdatedSources(id: number, before: Account, after: Account): void {
    const sources = this.#sources.get(id);
    if (sources === undefined) return;
    const next = { ...sources };
    if (sources.passwd !== undefined && !samePasswdFields(before, after)) next.passwd = { seq: sources.passwd.seq, text: null };
    if (sources.shadow !== undefined && !sameShadowFields(before, after)) next.shadow = { seq: sources.shadow.seq, text: null };
    this.#sources.set(id, next);
  }

  #insert(account: Account): void {
    const id = this.#nextId++;
    this.#idByName.set(account.name, id);
    this.#byId.set(id, copyAccount(account));
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error("storage is closed");
  }
}

/** Export order: accounts with a seq by seq, then the others by id (creation order). */
function compareExportOrder(seqA: number | undefined, idA: number, seqB: number | undefined, idB: number): number {
  if (seqA !== undefined && seqB !== undefined) return seqA - seqB || idA - idB;
  if (seqA !== undefined) return -1;
  if (seqB !== undefined) return 1;
  return idA - idB;
}

function samePasswdFields(a: Account, b: Account): boolean {
  return (
    a.name === b.name &&
    a.passwdPassword === b.passwdPassword &&
    a.uid === b.uid &&
    a.gid === b.gid &&
    a.gecos === b.gecos &&
    a.home === b.home &&
    a.shell === b.shell
  );
}

function sameShadowFields(a: Account, b: Account): boolean {
  if (a.name !== b.name) return false;
  if (a.shadow === null || b.shadow === null) return a.shadow === b.shadow;
  const x = a.shadow;
  const y = b.shadow;
  return (
    x.hash === y.hash &&
    x.lastChange === y.lastChange &&
    x.minDays === y.minDays &&
    x.maxDays === y.maxDays &&
    x.warnDays === y.warnDays &&
    x.inactiveDays === y.inactiveDays &&
    x.expireDate === y.expireDate &&
    x.flag === y.flag
  );
}

/** A copy with exactly the Account fields (extra properties are dropped, as in SQLite). */
function copyAccount(account: Account): Account {
  return {
    name: account.name,
    passwdPassword: account.passwdPassword,
    uid: account.uid,
    gid: account.gid,
    gecos: account.gecos,
    home: account.home,
    shell: account.shell,
    shadow: account.shadow === null ? null : copyShadow(account.shadow),
  };
}

function copyShadow(shadow: ShadowFields): ShadowFields {
  return {
    hash: shadow.hash,
    lastChange: shadow.lastChange,
    minDays: shadow.minDays,
    maxDays: shadow.maxDays,
    warnDays: shadow.warnDays,
    inactiveDays: shadow.inactiveDays,
    expireDate: shadow.expireDate,
    flag: shadow.flag,
  };
}

function freezeAccount(account: Account): Account {
  if (account.shadow !== null) Object.freeze(account.shadow);
  return Object.freeze(account);
}

/** The CHECK constraints of migrations/sqlite/0001_initial.sql, as RangeErrors. */
function assertStorable(account: Account): void {
  const refuse = (what: string): never => {
    throw new RangeError(`account '${account.name}' has a value the storage refuses (${what})`);
  };
  if (account.name === "") refuse("empty name");
  const texts: [string, string][] = [
    ["name", account.name],
    ["passwdPassword", account.passwdPassword],
    ["gecos", account.gecos],
    ["home", account.home],
  ];
  const numbers: [string, number | null, number, number][] = [
    ["uid", account.uid, 0, UINT32_MAX],
    ["gid", account.gid, 0, UINT32_MAX],
  ];
  const shadow = account.shadow;
  if (shadow !== null) {
    texts.push(["hash", shadow.hash], ["flag", shadow.flag]);
    numbers.push(
      ["lastChange", shadow.lastChange, INT32_MIN, INT32_MAX],
      ["minDays", shadow.minDays, INT32_MIN, INT32_MAX],
      ["maxDays", shadow.maxDays, INT32_MIN, INT32_MAX],
      ["warnDays", shadow.warnDays, INT32_MIN, INT32_MAX],
      ["inactiveDays", shadow.inactiveDays, INT32_MIN, INT32_MAX],
      ["expireDate", shadow.expireDate, INT32_MIN, INT32_MAX],
    );
  }
  for (const [field, value] of texts) {
    if (value.includes(":") || value.includes("\n")) refuse(`${field} contains ':' or a newline`);
  }
  // The shell is the rest of the passwd line: it may hold ':', never a newline.
  if (account.shell.includes("\n")) refuse("shell contains a newline");
  for (const [field, value, min, max] of numbers) {
    if (value === null) continue;
    if (!Number.isInteger(value) || value < min || value > max) {
      refuse(`${field} must be an integer in ${min}..${max}, not ${value}`);
    }
  }
}
