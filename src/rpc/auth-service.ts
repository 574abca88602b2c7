// Owns the Auth service handlers: validate the request, call one use case, convert.
import { status } from "@grpc/grpc-js";
import type * as pb from "../gen/shadowd/v1/shadowd";
import type { AuthServer } from "../gen/shadowd/v1/shadowd";
import { authenticate, type AuthenticateDeps } from "../app/authenticate";
import { checkAccount, getAging } from "../app/check-account";
import type { AppLogger } from "../app/ports";
import { unary } from "./unary";
import { RpcError } from "./errors";
import { authResultToProto, accountToProto, agingToProto, changeResultToProto, recipientToProto } from "./convert";
import { changePassword } from "../app/change-password";
import { resolveRecipient } from "../app/aliases";
import type { Relay } from "../app/relay";
import type { AliasStore } from "../storage/alias-store";
import { requireUsername, requireShortText, MAX_SERVICE_BYTES, MAX_ADDRESS_BYTES, MAX_USERNAME_BYTES } from "./validate";

export interface AuthServiceDeps extends AuthenticateDeps {
  logger: AppLogger;
  /** POP-before-SMTP grants, for CheckRelay. */
  relay: Pick<Relay, "checkRelay">;
  /** The aliases table, for ResolveRecipient. */
  aliases: AliasStore;
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
    checkRelay: unary(logger, "Auth/CheckRelay", async (request: pb.CheckRelayRequest): Promise<pb.CheckRelayResponse> => {
      const remoteAddress = requireShortText(request.remoteAddress, "remote_address", MAX_ADDRESS_BYTES);
      if (remoteAddress.trim() === "") throw new RpcError(status.INVALID_ARGUMENT, "remote_address is empty");
      const answer = await deps.relay.checkRelay(remoteAddress);
      logger.debug({ rhost: remoteAddress, allowed: answer.allowed, user: answer.username }, "check relay");
      return { allowed: answer.allowed, username: answer.username, expiresAt: Math.floor(answer.expiresAtMs / 1000) };
    }),
    resolveRecipient: unary(logger, "Auth/ResolveRecipient", async (request: pb.ResolveRecipientRequest): Promise<pb.ResolveRecipientResponse> => {
      const localPart = requireShortText(request.localPart, "local_part", MAX_USERNAME_BYTES);
      if (localPart === "") throw new RpcError(status.INVALID_ARGUMENT, "local_part is empty");
      const resolution = await resolveRecipient(deps, localPart);
      logger.debug({ localPart, found: resolution.found, accounts: resolution.accounts.length, unresolved: resolution.unresolved.length }, "resolve recipient");
      return recipientToProto(resolution);
    }),
  };
}
