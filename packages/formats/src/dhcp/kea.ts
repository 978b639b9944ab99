import type { RecordResult } from '../model';
import { LineSplitter, type ParseOptions, type SourceFormat } from '../format';
import { parseWindowsTime } from '../windows/time';
import {
  DEFAULT_V4_COLUMNS,
  DEFAULT_V6_COLUMNS,
  isKeaHeader,
  isKeaLeaseRow,
  keaColumns,
  parseKeaLeaseRow,
  type KeaColumns,
} from './kea-csv';
import { hexBytes, leaseResult, macFromClientId, macFromDuid, macOf, skip, type LeaseFacts } from './lease';
import { parseSyslog } from './syslog';

/**
 * `dhcp-kea`: ISC Kea, from either of the two places it records leases, told apart per line:
 *  - the memfile lease CSV (see kea-csv.ts), header line first;
 *  - kea-dhcp4/kea-dhcp6 log lines, from Kea's own log file or through syslog/journald:
 *      2025-08-13 14:23:38.856 INFO  [kea-dhcp4.leases/6455.1399...] DHCP4_LEASE_ALLOC
 *        [hwtype=1 08:00:27:4d:16:e9], cid=[01:08:...], tid=0x3f082956: lease 192.168.42.100 has
 *        been allocated for 7200 seconds
 *    Messages are named by id (dhcp4_messages.mes / dhcp6_messages.mes); the text after the
 *    client label is stable enough to take the address from.
 */

const LOG_EVENTS: ReadonlyMap<string, LeaseFacts['kind']> = new Map<string, LeaseFacts['kind']>([
  ['DHCP4_LEASE_ALLOC', 'HOST_ADDRESS'], // lease <ip> has been allocated [for N seconds]
  ['DHCP4_LEASE_REUSE', 'HOST_ADDRESS'], // lease <ip> has been reused for N seconds (lease caching)
  ['DHCP6_LEASE_ALLOC', 'HOST_ADDRESS'], // lease for address <ip> and iaid=N has been allocated ...
  ['DHCP6_LEASE_REUSE', 'HOST_ADDRESS'],
  ['DHCP4_RELEASE', 'HOST_RELEASED'], // address <ip> was released properly.
  ['DHCP4_RELEASE_EXPIRED', 'HOST_RELEASED'], // address <ip> was expired on release
  ['DHCP4_RELEASE_DELETED', 'HOST_RELEASED'], // address <ip> was deleted on release
  ['DHCP6_RELEASE_NA', 'HOST_RELEASED'], // binding for address <ip> and iaid=N was released properly
  ['DHCP6_RELEASE_NA_EXPIRED', 'HOST_RELEASED'],
  ['DHCP6_RELEASE_NA_DELETED', 'HOST_RELEASED'],
]);

const MESSAGE_ID = /\b(DHCP[46]_[A-Z0-9_]+)\b/;
/** The address follows `lease `, `lease for address ` or `address ` in every message above. */
const ADDRESS = /\b(?:lease (?:for address )?|address )([0-9A-Fa-f:.]+)/;
/** Kea's own timestamp (local time, no zone; taken as UTC like the other zone-less sources). */
const KEA_TIME = /(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d+)?)\s+(?:DEBUG|INFO|WARN|ERROR|FATAL)\b/;

function bracketed(text: string, name: string): string {
  return new RegExp(`${name}=\\[([^\\]]*)\\]`).exec(text)?.[1] ?? '';
}

/** One kea-dhcp4/6 log line; `nowMs` decides the year of a BSD syslog timestamp. */
export function parseKeaLogLine(line: string, nowMs: number, options: ParseOptions = {}): RecordResult {
  const id = MESSAGE_ID.exec(line)?.[1] ?? '';
  const kind = LOG_EVENTS.get(id);
  if (kind === undefined) {
    if (id.endsWith('_LEASE_ADVERT')) return skip(`${id} is an offer, not a lease`);
    return skip(`${id} is not a lease grant or release`);
  }
  const args = line.slice(line.indexOf(id) + id.length);
  const sys = parseSyslog(line, nowMs);
  const own = KEA_TIME.exec(line);
  // Kea's own stamp has the year and milliseconds, the syslog header has neither reliably.
  const timeMs = own ? parseWindowsTime(`${own[1] ?? ''}T${own[2] ?? ''}`) : (sys?.timeMs ?? NaN);
  const mac =
    macOf(/\[hwtype=1 ([0-9a-fA-F:]+)\]/.exec(args)?.[1]) ||
    macFromDuid(hexBytes(bracketed(args, 'duid'))) ||
    macFromClientId(hexBytes(bracketed(args, 'cid')));
  const ip = ADDRESS.exec(args.slice(args.indexOf(': ') + 1))?.[1] ?? '';
  return leaseResult({ kind, ip, mac, hostName: '', timeMs, code: id, reporter: sys?.host ?? '' }, options);
}

export const dhcpKeaFormat: SourceFormat = {
  name: 'dhcp-kea',
  description: 'ISC Kea memfile lease CSV (kea-leases4/6.csv) and kea-dhcp4/6 log lines (DHCP4_LEASE_ALLOC ...)',
  createSplitter: () => new LineSplitter(),
  createParser(options: ParseOptions = {}) {
    // Per stream: a header line fixes the column order of the rows after it.
    let v4: KeaColumns = DEFAULT_V4_COLUMNS;
    let v6: KeaColumns = DEFAULT_V6_COLUMNS;
    return (line: string): RecordResult => {
      if (isKeaHeader(line)) {
        const cols = keaColumns(line);
        if (cols.has('duid')) v6 = cols;
        else v4 = cols;
        return skip('Kea lease file header');
      }
      if (MESSAGE_ID.test(line)) return parseKeaLogLine(line, Date.now(), options);
      if (isKeaLeaseRow(line)) return parseKeaLeaseRow(line, v4, v6, options);
      return skip('not a Kea lease row or lease message');
    };
  },
};
