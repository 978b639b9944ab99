import { normaliseAccount, normaliseIp, normaliseWorkstation } from '@fsso/common';
import type { RecordResult } from '../model';
import { accountEvent, skip } from '../event';
import type { ParseOptions } from '../format';
import type { WindowsRecord } from './record';
import { COUNTED, RULES, isSuccessStatus, wellKnownAccount } from './rules';
import { selfTrafficReason } from '../self-traffic';

/**
 * The one mapping from a Windows Security event to logon evidence. Every Windows input (XML,
 * Winlogbeat, NXLog, Azure rows) calls this, so they cannot disagree about what an event means.
 */
export function mapWindowsRecord(r: WindowsRecord, opts: ParseOptions = {}): RecordResult {
  const id = r.eventId;
  const rule = RULES.get(id);
  if (rule === undefined) {
    const counted = COUNTED.get(id);
    return skip(counted ? `event ${id} (${counted}) is counted, not mapped` : `event ${id} is not logon evidence`);
  }
  const what = `event ${id} (${rule.label})`;
  if (!Number.isFinite(r.timeMs)) return skip(`${what} has no usable event time`);

  const field = (name: string | undefined): string => (name === undefined ? '' : (r.data[name] ?? '').trim());
  if (rule.checkStatus) {
    const status = field('Status');
    if (!isSuccessStatus(status)) return skip(`${what} failed with status ${status}`);
  }

  const account = normaliseAccount(field(rule.fields.user), field(rule.fields.domain));
  if (account === null) return skip(`${what} names no account`);
  if (wellKnownAccount(account.user)) return skip(`${what} is for ${account.user}, not a person`);

  let ip = '';
  if (rule.address !== 'none') {
    const raw = field(rule.fields.ip);
    const usable = normaliseIp(raw);
    if (usable === null && rule.address === 'required') {
      return skip(`${what} has no usable client address (${raw === '' ? 'none' : raw})`);
    }
    ip = usable ?? '';
    // 4624 and its kin carry no server address: only the agent host's own ones (live) can tell.
    const self = selfTrafficReason(ip, '', opts);
    if (self !== undefined) return skip(self);
  }

  const workstation = rule.workstationFromComputer
    ? normaliseWorkstation(r.computer.split('.')[0])
    : normaliseWorkstation(field(rule.fields.workstation));
  // An event without address or client name cannot be tied to any machine (4776 without Workstation).
  if (rule.kind !== 'USER_LOGOFF' && ip === '' && workstation === '') {
    return skip(`${what} names neither client address nor workstation`);
  }

  const logonType = Number(field(rule.fields.logonType));
  return accountEvent(
    {
      kind: rule.kind,
      account,
      ip,
      workstation,
      eventTimeMs: r.timeMs,
      source: 'windows-security',
      sourceEventId: String(id),
      logonType: Number.isInteger(logonType) && logonType >= 0 ? logonType : 0,
      reporter: r.computer.trim().toLowerCase(),
      machineLogoff: `${what} is for machine account ${account.user}$`,
    },
    opts,
  );
}
