import { normaliseIp, normaliseMac, normaliseWorkstation, type KnownEventKind } from '@fsso/common';
import type { RecordResult } from '../model';
import { accountEvent, skip } from '../event';
import type { ParseOptions } from '../format';
import { epochToMs, readAccount } from './fields';
import type { SyslogMessage } from './message';
import type { CompiledProfile } from './profiles';

export const SYSLOG_SOURCE = 'syslog';
export const NO_PROFILE = 'no profile matches';

/**
 * Turns one syslog message into events with the first profile that selects it. A profile
 * with `match` owns every line it selects, so a line that then fails its pattern is reported
 * against that profile instead of falling through to a looser one.
 */
export function applyProfiles(
  profiles: readonly CompiledProfile[],
  msg: SyslogMessage,
  opts: ParseOptions = {},
): RecordResult {
  for (const p of profiles) {
    if (p.match !== null && !p.match.test(msg.message)) continue;
    const m = p.pattern.exec(msg.message);
    if (m === null) {
      if (p.match === null) continue;
      return skip(`${p.profile.name}: line does not match the pattern`);
    }
    return toEvent(p, m.groups ?? {}, msg, opts);
  }
  return skip(NO_PROFILE);
}

function toEvent(
  p: CompiledProfile,
  g: Record<string, string | undefined>,
  msg: SyslogMessage,
  opts: ParseOptions,
): RecordResult {
  const name = p.profile.name;
  const ip = normaliseIp(g['ip']);
  if (ip === null) return skip(`${name}: no usable address (${g['ip'] ?? 'none'})`);
  const account = readAccount(g['user'], g['domain']);
  if (typeof account === 'string') return skip(`${name}: ${account}`);

  let kind: KnownEventKind = p.profile.kind;
  const by = p.profile.kindBy;
  if (by !== undefined) kind = p.kindMap.get((g[by.group] ?? '').trim().toLowerCase()) ?? kind;

  let workstation = normaliseWorkstation(g['host']);
  const hostKind = kind === 'HOST_SEEN' || kind === 'HOST_ADDRESS' || kind === 'HOST_RELEASED';
  // A host-kind profile names a host by its account: that name is the workstation.
  if (!account.machine && hostKind && workstation === '') workstation = account.user.toUpperCase();

  const epoch = epochToMs(g['epoch']);
  return accountEvent(
    {
      kind,
      account,
      ip,
      workstation,
      mac: normaliseMac(g['mac']),
      eventTimeMs: Number.isFinite(epoch) ? epoch : msg.time,
      source: SYSLOG_SOURCE,
      sourceEventId: name,
      reporter: msg.host.toLowerCase(),
      machineLogoff: `${name}: logoff of computer account ${account.user}$`,
    },
    opts,
  );
}
