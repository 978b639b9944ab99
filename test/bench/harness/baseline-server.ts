/**
 * The gRPC baseline of the ingest and Lookup scenarios, run as its own process like the collector:
 * the same services and the same mutual TLS (the collector's certificate, `serverCredentials`),
 * but Report only acknowledges each batch once decoded, and Lookup answers the address it was asked.
 * What the collector does beyond this (rules, SQLite, role checks) is what the ratio measures.
 *
 * Usage: node baseline-server.js CA CERT KEY; logs one JSON line {"message":"listening","port":N}.
 */
import * as grpc from '@grpc/grpc-js';
import { loadFsso, serverCredentials, type AgentMessage__Output } from '@fsso/common';

function main(): void {
  const [ca, cert, key] = process.argv.slice(2);
  if (!ca || !cert || !key) {
    console.error('usage: baseline-server CA CERT KEY');
    process.exit(2);
  }
  const { proto } = loadFsso();
  const server = new grpc.Server({ 'grpc.max_receive_message_length': 64 * 1024 * 1024 });
  server.addService(proto.fsso.v1.AgentService.service, {
    Report: (call: grpc.ServerDuplexStream<AgentMessage__Output, unknown>) => {
      call.on('data', (m: AgentMessage__Output) => {
        if (m.hello) call.write({ welcome: { ackedSeq: 0, collectorId: 'baseline' } });
        else if (m.batch) {
          const last = m.batch.events.at(-1)?.seq ?? 0;
          call.write({ ack: { ackedSeq: last, accepted: m.batch.events.length, duplicates: 0, rejected: 0 } });
        }
      });
      call.on('end', () => call.end());
      call.on('error', () => undefined);
    },
  });
  server.addService(proto.fsso.v1.IdentityService.service, {
    Lookup: (call: grpc.ServerUnaryCall<{ ip: string }, unknown>, cb: grpc.sendUnaryData<unknown>) =>
      cb(null, { ip: call.request.ip, user: 'user1', domain: 'CORP', groups: [], revision: 1 }),
    Sync: (call: grpc.ServerWritableStream<unknown, unknown>) => call.end(),
  });
  server.bindAsync('127.0.0.1:0', serverCredentials({ tls: { ca, cert, key } }), (err, port) => {
    if (err) {
      console.error(`baseline server: ${err.message}`);
      process.exit(1);
    }
    console.log(JSON.stringify({ message: 'listening', port }));
  });
  process.on('SIGTERM', () => server.tryShutdown(() => process.exit(0)));
}

main();
