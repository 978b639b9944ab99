import type { KnownEventKind } from './types';

/**
 * One normalised piece of logon evidence, before the spool gives it a sequence number.
 * Field names are those of `fsso.v1.Event` in camelCase; `fsso-dc-agent parse` prints exactly this.
 */
export interface NormalisedEvent {
  kind: KnownEventKind;
  /** Lower-case account name without domain; for HOST_* the host name without `$`. '' if none. */
  user: string;
  /** Upper-case domain (NetBIOS or DNS form as the source gave it); '' if none. */
  domain: string;
  /** Canonical address (see normaliseIp); '' if the record names none (e.g. 4634 logoff). */
  ip: string;
  /** Upper-case NetBIOS workstation name; '' if none. */
  workstation: string;
  /** Lower-case colon-separated MAC; '' if none. */
  mac: string;
  /** When it happened, Unix epoch milliseconds, from the record (not the time it was read). */
  eventTimeMs: number;
  /** Which reader: 'windows-security', 'samba-audit', 'dhcp', 'syslog'. */
  source: string;
  /** The source's own id: Windows event id ('4624'), Samba eventId, DHCP code. */
  sourceEventId: string;
  /** Windows logon type; 0 when unknown. */
  logonType: number;
  /** The DC or server that recorded it (e.g. the Windows `Computer`), '' if unknown. */
  reporter: string;
}
