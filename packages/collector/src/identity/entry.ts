/** Who is at one address, as the collector holds it. */
export interface Entry {
  ip: string;
  user: string;
  domain: string;
  workstation: string;
  groups: string[];
  firstSeenMs: number;
  lastSeenMs: number;
  source: string;
  /** Revision of the change that last wrote the entry. */
  revision: number;
}

export type ChangeOp = 'UPSERT' | 'DELETE';

/** One change of the table. Revisions increase by one with every change. */
export interface TableChange {
  revision: number;
  op: ChangeOp;
  ip: string;
  /** The new entry for UPSERT. */
  entry?: Entry | undefined;
  /** logon, activity, replaced, logoff, released, expired, admin-delete */
  reason: string;
  atMs: number;
}

/** The fields of an event the rules look at (a validated `fsso.v1.Event`). */
export interface Evidence {
  kind: string;
  user: string;
  domain: string;
  ip: string;
  workstation: string;
  eventTimeMs: number;
  source: string;
}
