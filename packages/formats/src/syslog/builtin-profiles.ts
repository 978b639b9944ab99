import type { SyslogProfile } from './profiles';

// Each expression is anchored at the start of the message and reads order-free key=value fields
// through lookaheads, so a line costs one pass per field however long it is. The test file
// syslog-profiles.test.ts runs every one of them over the recorded lines in shared/data.

/**
 * PAN-OS User-ID log (CSV): FUTURE_USE, Receive Time, Serial, Type=USERID, Subtype=login|logout,
 * FUTURE_USE, Generated Time, Virtual System, Source IP, User (`domain\user`, `user`, or a
 * computer `NAME$@REALM`), … Computer accounts become HOST_SEEN.
 */
const panosUserid: SyslogProfile = {
  name: 'panos-userid',
  match: String.raw`^[^,]*,[^,]*,[^,]*,USERID,`,
  pattern: String.raw`^(?:[^,]*,){3}USERID,(?<action>login|logout),(?:[^,]*,){3}(?<ip>[^,]*),(?<user>[^,]*),`,
  kind: 'USER_LOGON',
  kindBy: { group: 'action', map: { login: 'USER_LOGON', logout: 'USER_LOGOFF' } },
};

/**
 * PAN-OS GlobalProtect log (CSV), gateway events only: … Event ID (8), Stage, Auth Method, Tunnel
 * Type, Source User (12), Source Region, Machine Name (14), Public IP, Public IPv6, Private IP
 * (17), Private IPv6 (18), … The user is at the *private* (tunnel) address; the public one is
 * the home router. Private IPv4 is taken unless it is empty or 0.0.0.0 and Private IPv6 is set.
 * Portal events and failed steps carry no tunnel address and are not matched.
 */
const panosGlobalProtect: SyslogProfile = {
  name: 'panos-globalprotect',
  match: String.raw`^[^,]*,[^,]*,[^,]*,GLOBALPROTECT,`,
  pattern:
    String.raw`^(?:[^,]*,){3}GLOBALPROTECT,(?:[^,]*,){4}(?<event>gateway-[a-z0-9-]+),(?:[^,]*,){3}(?<user>[^,]*),[^,]*,(?<host>[^,]*),` +
    String.raw`[^,]*,[^,]*,(?:(?:0\.0\.0\.0)?,(?=[^,]))?(?<ip>[^,]*)(?!.*,failure,)`,
  kind: 'USER_ACTIVITY',
  kindBy: {
    group: 'event',
    // config-release is "remove ip-user mapping or remove tunnel" (PAN-OS event descriptions).
    map: {
      'gateway-connected': 'USER_LOGON',
      'gateway-logout': 'USER_LOGOFF',
      'gateway-config-release': 'USER_LOGOFF',
    },
  },
};

/** Cisco ISE `CISE_RADIUS_Accounting` lines: comma-separated `Attribute=value` pairs. */
const ciscoIseAccounting: SyslogProfile = {
  name: 'cisco-ise-accounting',
  match: String.raw`(?:^|\s)CISE_RADIUS_Accounting\s`,
  pattern:
    String.raw`^(?=.*?[\s,]User-Name=(?<user>[^,]+))(?=.*?[\s,]Framed-IP-Address=(?<ip>[^,\s]+))` +
    String.raw`(?=(?:.*?[\s,]Calling-Station-ID=(?<mac>[^,\s]+))?)(?=.*?[\s,]Acct-Status-Type=(?<status>[^,\s]+))`,
  kind: 'USER_ACTIVITY',
  kindBy: { group: 'status', map: { Start: 'USER_LOGON', 'Interim-Update': 'USER_ACTIVITY', Stop: 'USER_LOGOFF' } },
};

/**
 * FortiGate key=value event logs: FSSO-logon/-logoff and auth-logon/-logout at `srcip`, SSL-VPN
 * tunnel-up/-down at `tunnelip` (not `remip`, the client's internet address). `eventtime` (ns)
 * dates the event. FSSO lines restate user and address in `msg`; a line whose msg disagrees
 * with its fields contradicts itself and is not matched. Traffic logs are left out: their user
 * came from this FSSO system in the first place, and feeding it back would keep stale entries
 * alive.
 */
const fortigate: SyslogProfile = {
  name: 'fortigate',
  match: String.raw`(?:^|\s)action="?(?:FSSO-logon|FSSO-logoff|auth-logon|auth-logout|tunnel-up|tunnel-down)\b`,
  pattern:
    String.raw`^(?=.*?(?:^|\s)action="?(?<action>[\w-]+))(?=.*?(?:^|\s)user="(?<user>[^"]*)")` +
    String.raw`(?=(?:.*?(?:^|\s)eventtime=(?<epoch>\d{9,19})\b)?)` +
    String.raw`(?=(?:.*?\stunnelip=|(?!.*?\stunnelip=).*?(?:^|\s)srcip=)"?(?<ip>[0-9A-Fa-f.:]+))` +
    String.raw`(?!.*?\smsg="[^"]*\buser (?!\k<user> logged o(?:n|ff) \k<ip>")\S+ logged o(?:n|ff) )`,
  kind: 'USER_ACTIVITY',
  kindBy: {
    group: 'action',
    map: {
      'FSSO-logon': 'USER_LOGON',
      'FSSO-logoff': 'USER_LOGOFF',
      'auth-logon': 'USER_LOGON',
      'auth-logout': 'USER_LOGOFF',
      'tunnel-up': 'USER_LOGON',
      'tunnel-down': 'USER_LOGOFF',
    },
  },
};

/** The profiles a syslog source uses unless configured otherwise; first match wins. */
export const BUILTIN_PROFILES: readonly SyslogProfile[] = [
  panosUserid,
  panosGlobalProtect,
  ciscoIseAccounting,
  fortigate,
];
