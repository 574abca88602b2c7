// Owns the Admin service handlers (admin socket only): validate, call one use case, convert.
import { status } from "@grpc/grpc-js";
import type * as pb from "../gen/shadowd/v1/shadowd";
import { ImportMode, type AdminServer } from "../gen/shadowd/v1/shadowd";
import * as admin from "../app/admin-accounts";
import { importAccounts, type ImportChunk, type ImportDeps, type ImportRequestOptions } from "../app/import-accounts";
import { exportAccounts, type ExportCounts } from "../app/export-accounts";
import { ImportBusyError } from "../storage/account-import";
import type { AppLogger } from "../app/ports";
import type { Faillock } from "../app/faillock";
import { importAliases } from "../app/aliases";
import { foldAliasName } from "../domain/aliases-format";
import type { AliasStore } from "../storage/alias-store";
import { unary, clientStream, serverStream } from "./unary";
import { RpcError } from "./errors";
import { accountToProto, aliasToProto } from "./convert";
import { requireUsername, requireShortText, MAX_USERNAME_BYTES } from "./validate";

export interface AdminServiceDeps extends admin.AdminDeps, ImportDeps {
  logger: AppLogger;
  version: string;
  startedAtMs: number;
  databasePath: string;
  /** Largest passwd + shadow text one import may send. */
  maxImportBytes: number;
  /** The faillock tally, for ResetFailures. */
  faillock: Pick<Faillock, "resetFailures">;
  /** The aliases table, for ImportAliases, GetAlias and ListAliases. */
  aliases: AliasStore;
}

/** The chunks of an ImportAliases stream, refused past `maxBytes` (nothing is written then). */
async function* aliasChunks(messages: AsyncIterable<pb.ImportAliasesRequest>, maxBytes: number): AsyncGenerator<Uint8Array> {
  let total = 0;
  for await (const message of messages) {
    total += message.chunk.length;
    if (total > maxBytes) throw new RpcError(status.RESOURCE_EXHAUSTED, `aliases file larger than ${maxBytes} bytes; the aliases table is unchanged`);
    yield message.chunk;
  }
}

/**
 * The chunks of an ImportAccounts stream after its options message, refused past
 * `maxBytes` or on a second options message (nothing is written then).
 */
async function* importChunks(messages: AsyncIterator<pb.ImportAccountsRequest>, maxBytes: number): AsyncGenerator<ImportChunk> {
  let total = 0;
  for (;;) {
    const next = await messages.next();
    if (next.done === true) return;
    const part = next.value.part;
    if (part === undefined) throw new RpcError(status.INVALID_ARGUMENT, "an import message without options or a chunk");
    if (part.$case === "options") throw new RpcError(status.INVALID_ARGUMENT, "import options must come once, in the first message");
    total += part.value.length;
    if (total > maxBytes) throw new RpcError(status.RESOURCE_EXHAUSTED, `import larger than ${maxBytes} bytes; nothing was written`);
    yield { file: part.$case === "passwdChunk" ? "passwd" : "shadow", bytes: part.value };
  }
}

/** Resolves when `write` resolves, or soon after the call is cancelled (a dead stream never drains). */
async function writeUnlessCancelled(write: Promise<void>, cancelled: () => boolean): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const polled = new Promise<void>((resolve) => {
    const poll = (): void => {
      if (cancelled()) resolve();
      else timer = setTimeout(poll, 100);
    };
    timer = setTimeout(poll, 100);
  });
  try {
    await Promise.race([write, polled]);
  } finally {
    clearTimeout(timer);
  }
}

function importModeOf(mode: ImportMode): ImportRequestOptions["mode"] {
  switch (mode) {
    case ImportMode.IMPORT_MODE_UNSPECIFIED:
    case ImportMode.IMPORT_MODE_MERGE:
      return "merge";
    case ImportMode.IMPORT_MODE_REPLACE:
      return "replace";
    case ImportMode.IMPORT_MODE_CREATE_ONLY:
      return "create-only";
    default:
      throw new RpcError(status.INVALID_ARGUMENT, `unknown import mode ${String(mode)}`);
  }
}

export function createAdminService(deps: AdminServiceDeps): AdminServer {
  const { logger } = deps;
  const audit = (action: string, fields: object): void => logger.info({ audit: action, ...fields }, `admin ${action}`);
  return {
    addUser: unary(logger, "Admin/AddUser", async (request: pb.AddUserRequest) => {
      const input: admin.AddUserInput = { name: request.name, gecos: request.gecos, home: request.home, shell: request.shell };
      if (request.uid !== undefined) input.uid = request.uid;
      if (request.gid !== undefined) input.gid = request.gid;
      if (request.expireDate !== undefined) input.expireDate = request.expireDate;
      if (request.inactiveDays !== undefined) input.inactiveDays = request.inactiveDays;
      if (request.password !== undefined) input.password = request.password;
      if (request.passwordHash !== undefined) input.passwordHash = request.passwordHash;
      const account = await admin.addUser(deps, input);
      audit("useradd", { user: account.name, uid: account.uid });
      return accountToProto(account);
    }),
    modifyUser: unary(logger, "Admin/ModifyUser", async (request: pb.ModifyUserRequest) => {
      const input: admin.ModifyUserInput = { name: requireUsername(request.name, "name"), lock: request.lock, unlock: request.unlock };
      if (request.newName !== undefined) input.newName = request.newName;
      if (request.uid !== undefined) input.uid = request.uid;
      if (request.gid !== undefined) input.gid = request.gid;
      if (request.gecos !== undefined) input.gecos = request.gecos;
      if (request.home !== undefined) input.home = request.home;
      if (request.shell !== undefined) input.shell = request.shell;
      if (request.expireDate !== undefined) input.expireDate = request.expireDate;
      if (request.inactiveDays !== undefined) input.inactiveDays = request.inactiveDays;
      const account = await admin.modifyUser(deps, input);
      audit("usermod", { user: request.name, newName: request.newName, lock: request.lock, unlock: request.unlock });
      return accountToProto(account);
    }),
    deleteUser: unary(logger, "Admin/DeleteUser", async (request: pb.DeleteUserRequest) => {
      await admin.deleteUser(deps, requireUsername(request.name, "name"));
      audit("userdel", { user: request.name });
      return {};
    }),
    setPassword: unary(logger, "Admin/SetPassword", async (request: pb.SetPasswordRequest) => {
      const input: admin.SetPasswordInput = {
        name: requireUsername(request.name, "name"),
        expire: request.expire,
        delete: request.delete,
        lock: request.lock,
        unlock: request.unlock,
      };
      if (request.password !== undefined) input.password = request.password;
      const account = await admin.setPassword(deps, input);
      audit("passwd", { user: request.name, passwordSet: request.password !== undefined, expire: request.expire, delete: request.delete, lock: request.lock, unlock: request.unlock });
      return accountToProto(account);
    }),
    setAging: unary(logger, "Admin/SetAging", async (request: pb.SetAgingRequest) => {
      const input: admin.SetAgingInput = { name: requireUsername(request.name, "name") };
      if (request.lastChange !== undefined) input.lastChange = request.lastChange;
      if (request.minDays !== undefined) input.minDays = request.minDays;
      if (request.maxDays !== undefined) input.maxDays = request.maxDays;
      if (request.warnDays !== undefined) input.warnDays = request.warnDays;
      if (request.inactiveDays !== undefined) input.inactiveDays = request.inactiveDays;
      if (request.expireDate !== undefined) input.expireDate = request.expireDate;
      const account = await admin.setAging(deps, input);
      audit("chage", { user: request.name, changes: { ...input, name: undefined } });
      return accountToProto(account);
    }),
    getUser: unary(logger, "Admin/GetUser", async (request: pb.GetUserRequest) => {
      return accountToProto(await admin.getUser(deps, requireUsername(request.name, "name")));
    }),
    listUsers: serverStream(logger, "Admin/ListUsers", async (_request: pb.ListUsersRequest, write, ctx) => {
      for await (const account of deps.storage.listAccounts()) {
        if (ctx.cancelled()) return;
        await write(accountToProto(account));
      }
    }),
    importAccounts: clientStream(logger, "Admin/ImportAccounts", async (messages: AsyncIterable<pb.ImportAccountsRequest>): Promise<pb.ImportReport> => {
      const iterator = messages[Symbol.asyncIterator]();
      const first = await iterator.next();
      if (first.done === true) throw new RpcError(status.INVALID_ARGUMENT, "empty import stream: send options, then passwd and shadow chunks");
      const part = first.value.part;
      if (part === undefined) throw new RpcError(status.INVALID_ARGUMENT, "an import message without options or a chunk");
      if (part.$case !== "options") throw new RpcError(status.INVALID_ARGUMENT, "the first import message must carry the options");
      const options: ImportRequestOptions = {
        dryRun: part.value.dryRun,
        mode: importModeOf(part.value.mode),
        skipInvalid: part.value.skipInvalid,
        includeSystem: part.value.includeSystem,
        passwdFileName: part.value.passwdFileName || "passwd",
        shadowFileName: part.value.shadowFileName || "shadow",
      };
      let report: pb.ImportReport;
      try {
        report = await importAccounts(deps, options, importChunks(iterator, deps.maxImportBytes));
      } catch (error) {
        if (error instanceof ImportBusyError) throw new RpcError(status.RESOURCE_EXHAUSTED, error.message);
        throw error;
      }
      audit("import", { dryRun: options.dryRun, mode: options.mode, created: report.created, updated: report.updated, deleted: report.deleted, skipped: report.skipped, problems: report.problemCount, committed: report.committed });
      return report;
    }),
    exportAccounts: serverStream(logger, "Admin/ExportAccounts", async (_request: pb.ExportAccountsRequest, write, ctx) => {
      const counts: ExportCounts = { passwdLines: 0, shadowLines: 0 };
      for await (const chunk of exportAccounts(deps, counts)) {
        if (ctx.cancelled()) return;
        const part: pb.ExportAccountsResponse["part"] =
          chunk.file === "passwd" ? { $case: "passwdChunk", value: chunk.bytes } : { $case: "shadowChunk", value: chunk.bytes };
        await writeUnlessCancelled(write({ part }), ctx.cancelled);
      }
      audit("export", { passwdLines: counts.passwdLines, shadowLines: counts.shadowLines });
    }),
    importAliases: clientStream(logger, "Admin/ImportAliases", async (messages: AsyncIterable<pb.ImportAliasesRequest>): Promise<pb.ImportAliasesReport> => {
      const report = await importAliases(deps, aliasChunks(messages, deps.maxImportBytes));
      audit("newaliases", { aliases: report.aliases, problems: report.problems.length, committed: report.committed });
      return report;
    }),
    resetFailures: unary(logger, "Admin/ResetFailures", async (request: pb.ResetFailuresRequest): Promise<pb.ResetFailuresResponse> => {
      // Like faillock --reset: a name without records (even an unknown one) clears nothing.
      const cleared = await deps.faillock.resetFailures(requireUsername(request.name, "name"));
      audit("faillock-reset", { user: request.name, cleared });
      return { cleared };
    }),
    getStatus: unary(logger, "Admin/GetStatus", async (): Promise<pb.GetStatusResponse> => ({
      version: deps.version,
      uptimeSeconds: Math.floor((deps.clock.nowMs() - deps.startedAtMs) / 1000),
      accounts: await deps.storage.countAccounts(),
      database: deps.databasePath,
      today: deps.clock.today(),
    })),
    getAlias: unary(logger, "Admin/GetAlias", async (request: pb.GetAliasRequest): Promise<pb.Alias> => {
      const name = requireShortText(request.name, "name", MAX_USERNAME_BYTES);
      if (name === "") throw new RpcError(status.INVALID_ARGUMENT, "name is empty");
      const alias = await deps.aliases.getAlias(foldAliasName(name));
      if (alias === null) throw new RpcError(status.NOT_FOUND, `alias '${foldAliasName(name)}' does not exist`);
      return aliasToProto(alias);
    }),
    listAliases: serverStream(logger, "Admin/ListAliases", async (_request: pb.ListAliasesRequest, write, ctx) => {
      for await (const alias of deps.aliases.listAliases()) {
        if (ctx.cancelled()) return;
        await write(aliasToProto(alias));
      }
    }),
  };
}
