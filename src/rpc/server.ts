// Owns the assembly of the gRPC servers: which services each listener serves (Admin never
// on the auth socket), health, reflection and message size limits.
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { HealthImplementation, type ServingStatus } from "grpc-health-check";
import { ReflectionService } from "@grpc/reflection";
import { AuthService, AdminService } from "../gen/shadowd/v1/shadowd";
import { createAuthService, type AuthServiceDeps } from "./auth-service";
import { createAdminService, type AdminServiceDeps } from "./admin-service";

/** Auth requests are small; a whole import arrives in 64 KiB chunks. */
export const MAX_AUTH_MESSAGE_BYTES = 64 * 1024;
export const MAX_ADMIN_MESSAGE_BYTES = 4 * 1024 * 1024;

export interface RpcServers {
  /** Auth + health + reflection: for mail frontends and the PAM shim. */
  auth: grpc.Server;
  /** Admin + Auth + health + reflection: for shadowctl. */
  admin: grpc.Server;
  setServing(status: ServingStatus): void;
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
export function createRpcServers(deps: AuthServiceDeps & AdminServiceDeps, protoRoot: string): RpcServers {
  const health = new HealthImplementation({ "": "NOT_SERVING", "shadowd.v1.Auth": "NOT_SERVING", "shadowd.v1.Admin": "NOT_SERVING" });
  const packageDefinition = loadPackageDefinition(protoRoot);
  const authImpl = createAuthService(deps);

  const auth = new grpc.Server({
    "grpc.max_receive_message_length": MAX_AUTH_MESSAGE_BYTES,
    "grpc.max_concurrent_streams": 256,
  });
  auth.addService(AuthService, authImpl);
  health.addToServer(auth);
  new ReflectionService(packageDefinition, { services: ["shadowd.v1.Auth"] }).addToServer(auth);

  const admin = new grpc.Server({ "grpc.max_receive_message_length": MAX_ADMIN_MESSAGE_BYTES });
  admin.addService(AuthService, authImpl);
  admin.addService(AdminService, createAdminService(deps));
  health.addToServer(admin);
  new ReflectionService(packageDefinition).addToServer(admin);

  return {
    auth,
    admin,
    setServing(status: ServingStatus): void {
      for (const service of ["", "shadowd.v1.Auth", "shadowd.v1.Admin"]) health.setStatus(service, status);
    },
  };
}
