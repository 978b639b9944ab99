import * as grpc from '@grpc/grpc-js';
import type { Logger } from '@fsso/common';
import { countHit, RateLimitedWarn } from './limits';

const OVERSIZE = /^Received message (larger than max|that decompresses to a size larger than)/;

/**
 * Counts messages grpc-js refuses for `limits.maxMessageBytes`. grpc-js sends that status from
 * its innermost call object, below every interceptor, and the handler never hears of it; the
 * first interceptor is handed that object, so its `sendStatus` is wrapped here.
 */
export function countOversizeMessages(
  limitHits: Record<string, number>,
  log: Logger,
  maxBytes: number,
): grpc.ServerInterceptor {
  const warn = new RateLimitedWarn(
    log,
    (n, s) => `messages refused by limits.maxMessageBytes: ${n} in the last ${s} s`,
  );
  return (method, call) => {
    const send = call.sendStatus.bind(call);
    let counted = false;
    call.sendStatus = (status) => {
      // grpc-js may try again on the next chunk of the same message; one refusal, one count.
      if (counted) return;
      if (status.code === grpc.status.RESOURCE_EXHAUSTED && OVERSIZE.test(status.details ?? '')) {
        counted = true;
        countHit(limitHits, 'maxMessageBytes');
        warn.note(call.getPeer(), { method: method.path, maxMessageBytes: maxBytes, details: status.details });
        send({
          ...status,
          details: `${status.details ?? ''}: over limits.maxMessageBytes (${maxBytes}); send smaller messages (agents: a smaller batchSize)`,
        });
        return;
      }
      send(status);
    };
    return new grpc.ServerInterceptingCall(call);
  };
}
