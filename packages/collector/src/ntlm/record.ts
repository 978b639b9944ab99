import type { Clock, DomainNames } from '@fsso/common';
import { authorityOf } from '../authority/authority';
import type { IdentityEngine } from '../identity/engine';
import type { Evidence } from '../identity/entry';
import type { IdentityTable } from '../store/identity-table';
import type { TableWriter } from '../store/table-writer';
import type { AuthScheme } from './config';

/** A user the domain verified at an address, and who vouches for it. */
export interface VerifiedLogon {
  ip: string;
  user: string;
  domain: string;
  scheme: AuthScheme;
  /** The proxy's certificate identity (its CN), the entry's reporter. */
  reporter: string;
  /** Domains the proxy's certificate may vouch for (['*']: all); undefined on a plaintext collector. */
  scope: readonly string[] | undefined;
}

export interface RecordDeps {
  writer: TableWriter;
  engine: IdentityEngine;
  table: IdentityTable;
  names: DomainNames;
  clock: Clock;
  /** Whether groups come from a directory at all (else there is nothing to wait for). */
  directoryEnabled: boolean;
  groupWaitMs: number;
}

export type RecordResult =
  | { ok: true; domain: string; groups: string[]; groupDns: string[] }
  | { ok: false; reason: string; outOfAuthority: boolean };

/**
 * Records a verified logon like any other evidence: a USER_LOGON of source `ntlm`/`negotiate`
 * through the identity rules and the one table write path, judged by the proxy certificate's
 * authority (a proxy for CORP cannot place, move or end a user of another domain).
 */
export async function recordLogon(d: RecordDeps, v: VerifiedLogon): Promise<RecordResult> {
  if (v.scope && !v.scope.includes('*') && !d.names.covers(v.scope, v.domain)) {
    return {
      ok: false,
      outOfAuthority: true,
      reason: `the proxy's certificate may vouch for ${v.scope.join(', ') || 'no domain'}, not ${v.domain}; issue it with --domain ${v.domain}`,
    };
  }
  const now = d.clock.now();
  const ev: Evidence = {
    kind: 'USER_LOGON',
    user: v.user,
    domain: v.domain,
    ip: v.ip,
    workstation: '',
    mac: '',
    eventTimeMs: now,
    source: v.scheme,
    sourceEventId: '',
    logonType: 3,
    reporter: v.reporter,
  };
  const auth = authorityOf(v.scope, [], d.names, v.reporter);
  d.writer.changes(() => {
    const changes = d.engine.apply(ev, now, auth);
    d.table.flush();
    return changes;
  });
  const entry = d.table.get(v.ip);
  if (!entry || entry.user !== v.user || entry.shared || entry.contested)
    return {
      ok: false,
      outOfAuthority: false,
      reason: entry?.contested
        ? `${v.ip} is contested by another domain's user; nobody is named there until it resolves`
        : entry?.shared
          ? `${v.ip} is shared by several users; no single user is named there`
          : `the identity rules did not place ${v.user} at ${v.ip}`,
    };
  // A first logon's groups arrive from LDAP a moment later: the proxy's policy needs them now.
  const deadline = now + d.groupWaitMs;
  let cur = entry;
  while (d.directoryEnabled && cur.groups.length === 0 && d.clock.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    const next = d.table.get(v.ip);
    if (!next || next.user !== v.user) break;
    cur = next;
  }
  return {
    ok: true,
    domain: cur.domain,
    groups: [...cur.groups],
    groupDns: [...(cur.groupDns ?? cur.groups.map(() => ''))],
  };
}
