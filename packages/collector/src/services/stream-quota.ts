import * as grpc from '@grpc/grpc-js';
import type { Logger } from '@fsso/common';
import type { StreamKind } from '../limits-config';
import { callerOf } from './guard';
import { countHit, RateLimitedWarn, type StreamCounter } from './limits';
import { endWithStatus } from './status';

type StreamCall = NodeJS.EventEmitter & Pick<grpc.ServerUnaryCall<unknown, unknown>, 'getAuthContext' | 'getPeer'>;

/** What every long-lived stream handler needs to take its slot. */
export interface StreamQuota {
  /** Takes a slot for the call, released when it ends; false (and the call ended) when refused. */
  acquire(call: StreamCall, kind: StreamKind): boolean;
}

export function streamQuota(streams: StreamCounter, limitHits: Record<string, number>, log: Logger): StreamQuota {
  const warn = new RateLimitedWarn(log, (n, s) => `streams refused by a limit: ${n} in the last ${s} s`);
  return {
    acquire(call, kind) {
      const caller = callerOf(call);
      // Without TLS there is no certificate; the peer's address is the next best owner.
      const owner = caller?.thumbprint ?? call.getPeer().replace(/:\d+$/, '');
      const grant = streams.acquire(kind, owner);
      if ('limit' in grant) {
        countHit(limitHits, grant.limit);
        warn.note(caller?.name ?? owner, {
          kind,
          limit: `limits.${grant.limit}`,
          certificate: caller?.name,
          peer: call.getPeer(),
        });
        endWithStatus(call, grpc.status.RESOURCE_EXHAUSTED, grant.message);
        return false;
      }
      for (const e of ['close', 'cancelled', 'finish', 'error']) call.once(e, grant.release);
      return true;
    },
  };
}
