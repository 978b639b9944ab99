import * as grpc from '@grpc/grpc-js';
import { FssoError, errorMessage, type FssoErrorCode } from '@fsso/common';

/**
 * Every error code's status. A `Record` over the union, so a new code without a status fails the
 * build. Codes a service cannot throw today (CLI, install and start-up errors) still get the
 * status that would describe them, rather than a silent INTERNAL.
 */
const BY_CODE: Record<FssoErrorCode, grpc.status> = {
  FSSO_NOT_FOUND: grpc.status.NOT_FOUND,
  FSSO_INVALID_INPUT: grpc.status.INVALID_ARGUMENT,
  FSSO_USAGE: grpc.status.INVALID_ARGUMENT,
  FSSO_CERT_INVALID: grpc.status.INVALID_ARGUMENT,
  FSSO_KEY_INVALID: grpc.status.INVALID_ARGUMENT,
  FSSO_CONFIG_INVALID: grpc.status.FAILED_PRECONDITION,
  FSSO_DB_NOT_SQLITE: grpc.status.FAILED_PRECONDITION,
  FSSO_DB_TOO_NEW: grpc.status.FAILED_PRECONDITION,
  FSSO_INSTALL: grpc.status.FAILED_PRECONDITION,
  FSSO_PEER_UNAVAILABLE: grpc.status.UNAVAILABLE,
  FSSO_LDAP_UNAVAILABLE: grpc.status.UNAVAILABLE,
  FSSO_TLS_UNAVAILABLE: grpc.status.UNAVAILABLE,
  FSSO_CALL_FAILED: grpc.status.UNAVAILABLE,
  FSSO_PERMISSION_DENIED: grpc.status.PERMISSION_DENIED,
  FSSO_NEEDS_ROOT: grpc.status.PERMISSION_DENIED,
  FSSO_NEEDS_ADMIN: grpc.status.PERMISSION_DENIED,
  FSSO_FILE: grpc.status.INTERNAL,
  FSSO_FILE_UNREADABLE: grpc.status.INTERNAL,
  FSSO_PKI: grpc.status.INTERNAL,
  FSSO_DB_OPEN: grpc.status.INTERNAL,
  FSSO_SPOOL_OPEN: grpc.status.INTERNAL,
  FSSO_LISTEN_FAILED: grpc.status.INTERNAL,
  FSSO_STALE_IDENTITY: grpc.status.INTERNAL,
  FSSO_INTERNAL: grpc.status.INTERNAL,
};

/** The service edge: our errors become gRPC statuses here and nowhere else. */
export function toServiceError(err: unknown): Partial<grpc.StatusObject> {
  if (err instanceof FssoError) {
    return { code: BY_CODE[err.code], details: err.message };
  }
  return { code: grpc.status.INTERNAL, details: `internal error: ${errorMessage(err)}` };
}

/** Wraps a unary handler so that thrown errors become statuses. */
export function unary<Req, Res>(
  fn: (req: Req, call: grpc.ServerUnaryCall<Req, Res>) => Res,
): grpc.handleUnaryCall<Req, Res> {
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
