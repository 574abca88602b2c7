// Owns the assembly of the gRPC servers: which services each listener serves (Admin never
// on the auth socket; on TCP only for listed client certificates), health, reflection,
// message size limits, and the call guards every server runs.
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import type { ServingStatus } from "grpc-health-check";
import { ReflectionService } from "@grpc/reflection";
import { AuthService, AdminService } from "../gen/shadowd/v1/shadowd";
import { createAuthService, type AuthServiceDeps } from "./auth-service";
import { createAdminService, type AdminServiceDeps } from "./admin-service";
import { createAdminGuard, rejectMalformedRequests, withTolerantDecoding } from "./call-guards";
import { createHealth } from "./health";

/** Auth requests are small; a whole import arrives in 64 KiB chunks. */
export const MAX_AUTH_MESSAGE_BYTES = 64 * 1024;
export const MAX_ADMIN_MESSAGE_BYTES = 4 * 1024 * 1024;

export interface RpcServers {
  /** Auth + health + reflection: for mail frontends and the PAM shim. */
  auth: grpc.Server;
  /** Admin + Auth + health + reflection: for shadowctl. */
  admin: grpc.Server;
  /** Auth + Admin (guarded: listed client certificates only) + health + reflection, for --listen-tcp; null without TCP. */
  tcp: grpc.Server | null;
  setServing(status: ServingStatus): void;
  /** End the health Watch streams, which would otherwise hold a graceful shutdown. */
  endHealthWatches(): void;
}

/** The TCP server's options (createRpcServers builds it only when given). */
export interface TcpServerOptions {
  /** SHA-256 fingerprints (lowercase hex) of the client certificates that may call Admin. */
  adminClientFingerprints: ReadonlySet<string>;
}

function loadPackageDefinition(protoRoot: string): protoLoader.PackageDefinition {
  return protoLoader.loadSync(path.join(protoRoot, "shadowd/v1/shadowd.proto"), {
    includeDirs: [protoRoot],
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
}

/** Build both servers; `protoRoot` is the proto/ folder (for reflection). */
export function createRpcServers(deps: AuthServiceDeps & AdminServiceDeps, protoRoot: string, tcpOptions: TcpServerOptions | null = null): RpcServers {
  const health = createHealth({ "": "NOT_SERVING", "shadowd.v1.Auth": "NOT_SERVING", "shadowd.v1.Admin": "NOT_SERVING" });
  const packageDefinition = loadPackageDefinition(protoRoot);
  const authImpl = createAuthService(deps);
  const adminImpl = createAdminService(deps);
  const authService = withTolerantDecoding(AuthService);
  const adminService = withTolerantDecoding(AdminService);

  const auth = new grpc.Server({
    "grpc.max_receive_message_length": MAX_AUTH_MESSAGE_BYTES,
    "grpc.max_concurrent_streams": 256,
    interceptors: [rejectMalformedRequests],
  });
  auth.addService(authService, authImpl);
  health.addToServer(auth);
  new ReflectionService(packageDefinition, { services: ["shadowd.v1.Auth"] }).addToServer(auth);

  const admin = new grpc.Server({ "grpc.max_receive_message_length": MAX_ADMIN_MESSAGE_BYTES, interceptors: [rejectMalformedRequests] });
  admin.addService(authService, authImpl);
  admin.addService(adminService, adminImpl);
  health.addToServer(admin);
  new ReflectionService(packageDefinition).addToServer(admin);

  // TCP: Admin is always registered but guarded, so an unlisted caller gets PERMISSION_DENIED
  // rather than UNIMPLEMENTED. Admin's larger message limit applies only when someone may use it.
  let tcp: grpc.Server | null = null;
  if (tcpOptions !== null) {
    const fingerprints = tcpOptions.adminClientFingerprints;
    tcp = new grpc.Server({
      "grpc.max_receive_message_length": fingerprints.size > 0 ? MAX_ADMIN_MESSAGE_BYTES : MAX_AUTH_MESSAGE_BYTES,
      "grpc.max_concurrent_streams": 256,
      interceptors: [createAdminGuard(fingerprints, deps.logger), rejectMalformedRequests],
    });
    tcp.addService(authService, authImpl);
    tcp.addService(adminService, adminImpl);
    health.addToServer(tcp);
    new ReflectionService(packageDefinition, { services: ["shadowd.v1.Auth"] }).addToServer(tcp);
  }

  return {
    auth,
    admin,
    tcp,
    setServing(status: ServingStatus): void {
      for (const service of ["", "shadowd.v1.Auth", "shadowd.v1.Admin"]) health.setStatus(service, status);
    },
    endHealthWatches: () => health.endWatches(),
  };
}
