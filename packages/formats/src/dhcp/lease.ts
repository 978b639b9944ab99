import { isIP } from 'node:net';
import { normaliseIp, normaliseMac, normaliseWorkstation } from '@fsso/common';
import type { AgentEvent, RecordResult } from '../model';
import type { ParseOptions } from '../format';
import { skip } from '../event';

/**
 * What one DHCP record says about one address, in the terms every DHCP format shares. Each format
 * only finds these facts; `leaseResult` turns them into the event, so all DHCP sources name hosts,
 * MACs and addresses the same way.
 */
export interface LeaseFacts {
  kind: 'HOST_ADDRESS' | 'HOST_RELEASED';
  /** The address as the source wrote it (normalised here). */
  ip: string;
  /** Already normalised with `macOf` / `macFromDuid` / `macFromClientId`; '' if none. */
  mac: string;
  /** The client's host name as the source wrote it (short or FQDN); '' if none. */
  hostName: string;
  timeMs: number;
  /** The source's own code: DhcpSrvLog ID, dhcpd verb, Kea message id or lease state. */
  code: string;
  /** The DHCP server, when the record names it. */
  reporter: string;
}

export function leaseResult(f: LeaseFacts, options: ParseOptions = {}): RecordResult {
  // Skip reasons stay free of addresses and MACs: they are counted per distinct text.
  const ip = normaliseIp(f.ip);
  if (ip === null) return skip(`${f.code}: no usable address`);
  if (!Number.isFinite(f.timeMs)) return skip(`${f.code}: no usable time`);
  const host = hostIdentity(f.hostName, options.defaultDomain);
  // A grant to nobody in particular cannot move anyone; a release needs only the address.
  if (f.kind === 'HOST_ADDRESS' && f.mac === '' && host.user === '') {
    return skip(`${f.code}: lease names no client (no MAC, no host name)`);
  }
  const event: AgentEvent = {
    kind: f.kind,
    user: host.user,
    domain: host.domain,
    ip,
    workstation: host.workstation,
    mac: f.mac,
    eventTimeMs: f.timeMs,
    source: 'dhcp',
    sourceEventId: f.code,
    logonType: 0,
    // Lower-case like the Windows reader's `Computer`, so one server is one reporter.
    reporter: f.reporter.trim().toLowerCase(),
  };
  return { events: [event] };
}

export { skip };

export interface HostIdentity {
  user: string;
  domain: string;
  workstation: string;
}

const NO_HOST: HostIdentity = { user: '', domain: '', workstation: '' };
/** Placeholders, not names: Microsoft's `<Computer Name>`, CSV debris, control characters. */
const NOT_A_NAME = /[<>"\\/,;\u0000-\u001f]/;
/** What dhcpd logs instead of a name it will not print. */
const DHCPD_UNPRINTABLE = 'Hostname Unsuitable for Printing';

/**
 * A DHCP client's host name as the identity of a host: `Bryans-iPhone-2.corp.local` is user
 * `bryans-iphone-2` (machine accounts are named the same way, without `$`), workstation
 * `BRYANS-IPHONE-2`, domain `CORP.LOCAL`. Clients choose these names freely, so only obvious
 * placeholders and address literals are refused; spaces (`Roku Device`) are kept.
 */
export function hostIdentity(raw: string, defaultDomain = ''): HostIdentity {
  const name = raw.trim().replace(/\.$/, '');
  if (name === '' || name === '-' || name === DHCPD_UNPRINTABLE || NOT_A_NAME.test(name) || isIP(name) !== 0) {
    return NO_HOST;
  }
  const dot = name.indexOf('.');
  const short = dot < 0 ? name : name.slice(0, dot);
  if (short === '') return NO_HOST;
  const suffix = dot < 0 ? '' : name.slice(dot + 1);
  return {
    user: short.toLowerCase(),
    workstation: normaliseWorkstation(short),
    domain: (suffix || defaultDomain.trim()).toUpperCase(),
  };
}

/** `normaliseMac`, except the all-zero MAC that servers write when they have none. */
export function macOf(raw: string | undefined): string {
  const mac = normaliseMac(raw);
  return mac === '00:00:00:00:00:00' ? '' : mac;
}

/** `00:01:ab`, `0001AB` or `00-01-ab` as bytes; null when it is not whole hex bytes. */
export function hexBytes(text: string | undefined): Buffer | null {
  const hex = (text ?? '').replace(/[:\-\s]/g, '');
  if (hex === '' || hex.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(hex)) return null;
  return Buffer.from(hex, 'hex');
}

/**
 * The Ethernet MAC inside a DHCPv6 DUID, where there is one: DUID-LLT (type 1) and DUID-LL
 * (type 3) with hardware type 1 (RFC 8415 11.2, 11.4). DUID-EN and DUID-UUID carry none. The
 * LLT address is the one the client had when it made the DUID: stable, but possibly another NIC.
 */
export function macFromDuid(duid: Buffer | null): string {
  if (duid === null || duid.length < 4 || duid.readUInt16BE(2) !== 1) return '';
  const type = duid.readUInt16BE(0);
  if (type === 1 && duid.length === 14) return macOf(duid.subarray(8).toString('hex'));
  if (type === 3 && duid.length === 10) return macOf(duid.subarray(4).toString('hex'));
  return '';
}

/**
 * The MAC inside a DHCPv4 client identifier: type 1 followed by the Ethernet address, or an
 * RFC 4361 identifier (type 255, 4-byte IAID, then a DUID) as Windows and systemd send.
 */
export function macFromClientId(id: Buffer | null): string {
  if (id === null || id.length === 0) return '';
  if (id[0] === 1 && id.length === 7) return macOf(id.subarray(1).toString('hex'));
  if (id[0] === 255 && id.length > 5) return macFromDuid(id.subarray(5));
  return '';
}
