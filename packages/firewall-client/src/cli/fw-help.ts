import { CONNECTION_HELP, VERSION, type CommandHelp } from '@fsso/common';
import { ADAPTER_HELP } from './adapters';
import { PUSH_HELP } from './push';

/** `fsso-fw --help`: every command in one screen. */
export const HELP = `fsso-fw ${VERSION}: the firewall's view of who sits behind each IP address.

Usage:
  fsso-fw lookup IP [--ask] [--json]    who is at IP (exit 3 if nobody); --ask asks the collector
                                        itself, which may resolve an unknown address on demand
  fsso-fw table [--json]                the whole table as this firewall's replica holds it
  fsso-fw watch [--json]                print every change as it arrives (Ctrl-C to stop)
  fsso-fw check IP --group G [--group G2] [--user U] [--json]
                                        allow/deny by group or user (exit 0 allow, 1 deny)
  fsso-fw decide IP [--policy FILE] [--json]
                                        the policy's decision and the rule that made it
                                        (exit 0 allow, 1 deny)
  fsso-fw status [--watch] [--json]     collector in use, state, revision, entries, age, last switch
${ADAPTER_HELP}
${PUSH_HELP}
  fsso-fw proxy --config FILE           explicit web proxy: known addresses pass by the policy,
                                        unknown ones authenticate (NTLM/Negotiate) through the collector

Configuration:
  --config FILE        collectors (in priority order), tls, policy, grace, failMode [FSSO_CONFIG];
                       flags and FSSO_* variables override it (nft-sync and squid-helper read
                       their own config: collector, tls, domains, nft / squid)
  --policy FILE        the policy for decide [FSSO_POLICY]
  --grace DURATION     serve the last table this long with every collector down [FSSO_GRACE] (5m)
  --fail-mode MODE     then: closed (nobody known) or keep (the last table) [FSSO_FAIL_MODE]

Options:
  --timeout DURATION   how long to wait for the table (default 10s)

'fsso-fw COMMAND --help' shows one command with examples; --version prints the version.

${CONNECTION_HELP}

Examples:
  export FSSO_COLLECTOR=collector.corp.example:7450 FSSO_CA=pki/ca.pem FSSO_CERT=pki/fw1.pem FSSO_KEY=pki/fw1.key
  fsso-fw lookup 10.1.2.3
  fsso-fw check 10.1.2.3 --group 'CORP\\VPN-Users'
`;

const T = `Options:\n  --timeout DURATION   how long to wait for the table (default 10s)\n\n${CONNECTION_HELP}`;

/** Every command: `fsso-fw COMMAND --help` prints one, with examples. */
export const COMMANDS: Record<string, CommandHelp> = {
  lookup: {
    usage: 'lookup IP [--ask] [--json]',
    args: 2,
    more: T,
    about:
      "Who is at IP, from a freshly synced replica (exit 3 if nobody). --ask asks the collector's Lookup instead,\nwhich may resolve an unknown address on demand.",
    examples: ['fsso-fw lookup 10.1.2.3', 'fsso-fw lookup 10.1.2.3 --ask --json'],
  },
  table: {
    usage: 'table [--json]',
    args: 1,
    more: T,
    about: "The whole table as this firewall's replica holds it.",
    examples: ['fsso-fw table', 'fsso-fw table --json | jq length'],
  },
  watch: {
    usage: 'watch [--json]',
    args: 1,
    more: T,
    about:
      'Every change as it arrives, until Ctrl-C. A lost stream is said on stderr ("disconnected ...; reconnecting"),\nand so is its return ("back: live again after 3.2 s ...", or a "reconnected" JSON line with --json).',
    examples: ['fsso-fw watch', 'fsso-fw watch --json | jq -c .'],
  },
  decide: {
    usage: 'decide IP [--policy FILE] [--config FILE] [--json]',
    args: 2,
    more: T,
    about:
      'The policy\'s decision for IP: allow or deny, the rule that matched (index and name) and why (exit 0 allow, 1 deny).\nA policy is {"rules": [{"action": "allow", "groups": ["CORP\\\\VPN-Users"]}, ...], "default": "deny"}; first match wins.',
    examples: ['fsso-fw decide 10.1.2.3 --policy policy.json', 'fsso-fw decide 10.1.2.3 --config fw.json --json'],
  },
  status: {
    usage: 'status [--watch] [--config FILE] [--json]',
    args: 1,
    more: T,
    about:
      'The collector in use, state (LIVE, GRACE, CLOSED, KEEP), revision, entries, age of the table and the last switch.\n--watch prints it again at every switch and mode change until Ctrl-C.',
    examples: ['fsso-fw status --config fw.json', 'fsso-fw status --config fw.json --watch --json'],
  },
  check: {
    usage: 'check IP --group G [--group G2] [--user U] [--json]',
    args: 2,
    more: T,
    about: 'An allow/deny decision by group or user, as a firewall rule makes it (exit 0 allow, 1 deny).',
    examples: ["fsso-fw check 10.1.2.3 --group 'CORP\\VPN-Users'", 'fsso-fw check 10.1.2.3 --user alice --json'],
  },
  'nft-sync': {
    usage: 'nft-sync --config FILE [--cleanup]',
    args: 1,
    more: T,
    about:
      'Keeps nftables sets (in table inet fsso, its own) equal to the addresses whose identity matches each\nconfigured set; each change is one atomic nft transaction. --cleanup removes the table and exits.',
    examples: ['fsso-fw nft-sync --config /etc/fsso/fw.json', 'fsso-fw nft-sync --config /etc/fsso/fw.json --cleanup'],
  },
  push: {
    usage: 'push --config FILE',
    args: 1,
    more: T,
    about:
      'Keeps each target of the config\'s "push" section (fortigate-rsso, panos, checkpoint, webhook) equal to the\nreplica: a full resync at start and after every fresh table, then deltas, refreshed at half the target\'s timeout.',
    examples: ['fsso-fw push --config /etc/fsso/fw-push.json'],
  },
  'push status': {
    usage: 'push status --config FILE [--json]',
    args: 2,
    more: T,
    about:
      "Each target's delivery state, from the running push service's status file: connected, queue depth, last\nsuccess, last error (exit 0 all up, 1 one is not, 3 the service is not running).",
    examples: [
      'fsso-fw push status --config /etc/fsso/fw-push.json',
      'fsso-fw push status --config fw-push.json --json',
    ],
  },
  proxy: {
    usage: 'proxy --config FILE',
    args: 1,
    more: T,
    about:
      'An explicit HTTP proxy (plain HTTP and CONNECT) on proxy.listen. Addresses the table knows are decided by the\npolicy at once (403 outside it); unknown ones get 407 Proxy-Authenticate: Negotiate/NTLM, and their tokens are\nverified by the collector (ProxyAuthService; a certificate with role proxy), which records the user there.',
    examples: ['fsso-fw proxy --config /etc/fsso/proxy.json'],
  },
  'squid-helper': {
    usage: 'squid-helper --config FILE',
    args: 1,
    more: T,
    about:
      "squid's external_acl_type helper (with or without concurrency): each %SRC line gets\nOK user=DOMAIN%5Cuser tag=groups or ERR, from the replica.",
    examples: [
      'external_acl_type fsso ttl=30 negative_ttl=5 children-max=2 concurrency=100 %SRC /usr/bin/fsso-fw squid-helper --config /etc/fsso/fw.json',
    ],
  },
};
