/**
 * The gRPC baseline of the ingest and Lookup scenarios, run as its own process like the collector:
 * the same services and the same mutual TLS (the collector's certificate, `serverCredentials`),
 * but Report only acknowledges each batch once decoded, and Lookup answers the address it was asked.
 * What the collector does beyond this (rules, SQLite, role checks) is what the ratio measures.
 *
 * Usage: node baseline-server.js CA CERT KEY; logs one JSON line {"message":"listening","port":N}.
 */
import { createServer } from 'node:net';
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
  // Accepted as the collector accepts them (ConnectionGate): our own listener, Nagle off, handed
  // to grpc-js by its connection injector; bindAsync's sockets keep Nagle and were slower.
  const creds = serverCredentials({ tls: { ca, cert, key } });
  const injector = server.createConnectionInjector(creds);
  const listener = createServer({ noDelay: true }, (socket) => injector.injectConnection(socket));
  const ready = (): void => {
    if (creds._getSecureContextOptions() === null) return void setTimeout(ready, 10);
    listener.listen({ host: '127.0.0.1', port: 0 }, () => {
      const a = listener.address();
      console.log(JSON.stringify({ message: 'listening', port: typeof a === 'object' && a ? a.port : 0 }));
    });
  };
  ready();
  process.on('SIGTERM', () => process.exit(0));
}

main();
