import { isIP } from 'node:net';
import type { RecordResult } from '../model';
import type { ParseOptions } from '../format';
import { hexBytes, leaseResult, macFromClientId, macFromDuid, macOf, skip, type LeaseFacts } from './lease';

/**
 * Kea's memfile lease files `kea-leases4.csv` / `kea-leases6.csv`. Like dhcpd.leases they are
 * appended to on every change, so the rows read in order are each address's history. Kea only
 * ever appends columns, so the newest layouts below read the rows of older versions by position
 * when the header was not seen (a follower resuming mid-file); a header, when seen, wins.
 */
const V4_HEADER =
  'address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context,pool_id';
const V6_HEADER =
  'address,duid,valid_lifetime,expire,subnet_id,pref_lifetime,lease_type,iaid,prefix_len,fqdn_fwd,fqdn_rev,hostname,hwaddr,state,user_context,hwtype,hwaddr_source,pool_id';

/** Lease states (src/lib/dhcpsrv/lease.h). 3, "registered", is a v6 address the client made itself. */
const STATE_NAMES = ['default', 'declined', 'expired-reclaimed', 'registered'];

export type KeaColumns = ReadonlyMap<string, number>;

export function keaColumns(header: string): KeaColumns {
  return new Map(header.split(',').map((name, i): [string, number] => [name.trim().toLowerCase(), i]));
}

export const DEFAULT_V4_COLUMNS = keaColumns(V4_HEADER);
export const DEFAULT_V6_COLUMNS = keaColumns(V6_HEADER);

export function isKeaHeader(line: string): boolean {
  return /^\s*address,/.test(line);
}

/** Kea writes a comma inside a value (hostname, user_context) as `&#x2c`. */
function unescape(value: string): string {
  return value.replace(/&#x2c;?/gi, ',').trim();
}

export function isKeaLeaseRow(line: string): boolean {
  return line.includes(',') && isIP(line.slice(0, line.indexOf(',')).trim()) !== 0;
}

/** One lease row; `columns` is the layout for the row's address family. */
export function parseKeaLeaseRow(
  line: string,
  v4: KeaColumns,
  v6: KeaColumns,
  options: ParseOptions = {},
): RecordResult {
  const fields = line.split(',').map(unescape);
  const family = isIP(fields[0] ?? '');
  const cols = family === 6 ? v6 : v4;
  const get = (name: string): string => {
    const i = cols.get(name);
    return i === undefined ? '' : (fields[i] ?? '');
  };
  const lease = family === 6 ? 'lease6' : 'lease4';
  const valid = Number(get('valid_lifetime'));
  const expire = Number(get('expire'));
  // Versions before 0.9.2 had no state column; their leases were all assigned.
  const state = get('state') === '' ? 0 : Number(get('state'));
  if (get('valid_lifetime') === '' || !Number.isFinite(valid) || !Number.isFinite(expire) || !Number.isInteger(state)) {
    return skip(`malformed Kea ${lease} row`);
  }
  if (family === 6 && (get('lease_type') === '2' || (get('prefix_len') !== '' && get('prefix_len') !== '128'))) {
    return skip('Kea lease6 row is a delegated prefix, not a host address');
  }
  let kind: LeaseFacts['kind'];
  let code = `${lease}:${STATE_NAMES[state] ?? String(state)}`;
  let timeMs: number;
  if (valid === 0) {
    // A deleted lease (released without affinity, or removed by command) is written once more with
    // valid_lifetime 0; its expire is then the client's last transaction time.
    kind = 'HOST_RELEASED';
    code = `${lease}:deleted`;
    timeMs = expire * 1000;
  } else if (state === 0 || state === 3) {
    // expire = cltt + valid_lifetime: the grant happened at the client's last transaction.
    kind = 'HOST_ADDRESS';
    timeMs = (expire - valid) * 1000;
  } else if (state === 2) {
    // Reclaimed after it ran out: the address was free from `expire` on.
    kind = 'HOST_RELEASED';
    timeMs = expire * 1000;
  } else if (state === 1) {
    // Declined: the client found another host answering at the address; that host's logon stays.
    return skip(`Kea ${lease} declined: another host answers at this address`);
  } else {
    return skip(`Kea ${lease} state ${state} is not a grant or release`);
  }
  const mac =
    macOf(get('hwaddr')) ||
    (family === 6 ? macFromDuid(hexBytes(get('duid'))) : macFromClientId(hexBytes(get('client_id'))));
  return leaseResult(
    { kind, ip: fields[0] ?? '', mac, hostName: get('hostname'), timeMs, code, reporter: '' },
    options,
  );
}
