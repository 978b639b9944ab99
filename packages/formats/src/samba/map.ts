import { normaliseAccount, normaliseIp, normaliseWorkstation } from '@fsso/common';
import type { Account, KnownEventKind } from '@fsso/common';
import type { RecordResult } from '../model';
import { accountEvent, skip } from '../event';
import type { ParseOptions } from '../format';
import { type DuplicateFilter } from './duplicates';
import { authenticationAccount, isServiceIdentity } from './identity';
import { num, text, type SambaRecord } from './record';
import { selfTrafficReason } from '../self-traffic';

export const SOURCE = 'samba-audit';
const NETWORK_LOGON = 3;

/**
 * Maps one Samba audit record to logon evidence. `Authentication` is a logon checked by the DC
 * (Kerberos AS-REQ, NTLM, LDAP simple bind); `Authorization` is a session opened at the DC's own
 * SMB/LDAP/RPC server, e.g. with a Kerberos ticket, which logs no `Authentication` of its own.
 * `duplicates` belongs to one stream (see DuplicateFilter).
 */
export function mapSambaRecord(r: SambaRecord, duplicates: DuplicateFilter, opts: ParseOptions = {}): RecordResult {
  if (r.type === 'Authentication') return mapAuthentication(r, duplicates, opts);
  if (r.type === 'Authorization') return mapAuthorization(r, opts);
  return skip(`Samba ${r.type} record is not logon evidence`);
}

function mapAuthentication(r: SambaRecord, duplicates: DuplicateFilter, opts: ParseOptions): RecordResult {
  const b = r.body;
  const service = text(b, 'serviceDescription');
  const what = `Samba Authentication (${service || 'unknown service'})`;
  const status = text(b, 'status');
  // A failed logon shows who tried, not who is there: counted through the skip reason, never mapped.
  if (status !== 'NT_STATUS_OK') return skip(`${what} failed with status ${status || 'none'}`);
  const common = commonChecks(r, what, authenticationAccount(b), opts);
  if (typeof common === 'string') return skip(common);
  const { account, ip } = common;

  // An LDAP simple bind carries no client name: Samba fills `workstation` with its own NetBIOS
  // name (auth_simple.c), which would tie the client's address to the DC's name.
  const simpleBind = service === 'LDAP' && text(b, 'authDescription').startsWith('simple bind');
  const workstation = simpleBind ? '' : normaliseWorkstation(text(b, 'workstation'));

  const key = [account.user, account.domain, account.machine, ip, service, status].join('|');
  if (duplicates.isRepeat(key, r.timeMs)) {
    return skip(
      service === 'Kerberos KDC'
        ? 'duplicate of the previous record (kinit UDP retry)'
        : 'duplicate of the previous record (same logon again within 2 s)',
    );
  }
  const eventId = num(b, 'eventId');
  const logonType = num(b, 'logonType');
  return event(account, ip, workstation, r.timeMs, opts, {
    kind: 'USER_LOGON',
    sourceEventId: eventId === undefined ? 'auth' : String(eventId),
    logonType: logonType !== undefined && Number.isInteger(logonType) && logonType >= 0 ? logonType : NETWORK_LOGON,
    reporter: '',
  });
}

function mapAuthorization(r: SambaRecord, opts: ParseOptions): RecordResult {
  const b = r.body;
  const what = `Samba Authorization (${text(b, 'serviceDescription') || 'unknown service'}/${text(b, 'authType') || '?'})`;
  const common = commonChecks(r, what, normaliseAccount(text(b, 'account'), text(b, 'domain')), opts);
  if (typeof common === 'string') return skip(common);
  return event(common.account, common.ip, '', r.timeMs, opts, {
    kind: 'USER_ACTIVITY',
    sourceEventId: 'authz',
    // Every Authorization is a session from the network at the DC's own server.
    logonType: NETWORK_LOGON,
    reporter: text(b, 'logonServer').toLowerCase(),
  });
}

/**
 * What both record types require: a time, a person or computer, and a client address that is not
 * the DC's own (self-traffic, see ../self-traffic.ts).
 */
function commonChecks(
  r: SambaRecord,
  what: string,
  account: Account | null,
  opts: ParseOptions,
): { account: Account; ip: string } | string {
  const rawIp = text(r.body, 'remoteAddress');
  if (!Number.isFinite(r.timeMs)) return `${what} has no usable timestamp`;
  if (account === null) return `${what} names no account`;
  if (isServiceIdentity(account)) return `${what} is for ${account.user}, not a person`;
  const ip = normaliseIp(rawIp);
  // `unix:` (ntlm_auth/winbind on the DC), `ipv6::::0` (internal RPC pipes) and loopback are the
  // DC talking to itself: its own machine account, or tools run on it. None names a client.
  if (ip === null)
    return `${what} for ${account.user}${account.machine ? '$' : ''} has no usable client address (${rawIp || 'none'})`;
  const self = selfTrafficReason(ip, text(r.body, 'localAddress'), opts);
  if (self !== undefined) return self;
  return { account, ip };
}

interface Varying {
  kind: Extract<KnownEventKind, 'USER_LOGON' | 'USER_ACTIVITY'>;
  sourceEventId: string;
  logonType: number;
  reporter: string;
}

/** Samba's evidence through the one event builder (a computer account becomes HOST_SEEN there). */
function event(
  account: Account,
  ip: string,
  workstation: string,
  timeMs: number,
  opts: ParseOptions,
  v: Varying,
): RecordResult {
  return accountEvent({ ...v, account, ip, workstation, eventTimeMs: timeMs, source: SOURCE }, opts);
}
