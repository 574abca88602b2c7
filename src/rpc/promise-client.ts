// Owns a small promise-based unary client over a ts-proto service definition, so tests,
// the benchmark and the CLIs get typed requests and responses without callback plumbing.
import * as grpc from "@grpc/grpc-js";

interface UnaryMethodDefinition<Req, Res> {
  path: string;
  requestStream: false;
  responseStream: false;
  requestSerialize(value: Req): Buffer;
  responseDeserialize(value: Buffer): Res;
}

type UnaryMethods<Def> = {
  [K in keyof Def as Def[K] extends { requestStream: false; responseStream: false } ? K : never]: Def[K] extends UnaryMethodDefinition<infer Req, infer Res>
    ? (request: Req, options?: grpc.CallOptions) => Promise<Res>
    : never;
};

/** Promise-returning unary methods of `definition` on `client`'s channel. */
export function promiseClient<Def extends object>(client: grpc.Client, definition: Def): UnaryMethods<Def> {
  const methods: Record<string, unknown> = {};
  for (const [name, method] of Object.entries(definition) as [string, UnaryMethodDefinition<unknown, unknown> | { requestStream: boolean; responseStream: boolean }][]) {
    if (method.requestStream || method.responseStream) continue;
    const unary = method as UnaryMethodDefinition<unknown, unknown>;
    methods[name] = (request: unknown, options: grpc.CallOptions = {}) =>
      new Promise((resolve, reject) => {
        client.makeUnaryRequest(unary.path, unary.requestSerialize, unary.responseDeserialize, request, new grpc.Metadata(), options, (error, response) =>
          error ? reject(error) : resolve(response),
        );
      });
  }
  return methods as UnaryMethods<Def>;
}
