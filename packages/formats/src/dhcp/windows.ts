import type { RecordResult } from '../model';
import { LineSplitter, type ParseOptions, type SourceFormat } from '../format';
import { hexBytes, leaseResult, macFromDuid, macOf, skip, type LeaseFacts } from './lease';
import { parseSyslog } from './syslog';

/**
 * `dhcp-windows`: the Windows DHCP Server audit logs `%windir%\System32\dhcp\DhcpSrvLog-<Day>.log`
 * and `DhcpV6SrvLog-<Day>.log`. Each starts with a free-text preamble (title, event-ID legend,
 * QResult note), then a CSV header, then one row per event:
 *   ID,Date,Time,Description,IP Address,Host Name,MAC Address,User Name, TransactionID, ...
 *   11,10/27/25,17:03:37,Renew,10.250.52.18,PC-SSD-5824,A0AD9F02A039,,3281646423,0
 * DhcpV6SrvLog rows put Error Code, DUID length and DUID bytes where v4 has the MAC.
 * Rows forwarded by a syslog agent keep the row after the header:
 *   <13>Jun 28 13:22:54 DC01.corp.example 11,06/28/16,13:22:53,Renew,10.11.11.17,...
 */

type Grant = 'HOST_ADDRESS' | 'HOST_RELEASED';

/** From the legend at the top of every DhcpSrvLog; codes not listed carry no lease change. */
const V4_EVENTS: ReadonlyMap<number, Grant> = new Map<number, Grant>([
  [10, 'HOST_ADDRESS'], // A new IP address was leased to a client.
  [11, 'HOST_ADDRESS'], // A lease was renewed by a client.
  [20, 'HOST_ADDRESS'], // A BOOTP address was leased to a client.
  [21, 'HOST_ADDRESS'], // A dynamic BOOTP address was leased to a client.
  [12, 'HOST_RELEASED'], // A lease was released by a client.
  [16, 'HOST_RELEASED'], // A lease was deleted.
  [17, 'HOST_RELEASED'], // A lease was expired and DNS records ... have not been deleted.
  [18, 'HOST_RELEASED'], // A lease was expired and DNS records were deleted.
  [23, 'HOST_RELEASED'], // A BOOTP IP address was deleted after checking to see it was not in use.
  // 13 (address in use on the network) and 15 (denied) are skipped on purpose: whoever answers
  // at that address holds it without a lease, and their logon must not be dropped.
]);

/** DhcpV6SrvLog codes (11000 Solicit ... 11032). Solicit and Confirm grant nothing. */
const V6_EVENTS: ReadonlyMap<number, Grant> = new Map<number, Grant>([
  [11002, 'HOST_ADDRESS'], // DHCPv6 Request
  [11004, 'HOST_ADDRESS'], // DHCPv6 Renew
  [11005, 'HOST_ADDRESS'], // DHCPv6 Rebind
  [11007, 'HOST_RELEASED'], // DHCPv6 Release
  [11016, 'HOST_RELEASED'], // DHCPv6 Client deleted
  [11018, 'HOST_RELEASED'], // DHCPv6 Expired
  [11019, 'HOST_RELEASED'], // DHCPv6 Leases Expired and Leases Deleted
]);

/** Where the fields are; -1 when the layout has no such column. */
interface Columns {
  ip: number;
  host: number;
  mac: number;
  error: number;
  duid: number;
}

const V4_COLUMNS: Columns = { ip: 4, host: 5, mac: 6, error: -1, duid: -1 };
const V6_COLUMNS: Columns = { ip: 4, host: 5, mac: -1, error: 6, duid: 8 };

const HEADER = /^\s*ID\s*,\s*Date\s*,\s*Time\s*,/i;
const ROW = /^\s*(\d{1,5}),(\d{1,2})\/(\d{1,2})\/(\d{2}|\d{4}),(\d{1,2}):(\d{2}):(\d{2}),/;

/** The columns a header names (`IP Address` / `IPV6 Address`, ` Duid Bytes(Hex)`, trailing `.`). */
export function columnsFromHeader(header: string): Columns {
  const names = header.split(',').map((n) => n.replace(/[\s.]/g, '').toLowerCase());
  const at = (...wanted: string[]): number => names.findIndex((n) => wanted.includes(n));
  return {
    ip: at('ipaddress', 'ipv6address'),
    host: at('hostname'),
    mac: at('macaddress'),
    error: at('errorcode'),
    duid: at('duidbytes(hex)', 'duidbytes'),
  };
}

/**
 * Row time. Windows writes the server's local time without zone or century; like the other
 * zone-less sources it is taken as UTC (set the server to UTC, or accept the offset).
 */
function rowTime(m: RegExpExecArray): number {
  const n = (i: number): number => Number(m[i] ?? 'x');
  const year = n(4) < 100 ? 2000 + n(4) : n(4);
  const [month, day, h, min, s] = [n(2), n(3), n(5), n(6), n(7)];
  if (month < 1 || month > 12 || day < 1 || day > 31 || h > 23 || min > 59 || s > 59) return NaN;
  const t = Date.UTC(year, month - 1, day, h, min, s);
  return new Date(t).getUTCDate() === day ? t : NaN;
}

/** One DhcpSrvLog / DhcpV6SrvLog row; `columns` is what the file's header said, if it was seen. */
export function parseDhcpSrvRow(
  row: string,
  columns: Columns | undefined,
  reporter: string,
  options: ParseOptions = {},
): RecordResult {
  const m = ROW.exec(row);
  if (!m) return skip('not a DhcpSrvLog row');
  const f = row.split(',').map((v) => v.trim());
  const id = Number(m[1]);
  const v6 = id >= 11000;
  const kind = (v6 ? V6_EVENTS : V4_EVENTS).get(id);
  if (kind === undefined) return skip(`DhcpSrvLog event ${id} is not a lease grant or release`);
  const cols = columns ?? (v6 ? V6_COLUMNS : V4_COLUMNS);
  const field = (i: number): string => (i < 0 ? '' : (f[i] ?? ''));
  const error = field(cols.error);
  if (error !== '' && error !== '0') return skip(`DhcpSrvLog event ${id} reports a failure (error code)`);
  const facts: LeaseFacts = {
    kind,
    ip: field(cols.ip),
    mac: macOf(field(cols.mac)) || macFromDuid(hexBytes(field(cols.duid))),
    hostName: field(cols.host),
    timeMs: rowTime(m),
    code: String(id),
    reporter,
  };
  return leaseResult(facts, options);
}

export const dhcpWindowsFormat: SourceFormat = {
  name: 'dhcp-windows',
  description: 'Windows DHCP Server audit log DhcpSrvLog-*.log / DhcpV6SrvLog-*.log (also rows forwarded by syslog)',
  createSplitter: () => new LineSplitter(),
  createParser(options: ParseOptions = {}) {
    // Per stream: the header, once seen, says where the columns are. A follower that resumes
    // mid-file never sees it again, so the layouts Windows writes are the defaults.
    let columns: Columns | undefined;
    return (line: string): RecordResult => {
      if (HEADER.test(line)) {
        columns = columnsFromHeader(line);
        return skip('DhcpSrvLog CSV header');
      }
      if (ROW.test(line)) return parseDhcpSrvRow(line, columns, '', options);
      const sys = parseSyslog(line, Date.now());
      if (sys !== null && ROW.test(sys.message)) return parseDhcpSrvRow(sys.message, columns, sys.host, options);
      return skip('DhcpSrvLog preamble or other text, not a CSV row');
    };
  },
};
