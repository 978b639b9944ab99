import type * as grpc from '@grpc/grpc-js';
import { HealthImplementation, type ServingStatusMap } from 'grpc-health-check';
import { ReflectionService } from '@grpc/reflection';
import { loadFsso } from './proto';

/**
 * Adds the standard gRPC health service and server reflection, so `grpc_health_probe`, load
 * balancers and `grpcurl` work against every FSSO server without extra configuration.
 * Returns the health implementation so the daemon can flip services to NOT_SERVING when draining.
 */
export function addHealthAndReflection(
  server: grpc.Server,
  services: readonly string[],
  admitWatch?: (call: grpc.ServerWritableStream<unknown, unknown>) => boolean,
  /** A daemon that is still opening its database answers NOT_SERVING until it says otherwise. */
  initial: 'SERVING' | 'NOT_SERVING' = 'SERVING',
): HealthImplementation {
  const statusMap: ServingStatusMap = { '': initial };
  for (const s of services) statusMap[s] = initial;
  const health = new HealthImplementation(statusMap);
  if (!admitWatch) health.addToServer(server);
  else {
    // Watch streams stay open: they count against the daemon's stream limits like any other.
    // `admitWatch` ends a refused call itself.
    const gated = {
      addService: (
        svc: grpc.ServiceDefinition,
        impl: Record<string, (call: grpc.ServerWritableStream<unknown, unknown>) => void>,
      ) => {
        const watch = impl['watch'];
        server.addService(svc, {
          ...impl,
          watch: (call: grpc.ServerWritableStream<unknown, unknown>) => {
            if (admitWatch(call)) watch?.(call);
          },
        });
      },
    };
    health.addToServer(gated as unknown as grpc.Server);
  }
  new ReflectionService(loadFsso().packageDefinition).addToServer(server);
  return health;
}
