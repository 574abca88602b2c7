// Owns grpc.health.v1 for every listener: grpc-health-check's Check, Watch and List, plus the
// one thing the library leaves out: ending the Watch streams when the daemon stops. The
// library never ends them, so one watching client held a graceful stop until the forced
// shutdown 10 s later; now watchers get NOT_SERVING, then the end of the stream (status OK).
import type * as grpc from "@grpc/grpc-js";
import { HealthImplementation, service as healthService, type ServingStatus, type ServingStatusMap } from "grpc-health-check";

type Handlers = Parameters<Parameters<HealthImplementation["addToServer"]>[0]["addService"]>[1];

export interface Health {
  /** Serve health on `server` (any number of servers share the statuses). */
  addToServer(server: grpc.Server): void;
  setStatus(service: string, status: ServingStatus): void;
  /** End every open Watch stream with status OK (after the last status was written). */
  endWatches(): void;
}

export function createHealth(initial: ServingStatusMap): Health {
  const implementation = new HealthImplementation(initial);
  // The library hands its handlers to whatever has an addService method: take them once.
  const captured: { handlers?: Handlers } = {};
  implementation.addToServer({ addService: (_definition, handlers) => void (captured.handlers = handlers) });
  const handlers = captured.handlers;
  if (handlers?.watch === undefined) throw new Error("grpc-health-check registered no Watch handler");
  const libraryWatch = handlers.watch as (call: grpc.ServerWritableStream<unknown, unknown>) => void;
  const watches = new Set<grpc.ServerWritableStream<unknown, unknown>>();
  const watch = (call: grpc.ServerWritableStream<unknown, unknown>): void => {
    watches.add(call);
    call.on("cancelled", () => watches.delete(call));
    // A status change after endWatches() would write to an ended stream: nothing to tell.
    call.on("error", () => undefined);
    libraryWatch(call);
  };
  const served = { ...handlers, watch } as grpc.UntypedServiceImplementation;
  return {
    addToServer: (server) => server.addService(healthService as unknown as grpc.ServiceDefinition, served),
    setStatus: (service, status) => implementation.setStatus(service, status),
    endWatches(): void {
      for (const call of watches) call.end();
      watches.clear();
    },
  };
}
