/** What a target is told about one address: the identity after the target's filters. */
export interface PushIdentity {
  ip: string;
  user: string;
  domain: string;
  groups: string[];
}

/**
 * One operation for a target. A `login` with `prev` replaces what the address held (another user,
 * or other groups); `refresh` re-sends an unchanged identity before the target's timeout ends it.
 */
export type PushOp =
  | { op: 'login'; id: PushIdentity; prev?: PushIdentity | undefined; refresh?: boolean }
  | { op: 'logout'; id: PushIdentity };

/**
 * How a request went (expected outcomes are values, not exceptions). `success` may name entries
 * the target refused one by one (they are not retried until the next refresh or resync);
 * `retryable` keeps the whole batch queued and backs off.
 */
export type Outcome =
  { status: 'success'; rejected?: { ip: string; error: string }[] } | { status: 'retryable'; error: string };

/** A target's wire protocol: FortiGate RSSO, PAN-OS, Check Point, a JSON-RPC webhook. */
export interface PushDriver {
  /** Sends one batch (at most the target's `batch` operations); never throws for the target's errors. */
  send(ops: readonly PushOp[], signal: AbortSignal): Promise<Outcome>;
  close(): void;
}

/** `DOMAIN\user`, or the bare user when the table names no domain. */
export function accountName(id: PushIdentity): string {
  return id.domain ? `${id.domain}\\${id.user}` : id.user;
}

export function sameIdentity(a: PushIdentity, b: PushIdentity): boolean {
  return (
    a.user === b.user &&
    a.domain === b.domain &&
    a.groups.length === b.groups.length &&
    a.groups.every((g, i) => g === b.groups[i])
  );
}
