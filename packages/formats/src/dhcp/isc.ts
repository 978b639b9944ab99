import type { RecordResult } from '../model';
import { LineSplitter, type ParseOptions, type SourceFormat } from '../format';
import { leaseResult, macOf, skip } from './lease';
import { parseSyslog } from './syslog';

/**
 * `dhcp-isc`: what ISC dhcpd (and dhcpd-derived servers) log through syslog. Only two messages
 * change a lease (server/dhcp.c):
 *   DHCPACK on <ip> to <mac> [(<host>) ]via <iface|relay>          lease granted or renewed
 *   BOOTREPLY on <ip> to <mac> [(<host>) ]via <iface|relay>        same, for a BOOTP client
 *   DHCPRELEASE of <ip> from <mac> [(<host>) ]via <iface> (found)  client gave it back
 * dhcpd logs no expiry; lease expiries are only in dhcpd.leases (see `dhcp-isc-leases`).
 * DISCOVER/OFFER/REQUEST/NAK/INFORM grant nothing; DECLINE means another host answers at the
 * address, which must not drop that host's logon.
 */

const GRANT = /^(DHCPACK|BOOTREPLY) on (\S+) to (\S+) (?:\((.*?)\) )?via (\S+)/;
const RELEASE = /^DHCPRELEASE of (\S+) from (\S+) (?:\((.*?)\) )?via (\S+)(?: \((not )?found\))?/;
/** `DHCPACK to <ip> (<mac>) via ...` answers a DHCPINFORM: the client configured the address itself. */
const INFORM_ACK = /^DHCPACK to \S+ /;
const VERB = /^(DHCP[A-Z]+|BOOTREQUEST|BOOTREPLY)\b/;

/** One syslog line; `nowMs` decides the year of a BSD timestamp. */
export function parseDhcpdLine(line: string, nowMs: number, options: ParseOptions = {}): RecordResult {
  const sys = parseSyslog(line, nowMs);
  if (sys === null) return skip('not a syslog line (no timestamp)');
  const msg = sys.message;
  const grant = GRANT.exec(msg);
  if (grant) {
    const [, verb = '', ip = '', mac = '', host = ''] = grant;
    return leaseResult(
      { kind: 'HOST_ADDRESS', ip, mac: macOf(mac), hostName: host, timeMs: sys.timeMs, code: verb, reporter: sys.host },
      options,
    );
  }
  const release = RELEASE.exec(msg);
  if (release) {
    const [, ip = '', mac = '', host = '', , notFound] = release;
    // "(not found)": the server had no such lease, so nothing was released.
    if (notFound !== undefined) return skip('DHCPRELEASE of a lease the server did not have');
    return leaseResult(
      {
        kind: 'HOST_RELEASED',
        ip,
        mac: macOf(mac),
        hostName: host,
        timeMs: sys.timeMs,
        code: 'DHCPRELEASE',
        reporter: sys.host,
      },
      options,
    );
  }
  if (INFORM_ACK.test(msg)) return skip('DHCPACK to a DHCPINFORM grants no lease');
  const verb = VERB.exec(msg);
  if (verb) return skip(`${verb[1] ?? ''} does not grant or end a lease`);
  return skip('not a dhcpd lease message');
}

export const dhcpIscFormat: SourceFormat = {
  name: 'dhcp-isc',
  description: 'ISC dhcpd syslog lines (DHCPACK on ... to ..., DHCPRELEASE of ...), e.g. /var/log/syslog or messages',
  createSplitter: () => new LineSplitter(),
  createParser(options: ParseOptions = {}) {
    return (line: string): RecordResult => parseDhcpdLine(line, Date.now(), options);
  },
};
