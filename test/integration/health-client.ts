// Test hook: a grpc.health.v1 client built from grpc-health-check's own proto.
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { protoPath } from "grpc-health-check";

const definition = grpc.loadPackageDefinition(protoLoader.loadSync(protoPath, { keepCase: true, enums: String }));
type HealthStub = grpc.Client & { check(req: { service: string }, cb: (e: grpc.ServiceError | null, r: { status: string }) => void): void };
const HealthCtor = (definition as unknown as { grpc: { health: { v1: { Health: new (addr: string, c: grpc.ChannelCredentials) => HealthStub } } } }).grpc.health.v1.Health;

export class HealthClient {
  private readonly stub: HealthStub;
  constructor(socketPath: string) {
    this.stub = new HealthCtor(`unix:${socketPath}`, grpc.credentials.createInsecure());
  }
  check(service: string): Promise<string> {
    return new Promise((resolve, reject) => this.stub.check({ service }, (e, r) => (e ? reject(e) : resolve(r.status))));
  }
  close(): void {
    this.stub.close();
  }
}
