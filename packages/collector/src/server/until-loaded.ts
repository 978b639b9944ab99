import * as grpc from '@grpc/grpc-js';
import { errorMessage } from '@fsso/common';

/** The start-up load: whether it is done, and a promise that settles when it is. */
export interface TableLoad {
  done(): boolean;
  /** Rows in memory so far. */
  progress(): number;
  readonly settled: Promise<void>;
}

/** What every kind of server call has (grpc-js does not export its ServerSurfaceCall type). */
type HeldCall = Pick<grpc.ServerUnaryCall<unknown, unknown>, 'cancelled' | 'getDeadline'>;

/** A held unary call is answered this long before its deadline if the load is still running. */
const BEFORE_DEADLINE_MS = 250;

type Handler = (call: HeldCall, callback?: grpc.sendUnaryData<unknown>) => void;

/**
 * Holds each call of `handlers` (but those named in `now`) until the identity table is loaded,
 * then runs it: a restart with a million mappings takes seconds to load (bench/README.md,
 * "restart"), and Lookup is answered from SQLite meanwhile, but ingest, Sync and the operator's
 * calls need the whole table. A held call's messages wait in its stream (HTTP/2 flow control
 * holds the sender); one cancelled while held never runs. A unary call (fssoctl's) whose deadline
 * comes first is answered UNAVAILABLE just before it, saying the table is still loading, rather
 * than left to a bare "deadline exceeded". If the load fails the collector stops, and held calls
 * end UNAVAILABLE with the reason.
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
      const early = callback && answerBeforeDeadline(call, callback, load);
      load.settled.then(
        () => {
          if (early) clearTimeout(early.timer);
          if (!call.cancelled && !early?.answered) run(call, callback);
        },
        (err: unknown) => {
          if (early) clearTimeout(early.timer);
          if (early?.answered || call.cancelled) return;
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

function answerBeforeDeadline(
  call: HeldCall,
  callback: grpc.sendUnaryData<unknown>,
  load: TableLoad,
): { timer: NodeJS.Timeout; answered: boolean } | undefined {
  const deadline = call.getDeadline();
  const at = deadline instanceof Date ? deadline.getTime() : deadline;
  if (!Number.isFinite(at)) return undefined;
  const early = { answered: false, timer: undefined as unknown as NodeJS.Timeout };
  early.timer = setTimeout(
    () => {
      early.answered = true;
      callback({
        code: grpc.status.UNAVAILABLE,
        details: `the collector is still loading its table (${load.progress().toLocaleString('en-US')} rows so far); try again in a few seconds`,
      });
    },
    Math.max(0, at - Date.now() - BEFORE_DEADLINE_MS),
  );
  early.timer.unref();
  return early;
}
