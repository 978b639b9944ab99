export { dhcpWindowsFormat, parseDhcpSrvRow } from './windows';
export { dhcpIscFormat, parseDhcpdLine } from './isc';
export { dhcpIscLeasesFormat, parseLeaseStatement, decodeDhcpdString, leaseTime } from './isc-leases';
export { LeaseBlockSplitter } from './isc-leases-splitter';
export { dhcpKeaFormat, parseKeaLogLine } from './kea';
export { parseKeaLeaseRow } from './kea-csv';
export { hostIdentity, macFromClientId, macFromDuid } from './lease';
export { parseSyslog, syslogTime } from './syslog';
