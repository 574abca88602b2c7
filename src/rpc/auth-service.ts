// Owns the Auth service handlers: validate the request, call one use case, convert.
import { status } from "@grpc/grpc-js";
import type * as pb from "../gen/shadowd/v1/shadowd";
import type { AuthServer } from "../gen/shadowd/v1/shadowd";
import { authenticate, type AuthenticateDeps } from "../app/authenticate";
import { checkAccount, getAging } from "../app/check-account";
import type { AppLogger } from "../app/ports";
import { unary } from "./unary";
import { RpcError } from "./errors";
import { authResultToProto, accountToProto, agingToProto, changeResultToProto } from "./convert";
import { changePassword } from "../app/change-password";
import { requireUsername, requireShortText, MAX_SERVICE_BYTES, MAX_ADDRESS_BYTES } from "./validate";

export interface AuthServiceDeps extends AuthenticateDeps {
  logger: AppLogger;
}

function notYet(method: string): never {
  throw new RpcError(status.UNIMPLEMENTED, `${method} is not implemented in this version of shadowd`);
}

export function createAuthService(deps: AuthServiceDeps): AuthServer {
  const { logger } = deps;
  return {
    authenticate: unary(logger, "Auth/Authenticate", async (request: pb.AuthenticateRequest, ctx): Promise<pb.AuthenticateResponse> => {
      const username = requireUsername(request.username);
      const service = requireShortText(request.service, "service", MAX_SERVICE_BYTES);
      const remoteAddress = requireShortText(request.remoteAddress, "remote_address", MAX_ADDRESS_BYTES);
      const outcome = await authenticate(deps, { username, password: request.password, service, remoteAddress });
      logger.info({ user: username, service, rhost: remoteAddress, peer: ctx.peer, result: outcome.result, reason: outcome.reason }, "authenticate");
      const response: pb.AuthenticateResponse = { result: authResultToProto(outcome.result), message: outcome.message };
      if (outcome.daysLeft !== undefined) response.daysLeft = outcome.daysLeft;
      if (outcome.account !== undefined) {
        const { name, uid, gid, home } = accountToProto(outcome.account);
        response.account = { name, uid, gid, home };
      }
      return response;
    }),
    checkAccount: unary(logger, "Auth/CheckAccount", async (request: pb.CheckAccountRequest): Promise<pb.CheckAccountResponse> => {
      const username = requireUsername(request.username);
      const service = requireShortText(request.service, "service", MAX_SERVICE_BYTES);
      const remoteAddress = requireShortText(request.remoteAddress, "remote_address", MAX_ADDRESS_BYTES);
      const outcome = await checkAccount(deps, username);
      logger.debug({ user: username, service, rhost: remoteAddress, result: outcome.result, reason: outcome.reason }, "check account");
      const response: pb.CheckAccountResponse = { result: authResultToProto(outcome.result), message: outcome.message };
      if (outcome.daysLeft !== undefined) response.daysLeft = outcome.daysLeft;
      return response;
    }),
    getAging: unary(logger, "Auth/GetAging", async (request: pb.GetAgingRequest): Promise<pb.Aging> => {
      return agingToProto(await getAging(deps, requireUsername(request.username)));
    }),
    changePassword: unary(logger, "Auth/ChangePassword", async (request: pb.ChangePasswordRequest): Promise<pb.ChangePasswordResponse> => {
      const username = requireUsername(request.username);
      const service = requireShortText(request.service, "service", MAX_SERVICE_BYTES);
      const remoteAddress = requireShortText(request.remoteAddress, "remote_address", MAX_ADDRESS_BYTES);
      const outcome = await changePassword(deps, { username, oldPassword: request.oldPassword, newPassword: request.newPassword });
      logger.info({ user: username, service, rhost: remoteAddress, result: outcome.result, reason: outcome.reason }, "change password");
      return { result: changeResultToProto(outcome.result), message: outcome.message };
    }),
    checkRelay: unary(logger, "Auth/CheckRelay", async () => notYet("CheckRelay")),
    resolveRecipient: unary(logger, "Auth/ResolveRecipient", async () => notYet("ResolveRecipient")),
  };
}
