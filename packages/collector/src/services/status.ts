import * as grpc from '@grpc/grpc-js';
import { FssoError, errorMessage } from '@fsso/common';

const BY_CODE: Record<string, grpc.status> = {
  FSSO_NOT_FOUND: grpc.status.NOT_FOUND,
  FSSO_INVALID_INPUT: grpc.status.INVALID_ARGUMENT,
  FSSO_CONFIG_INVALID: grpc.status.FAILED_PRECONDITION,
  FSSO_PEER_UNAVAILABLE: grpc.status.UNAVAILABLE,
  FSSO_LDAP_UNAVAILABLE: grpc.status.UNAVAILABLE,
};

/** The service edge: our errors become gRPC statuses here and nowhere else. */
export function toServiceError(err: unknown): Partial<grpc.StatusObject> {
  if (err instanceof FssoError) {
    return { code: BY_CODE[err.code] ?? grpc.status.INTERNAL, details: err.message };
  }
  return { code: grpc.status.INTERNAL, details: `internal error: ${errorMessage(err)}` };
}

/** Wraps a unary handler so that thrown errors become statuses. */
export function unary<Req, Res>(fn: (req: Req, call: grpc.ServerUnaryCall<Req, Res>) => Res): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    try {
      callback(null, fn(call.request, call));
    } catch (err) {
      callback(toServiceError(err));
    }
  };
}

/**
 * Ends a streaming call with a status. grpc-js sends the status when the call *ends* after an
 * 'error' event; `destroy(err)` would skip that and leave the client waiting.
 */
export function endWithStatus(call: NodeJS.EventEmitter, code: grpc.status, details: string): void {
  call.emit('error', Object.assign(new Error(details), { code, details }));
}
