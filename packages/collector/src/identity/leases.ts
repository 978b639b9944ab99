import type { WorkstationStore } from '../store/workstations';
import type { Ctx } from './rule-context';

/**
 * Which address the machine left by showing up at `ip`. Without DHCP evidence: its previous one
 * (the newest address wins). With leases of two interfaces (a docked laptop with Wi-Fi still on),
 * both addresses are live: it left only the address its *same* interface (MAC) held before.
 */
export function leftAddress(
  workstations: WorkstationStore,
  c: Ctx,
  name: string,
  ip: string,
  prevIp: string | undefined,
  deadEntryTimeoutMs: number,
): string | undefined {
  const { ev, t } = c;
  const since = t - deadEntryTimeoutMs;
  if (ev.kind === 'HOST_ADDRESS' && ev.mac) {
    const same = workstations.leaseOf(ev.domain, name, ev.mac);
    workstations.noteLease(ev.domain, name, ev.mac, ip, t);
    const other = prevIp && prevIp !== ip ? workstations.liveLeaseAt(ev.domain, name, prevIp, since) : undefined;
    if (other !== undefined && other !== ev.mac)
      return same && same.ip !== ip && same.seenMs >= since ? same.ip : undefined;
    return prevIp;
  }
  // Evidence without a MAC at one leased address does not end the other interface's lease.
  if (
    prevIp &&
    prevIp !== ip &&
    workstations.liveLeaseAt(ev.domain, name, prevIp, since) !== undefined &&
    workstations.liveLeaseAt(ev.domain, name, ip, since) !== undefined
  )
    return undefined;
  return prevIp;
}
