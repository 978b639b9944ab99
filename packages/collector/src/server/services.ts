import * as grpc from '@grpc/grpc-js';
import { SERVICE_NAMES, loadFsso, type Logger } from '@fsso/common';
import type { Limits } from '../limits-config';
import type { ProxyAuth } from '../ntlm';
import { agentService, type AgentServiceDeps } from '../services/agent-service';
import { adminService, type AdminDeps } from '../services/admin-service';
import { guard, type GuardOptions } from '../services/guard';
import { identityService, type IdentityDeps } from '../services/identity-service';
import { countOversizeMessages } from '../services/oversize';
import { untilLoaded, type TableLoad } from './until-loaded';
import { withBatchDecoder } from '../ingest/decode';

/** The collector's gRPC server: message size, keepalive and idle limits, oversize messages counted. */
export function createGrpcServer(limits: Limits, limitHits: Record<string, number>, log: Logger): grpc.Server {
  return new grpc.Server({
    'grpc.max_receive_message_length': limits.maxMessageBytes,
    'grpc.keepalive_time_ms': 30_000,
    'grpc.keepalive_timeout_ms': 10_000,
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.http2.min_ping_interval_without_data_ms': 10_000,
    // Authenticated connections that make no call for this long are closed (streams keep theirs open).
    'grpc.max_connection_idle_ms': limits.idleTimeoutMs,
    interceptors: [countOversizeMessages(limitHits, log, limits.maxMessageBytes)],
  });
}

export interface ServedServices {
  agent: AgentServiceDeps;
  identity: IdentityDeps;
  admin: AdminDeps;
  /** Only with `ntlm.enabled`. */
  proxyAuth: ProxyAuth | undefined;
}

/**
 * Every service the collector serves, each behind the roles that may call it: the one place
 * that says which certificate may call what (README "Security", the role table).
 */
export function addServices(server: grpc.Server, s: ServedServices, g: GuardOptions, load: TableLoad): void {
  const { proto } = loadFsso();
  // Until the table is in memory only Lookup runs (from SQLite); every other call waits for it.
  // Inside the guard: a caller without the role is refused at once, loaded or not.
  server.addService(
    // Agents' batches decoded straight into events (same wire, same objects; ingest/decode.ts).
    withBatchDecoder(proto.fsso.v1.AgentService.service),
    guard(SERVICE_NAMES.agent, untilLoaded(agentService(s.agent), load), ['agent'], g),
  );
  server.addService(
    proto.fsso.v1.IdentityService.service,
    // A proxy reads the table as a firewall does: known addresses pass without a challenge.
    guard(
      SERVICE_NAMES.identity,
      untilLoaded(identityService(s.identity), load, ['Lookup']),
      ['firewall', 'admin', 'proxy'],
      g,
    ),
  );
  if (s.proxyAuth)
    server.addService(
      proto.fsso.v1.ProxyAuthService.service,
      guard(SERVICE_NAMES.proxyAuth, untilLoaded(s.proxyAuth.handlers, load), ['proxy'], g),
    );
  server.addService(
    proto.fsso.v1.AdminService.service,
    guard(SERVICE_NAMES.admin, untilLoaded(adminService(s.admin), load), ['admin'], g),
  );
}
