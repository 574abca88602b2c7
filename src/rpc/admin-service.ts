// Owns the Admin service handlers (admin socket only): validate, call one use case, convert.
import { status } from "@grpc/grpc-js";
import type * as pb from "../gen/shadowd/v1/shadowd";
import { ImportMode, type AdminServer } from "../gen/shadowd/v1/shadowd";
import * as admin from "../app/admin-accounts";
import { importAccounts, type ImportDeps, type ImportRequestOptions } from "../app/import-accounts";
import type { AppLogger } from "../app/ports";
import { unary, clientStream, serverStream } from "./unary";
import { RpcError } from "./errors";
import { accountToProto } from "./convert";
import { requireUsername } from "./validate";

export interface AdminServiceDeps extends admin.AdminDeps, ImportDeps {
  logger: AppLogger;
  version: string;
  startedAtMs: number;
  databasePath: string;
  /** Largest passwd + shadow text one import may send. */
  maxImportBytes: number;
}

function notYet(method: string): never {
  throw new RpcError(status.UNIMPLEMENTED, `${method} is not implemented in this version of shadowd`);
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
      audit("passwd", { user: request.name, newPassword: request.password !== undefined, expire: request.expire, delete: request.delete, lock: request.lock, unlock: request.unlock });
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
    importAccounts: clientStream(logger, "Admin/ImportAccounts", async (messages: AsyncIterable<pb.ImportAccountsRequest>) => {
      let options: ImportRequestOptions | undefined;
      const passwd: Buffer[] = [];
      const shadow: Buffer[] = [];
      let total = 0;
      for await (const message of messages) {
        const part = message.part;
        if (part === undefined) throw new RpcError(status.INVALID_ARGUMENT, "an import message without options or a chunk");
        if (part.$case === "options") {
          if (options !== undefined || total > 0) throw new RpcError(status.INVALID_ARGUMENT, "import options must come once, in the first message");
          options = {
            dryRun: part.value.dryRun,
            mode: importModeOf(part.value.mode),
            skipInvalid: part.value.skipInvalid,
            includeSystem: part.value.includeSystem,
            passwdFileName: part.value.passwdFileName || "passwd",
            shadowFileName: part.value.shadowFileName || "shadow",
          };
          continue;
        }
        if (options === undefined) throw new RpcError(status.INVALID_ARGUMENT, "the first import message must carry the options");
        total += part.value.length;
        if (total > deps.maxImportBytes) throw new RpcError(status.RESOURCE_EXHAUSTED, `import larger than ${deps.maxImportBytes} bytes; nothing was written`);
        (part.$case === "passwdChunk" ? passwd : shadow).push(part.value);
      }
      if (options === undefined) throw new RpcError(status.INVALID_ARGUMENT, "empty import stream: send options, then passwd and shadow chunks");
      const report = await importAccounts(deps, options, Buffer.concat(passwd), Buffer.concat(shadow));
      audit("import", { dryRun: options.dryRun, mode: options.mode, created: report.created, updated: report.updated, deleted: report.deleted, problems: report.problems.length, committed: report.committed });
      return report;
    }),
    exportAccounts: serverStream(logger, "Admin/ExportAccounts", async () => notYet("ExportAccounts")),
    importAliases: clientStream(logger, "Admin/ImportAliases", async () => notYet("ImportAliases")),
    resetFailures: unary(logger, "Admin/ResetFailures", async () => notYet("ResetFailures")),
    getStatus: unary(logger, "Admin/GetStatus", async (): Promise<pb.GetStatusResponse> => ({
      version: deps.version,
      uptimeSeconds: Math.floor((deps.clock.nowMs() - deps.startedAtMs) / 1000),
      accounts: await deps.storage.countAccounts(),
      database: deps.databasePath,
      today: deps.clock.today(),
    })),
  };
}
