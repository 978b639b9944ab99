import * as grpc from '@grpc/grpc-js';
import { errorMessage } from '@fsso/common';

/** The start-up load: whether it is done, and a promise that settles when it is. */
export interface TableLoad {
  done(): boolean;
  readonly settled: Promise<void>;
}

/** What every kind of server call has (grpc-js does not export its ServerSurfaceCall type). */
type HeldCall = Pick<grpc.ServerUnaryCall<unknown, unknown>, 'cancelled'>;

type Handler = (call: HeldCall, callback?: grpc.sendUnaryData<unknown>) => void;

/**
 * Holds each call of `handlers` (but those named in `now`) until the identity table is loaded,
 * then runs it: a restart with a million mappings takes seconds to load (bench/README.md,
 * "restart"), and Lookup is answered from SQLite meanwhile, but ingest, Sync and the operator's
 * calls need the whole table. A held call's messages wait in its stream (HTTP/2 flow control
 * holds the sender); one cancelled while held never runs. If the load fails the collector stops,
 * and held calls end UNAVAILABLE with the reason.
 */
export function untilLoaded<T extends object>(handlers: T, load: TableLoad, now: readonly string[] = []): T {
  const out: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(handlers)) {
    if (typeof fn !== 'function' || now.includes(name)) {
      out[name] = fn;
      continue;
    }
    const run = fn as Handler;
    out[name] = (call: HeldCall, callback?: grpc.sendUnaryData<unknown>): void => {
      if (load.done()) return run(call, callback);
      load.settled.then(
        () => {
          if (!call.cancelled) run(call, callback);
        },
        (err: unknown) => {
          const status = {
            code: grpc.status.UNAVAILABLE,
            details: `the collector could not load its table (${errorMessage(err)}); it is stopping`,
          };
          if (callback) callback(status);
          else
            (call as grpc.ServerWritableStream<unknown, unknown>).destroy(
              Object.assign(new Error(status.details), status),
            );
        },
      );
    };
  }
  return out as T;
}
