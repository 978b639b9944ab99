import * as grpc from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { errorMessage } from '../errors';

export type HealthVerdict = { ok: true; status: string } | { ok: false; reason: string };

const HealthClient = grpc.makeGenericClientConstructor(
  healthService as unknown as grpc.ServiceDefinition,
  'grpc.health.v1.Health',
);

/** Asks a server's standard health service whether `serviceName` ('' = the server) is SERVING. */
export function checkHealth(
  address: string,
  credentials: grpc.ChannelCredentials,
  serviceName = '',
  timeoutMs = 3000,
): Promise<HealthVerdict> {
  const client = new HealthClient(address, credentials);
  return new Promise<HealthVerdict>((resolve) => {
    const check = (
      client as unknown as Record<
        string,
        (
          req: object,
          opts: grpc.CallOptions,
          cb: (err: grpc.ServiceError | null, res?: { status?: string | number }) => void,
        ) => void
      >
    )['check'];
    if (!check) return resolve({ ok: false, reason: 'no health client' });
    check.call(client, { service: serviceName }, { deadline: Date.now() + timeoutMs }, (err, res) => {
      if (err) resolve({ ok: false, reason: err.details || errorMessage(err) });
      else if (res?.status === 'SERVING' || res?.status === 1) resolve({ ok: true, status: 'SERVING' });
      else resolve({ ok: false, reason: `health says ${String(res?.status)}` });
    });
  }).finally(() => client.close());
}
