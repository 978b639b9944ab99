/** The processes a collector-side scenario drives: a collector, or the ack-only/echo baseline server. */
import { join } from 'node:path';
import { channelCredentials, loadFsso, type AgentServiceClient, type IdentityServiceClient } from '@fsso/common';
import { startCollector, startProcess, tempDir, type CollectorHandle, type Daemon } from '../../support/processes';
import { testPki } from '../../support/pki';
import { BENCH_LIMITS } from './load';

const BIG = { 'grpc.max_send_message_length': 64 * 1024 * 1024, 'grpc.max_receive_message_length': 64 * 1024 * 1024 };

export interface BenchCollector {
  handle: CollectorHandle;
  agent: AgentServiceClient;
  identity: IdentityServiceClient;
  /** Stops the collector (SIGTERM, as an operator would) and closes the clients; keeps the folder. */
  stop(): Promise<void>;
  dir: string;
}

/** A real collector process in `dir` (a new temp folder by default), mutual TLS, fsync per batch. */
export async function benchCollector(dir?: string, config: Record<string, unknown> = {}): Promise<BenchCollector> {
  const path = dir ?? tempDir('bench').path;
  // FSSO_BENCH_PROFILE=DIR: the collector writes a CPU profile there when it stops (see bench/README.md).
  const prof = process.env['FSSO_BENCH_PROFILE'];
  const env = prof ? { NODE_OPTIONS: `--require ${join(__dirname, 'cpu-profile.js')}` } : {};
  const handle = await startCollector(path, { config: { limits: BENCH_LIMITS, ...config }, env });
  const { proto } = loadFsso();
  const agent = new proto.fsso.v1.AgentService(handle.address, handle.credentials('agent'), BIG) as AgentServiceClient;
  const identity = new proto.fsso.v1.IdentityService(
    handle.address,
    handle.credentials('firewall'),
    BIG,
  ) as IdentityServiceClient;
  return {
    handle,
    agent,
    identity,
    dir: path,
    stop: async () => {
      agent.close();
      identity.close();
      await handle.daemon.stop(60_000);
    },
  };
}

export interface BaselineServer {
  daemon: Daemon;
  agent: AgentServiceClient;
  identity: IdentityServiceClient;
  stop(): Promise<void>;
}

/** The ack-only/echo gRPC server (harness/baseline-server.ts) as its own process, the collector's TLS. */
export async function baselineServer(): Promise<BaselineServer> {
  const pki = testPki();
  const daemon = startProcess('baseline', join(__dirname, 'baseline-server.js'), [
    pki.ca,
    pki.collector.cert,
    pki.collector.key,
  ]);
  const line = await daemon.waitFor((l) => l.message === 'listening');
  const address = `127.0.0.1:${Number(line['port'])}`;
  const { proto } = loadFsso();
  const creds = (role: 'agent' | 'firewall') =>
    channelCredentials({ tls: { ca: pki.ca, cert: pki[role].cert, key: pki[role].key } });
  const agent = new proto.fsso.v1.AgentService(address, creds('agent'), BIG) as AgentServiceClient;
  const identity = new proto.fsso.v1.IdentityService(address, creds('firewall'), BIG) as IdentityServiceClient;
  return {
    daemon,
    agent,
    identity,
    stop: async () => {
      agent.close();
      identity.close();
      await daemon.stop();
    },
  };
}
