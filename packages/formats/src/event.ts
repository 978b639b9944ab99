import type { Account, KnownEventKind } from '@fsso/common';
import type { AgentEvent, RecordResult } from './model';
import type { ParseOptions } from './format';

/**
 * The one event builder for the account-based mappers (Windows, Samba, syslog profiles,
 * FreeRADIUS), so the rules that make an event from an account are written once:
 *   - a computer account (`PC01$`) proves which host is at the address, not which person: its
 *     evidence becomes HOST_SEEN (a host kind a profile gave stays), with the machine's name as
 *     the workstation;
 *   - a computer account logging off says nothing about which host is at which address: skipped;
 *   - an account without a domain takes the source's `defaultDomain`.
 */

/** A record that produced no event, and why (counted per reason by `parse --stats` and the agent). */
export function skip(reason: string): RecordResult {
  return { events: [], skipped: reason };
}

/** What a mapper read from one record, before the account rules. */
export interface AccountEvidence {
  kind: KnownEventKind;
  account: Account;
  ip: string;
  workstation: string;
  /** @default '' */
  mac?: string;
  eventTimeMs: number;
  source: string;
  sourceEventId: string;
  /** @default 0 */
  logonType?: number;
  reporter: string;
  /** The skip reason when a computer account logs off. @default 'logoff of computer account NAME$' */
  machineLogoff?: string;
}

const HOST_KINDS: ReadonlySet<KnownEventKind> = new Set(['HOST_SEEN', 'HOST_ADDRESS', 'HOST_RELEASED']);

export function accountEvent(e: AccountEvidence, opts: ParseOptions): RecordResult {
  const { account } = e;
  let kind = e.kind;
  let workstation = e.workstation;
  if (account.machine) {
    if (kind === 'USER_LOGOFF') return skip(e.machineLogoff ?? `logoff of computer account ${account.user}$`);
    if (!HOST_KINDS.has(kind)) kind = 'HOST_SEEN';
    workstation = account.user.toUpperCase();
  }
  const event: AgentEvent = {
    kind,
    user: account.user,
    domain: account.domain || (opts.defaultDomain ?? '').trim().toUpperCase(),
    ip: e.ip,
    workstation,
    mac: e.mac ?? '',
    eventTimeMs: e.eventTimeMs,
    source: e.source,
    sourceEventId: e.sourceEventId,
    logonType: e.logonType ?? 0,
    reporter: e.reporter,
  };
  return { events: [event] };
}
