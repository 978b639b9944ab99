import { CONNECTION_HELP, VERSION, type CommandHelp } from '@fsso/common';

const C = CONNECTION_HELP;

/** Every fssoctl command: its usage, what it does, an example; `fssoctl COMMAND --help` prints one. */
export const CTL_COMMANDS: Readonly<Record<string, CommandHelp>> = {
  logons: {
    usage: 'logons [--user U] [--domain D] [--network CIDR] [--limit N] [--json]',
    args: 1,
    more: C,
    about:
      "The table: who is at which address. --user takes 'dave', 'CORP\\dave' or 'dave@corp.example'; --domain\ntakes the NetBIOS or the DNS name of a domain (as the collector's \"domains\" config pairs them).",
    examples: [
      'fssoctl logons --network 10.1.0.0/16',
      "fssoctl logons --user 'CORP\\dave'",
      'fssoctl logons --domain corp.example --json',
    ],
  },
  who: {
    usage: 'who IP [--at TIME] [--json]',
    args: 2,
    more: C,
    about: 'Who is at IP now, or had it at TIME (ISO time, "2026-11-23 09:14" local, or "2h ago"). Exit 3 if nobody.',
    examples: ['fssoctl who 10.1.2.3', 'fssoctl who 10.1.2.3 --at "2h ago"'],
  },
  user: {
    usage: 'user NAME [--hours N] [--json]',
    args: 2,
    more: C,
    about:
      "Every address of one user now, and where they were in the last N hours (default 24) from the history.\nNAME: 'dave', 'CORP\\dave' or 'dave@corp.example'. Exit 3 if the user is nowhere.",
    examples: ["fssoctl user 'CORP\\dave'", 'fssoctl user dave@corp.example --hours 72 --json'],
  },
  explain: {
    usage: 'explain IP [--json]',
    args: 2,
    more: C,
    about:
      'Why IP is mapped to its user: the claims and the chain of evidence, oldest first. Exit 3 if nobody is there.',
    examples: ['fssoctl explain 10.1.2.3'],
  },
  logoff: {
    usage: 'logoff IP [--json]',
    args: 2,
    more: C,
    about: 'Force a logoff: remove the entry for IP (firewalls hear of it at once). Exit 3 if nobody was there.',
    examples: ['fssoctl logoff 10.1.2.3'],
  },
  agents: {
    usage: 'agents [--prune [--older-than DURATION] [--dry-run]] [--json]',
    args: 1,
    more: C,
    about:
      "DC agents: connected, last event, acknowledged sequence, backlog. --prune removes the records of agents\nnot connected and not heard from for --older-than (default: the collector's agentRetention); --dry-run\nonly lists them.",
    examples: ['fssoctl agents', 'fssoctl agents --prune --older-than 7d --dry-run'],
  },
  stats: {
    usage: 'stats [--json]',
    args: 1,
    more: C,
    about:
      'Every counter of the collector, in words: table size and revision, events accepted, rejected and\nduplicate, expiries, authority refusals, streams, subscribers, and each limit that refused something.',
    examples: ['fssoctl stats', 'fssoctl stats --json | jq .limitHits'],
  },
  'pki init': {
    usage: 'pki init [--dir pki] [--name NAME] [--days 3650] [--force] [--json]',
    args: 2,
    about:
      'A private CA (ca.pem, ca.key) in a folder of mode 0700. Refuses to overwrite an existing CA without --force.',
    examples: ['fssoctl pki init --dir pki'],
  },
  'pki issue': {
    usage:
      'pki issue --role agent|firewall|admin|collector|proxy --name HOST [--domain D]... [--ip IP]... [--dns NAME]...\n                  [--agent-id ID] [--days N] [--force] [--dir pki] [--json]',
    args: 2,
    about:
      'A certificate and key for one role, from the CA in --dir. N: 1-825 days (default 365; collector 825).\nAn agent certificate names the domains it may report for (--domain, repeatable). Refuses to overwrite without --force.',
    examples: [
      'fssoctl pki issue --dir pki --role agent --name dc1.corp.example --domain CORP',
      'fssoctl pki issue --dir pki --role collector --name collector.corp.example --ip 10.0.0.5',
    ],
  },
  'pki show': {
    usage: 'pki show FILE [--json]',
    args: 3,
    about: 'Subject, SANs, EKUs, validity, role, domains and thumbprint of a certificate file.',
    examples: ['fssoctl pki show pki/dc1.pem'],
  },
  'tls check': {
    usage: 'tls check HOST:PORT [--ca F] [--cert F --key F] [--json]',
    args: 3,
    about:
      "The chain a server sends, and whether it verifies against the CA file and is a collector's certificate.\n--ca/--cert/--key default to FSSO_CA/FSSO_CERT/FSSO_KEY. Exit 0 when it verifies, 1 when not, 4 when no handshake.",
    examples: [
      'fssoctl tls check collector.corp.example:7450 --ca pki/ca.pem',
      'FSSO_CA=pki/ca.pem FSSO_CERT=pki/ops.pem FSSO_KEY=pki/ops.key fssoctl tls check 127.0.0.1:7450',
    ],
  },
};

export const CTL_HELP = `fssoctl ${VERSION}: inspect and correct the collector's IP -> user table.

Usage:
  fssoctl logons [--user U] [--domain D] [--network CIDR] [--limit N] [--json]
  fssoctl who IP [--at TIME] [--json]
                                   who is at IP, or had it at TIME (ISO time or "2h ago"; exit 3 if nobody)
  fssoctl user NAME [--hours N] [--json]
                                   every address of a user now, and where they were in the last N hours
  fssoctl explain IP [--json]      why IP is mapped to its user: the chain of evidence
  fssoctl logoff IP [--json]       force a logoff: remove the entry for IP
  fssoctl agents [--prune [--older-than D] [--dry-run]] [--json]
                                   DC agents: connected, last event, acked sequence, backlog
  fssoctl stats [--json]           every counter, in words
  fssoctl pki init [--dir pki] [--name NAME] [--days 3650] [--force]
                                                   a private CA (ca.pem, ca.key; folder 0700)
  fssoctl pki issue --role agent|firewall|admin|collector|proxy --name HOST [--domain D]...
                    [--ip IP]... [--dns NAME]... [--agent-id ID] [--days N] [--force] [--dir pki]
                                                   a certificate and key for a role (N: 1-825,
                                                   default 365; collector 825)
  fssoctl pki show FILE [--json]                   subject, SANs, EKUs, validity, role, thumbprint
  fssoctl tls check HOST:PORT [--ca F] [--cert F --key F] [--json]
                                                   the chain a server sends and why it does or does not verify

'fssoctl COMMAND --help' shows one command with examples; --version prints the version.

${CONNECTION_HELP}

Examples:
  export FSSO_COLLECTOR=collector.corp.example:7450 FSSO_CA=pki/ca.pem FSSO_CERT=pki/ops.pem FSSO_KEY=pki/ops.key
  fssoctl logons --network 10.1.0.0/16
  fssoctl who 10.1.2.3 --at "2h ago"
  fssoctl pki issue --dir pki --role agent --name dc1.corp.example --domain CORP
`;
