import { normaliseAccount, type Account } from '@fsso/common';

/**
 * Names gateways and RADIUS servers write where no person is known yet: GlobalProtect's
 * pre-logon tunnel, FortiGate's `N/A`, and the anonymous outer identity of EAP-TTLS/PEAP.
 */
const PLACEHOLDERS = new Set(['n/a', 'na', 'none', 'null', '(null)', 'unknown', 'pre-logon', 'anonymous']);

// MAC authentication bypass sends the MAC as User-Name: a device, not a person.
const MAC_NAME = /^(?:[0-9a-f]{2}([-:]?)(?:[0-9a-f]{2}\1){4}[0-9a-f]{2}|[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4})$/i;

/**
 * The account a syslog or RADIUS record names, or why it names none. Beyond normaliseAccount:
 * doubled backslashes (`host\\user`, an escaping artefact of PAN-OS forwarding) are folded, and
 * 802.1X machine authentication `host/pc01.corp.example` is the computer account PC01$.
 */
export function readAccount(rawUser: string | undefined, rawDomain?: string): Account | string {
  let user = (rawUser ?? '').trim().replace(/\\{2,}/g, '\\');
  if (user === '') return 'no user';
  if (MAC_NAME.test(user)) return `user name is a MAC address (${user})`;
  let machine = false;
  const host = /^host\/([^./]+)(?:\.(.+))?$/i.exec(user);
  if (host) {
    machine = true;
    user = `${host[1] ?? ''}$${host[2] ? `@${host[2]}` : ''}`;
  }
  const account = normaliseAccount(user, rawDomain);
  if (account === null) return `no user (${user})`;
  if (PLACEHOLDERS.has(account.user)) return `placeholder user (${account.user})`;
  return machine ? { ...account, machine: true } : account;
}

/** Unix time in seconds, ms, µs or ns (told apart by the number of digits) to ms; NaN if none. */
export function epochToMs(raw: string | undefined): number {
  const digits = (raw ?? '').trim();
  if (!/^\d{9,19}$/.test(digits)) return NaN;
  if (digits.length <= 11) return Number(digits) * 1000;
  const extra = digits.length <= 14 ? 0 : digits.length <= 17 ? 3 : 6;
  return Number(digits.slice(0, digits.length - extra));
}
