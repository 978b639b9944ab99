import type * as grpc from '@grpc/grpc-js';
import { HealthImplementation, type ServingStatusMap } from 'grpc-health-check';
import { ReflectionService } from '@grpc/reflection';
import { loadFsso } from './proto';

/**
 * Adds the standard gRPC health service and server reflection, so `grpc_health_probe`, load
 * balancers and `grpcurl` work against every FSSO server without extra configuration.
 * Returns the health implementation so the daemon can flip services to NOT_SERVING when draining.
 */
export function addHealthAndReflection(server: grpc.Server, services: readonly string[]): HealthImplementation {
  const statusMap: ServingStatusMap = { '': 'SERVING' };
  for (const s of services) statusMap[s] = 'SERVING';
  const health = new HealthImplementation(statusMap);
  health.addToServer(server);
  new ReflectionService(loadFsso().packageDefinition).addToServer(server);
  return health;
}
