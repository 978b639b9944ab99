/**
 * One error family for every package. `code` is stable (scripts and tests match on it); the
 * message says what is wrong and what to do. Services translate to gRPC status codes only at
 * their edge.
 */
export class FssoError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A configuration value is missing or wrong. `field` is its path, e.g. `sources[0].path`. */
export class ConfigError extends FssoError {
  readonly field: string;
  constructor(message: string, field: string) {
    super('FSSO_CONFIG_INVALID', message);
    this.field = field;
  }
}

/** Input from the outside (an event, a request) is malformed. */
export class InvalidInputError extends FssoError {
  constructor(message: string) {
    super('FSSO_INVALID_INPUT', message);
  }
}

/** The thing asked for does not exist (an address nobody is logged on at). */
export class NotFoundError extends FssoError {
  constructor(message: string) {
    super('FSSO_NOT_FOUND', message);
  }
}

/** A peer (collector, agent) cannot be reached or broke the protocol. */
export class PeerError extends FssoError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('FSSO_PEER_UNAVAILABLE', message, options);
  }
}

/** Narrows anything thrown to a message, without casting. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return typeof err === 'string' ? err : JSON.stringify(err);
}
