import type { ConfigSection } from '@fsso/common';
import { DEFAULT_LIMITS } from './limits-config';
import { COLLECTOR_NTLM } from './ntlm/config';

/*
 * The collector config's keys, defaults and checks in one place: config.ts takes its known keys
 * and defaults from here, and docs/config.md is rendered from it (`npm run docs:config`).
 */

export const COLLECTOR_TOP: ConfigSection = {
  path: '',
  title: 'Top level',
  keys: [
    {
      key: 'listen',
      type: '"host:port"',
      default: '127.0.0.1:7450',
      doc: 'Address the gRPC server binds (agents, firewalls and operators). Port 0 picks a free port. `--listen` overrides it.',
    },
    {
      key: 'dataDir',
      type: 'path',
      default: 'data',
      doc: 'Folder for the SQLite database, relative to the config file; created 0700. A file in its place, a folder that cannot be created or written, or a database that is not SQLite stop the start with the fix.',
    },
    { key: 'database', type: 'path', doc: 'The SQLite file itself. Default: `<dataDir>/collector.db`.' },
    {
      key: 'deadEntryTimeout',
      type: 'duration',
      default: '8h',
      doc: 'An address with no evidence for this long is removed. At least "1s".',
    },
    {
      key: 'sweepInterval',
      type: 'duration',
      doc: 'How often expired entries are swept. Default: "30s", or a tenth of deadEntryTimeout if smaller (at least 250 ms).',
    },
    {
      key: 'syncHistory',
      type: 'whole number 100–100000000',
      default: 100_000,
      doc: 'How many revisions back a reconnecting firewall gets a delta (each changed address once, in its current state) instead of a snapshot.',
    },
    {
      key: 'eventRetention',
      type: 'duration',
      default: '7d',
      doc: 'How long received events are kept in the event log (one row per agent batch; the view `events` has one row per event).',
    },
    {
      key: 'agentRetention',
      type: 'duration',
      default: '30d',
      doc: 'An agent record not connected and not heard from for this long is removed. At least "1s".',
    },
    {
      key: 'durability',
      type: '"full" or "normal"',
      default: 'full',
      doc: '"full": fsync at every batch commit (survives power loss); "normal": survives a crash of the collector, not of the machine.',
    },
    { key: 'identity', type: 'object', doc: "The identity rules' settings (below)." },
    {
      key: 'directories',
      type: 'list',
      doc: 'LDAP directories to resolve groups from, one per domain (README, "Groups from LDAP").',
    },
    { key: 'groups', type: '{"ttl", "filter"}', doc: 'Group cache TTL and the groups firewalls care about.' },
    {
      key: 'domains',
      type: 'object',
      doc: 'NetBIOS name → DNS name(s) of one domain, beyond what `directories` says.',
    },
    {
      key: 'agents',
      type: 'list of {"id", "networks"}',
      doc: 'Per agent certificate identity, the networks where its DHCP evidence may end or move any entry.',
    },
    { key: 'limits', type: 'object', doc: 'Limits against hostile or broken senders (below).' },
    {
      key: 'tls',
      type: '{"ca", "cert", "key", "pins"}',
      doc: 'Mutual TLS. Checked at start and at every reload: readable, not writable by others, a certificate (a key in its place: "swapped?"), its key, serverAuth, not expired.',
    },
    {
      key: 'insecure',
      type: 'boolean',
      default: false,
      doc: 'Plaintext gRPC, for labs; warned about. Together with `tls` a configuration error.',
    },
    {
      key: 'log',
      type: '{"level", "format", "file"}',
      doc: 'level: error, warn, info (default) or debug; format: "json" or "pretty"; file: a path (created 0600). `--log-level` beats `FSSO_LOG_LEVEL`, which beats `log.level`.',
    },
    {
      key: 'metrics',
      type: '{"listen"}',
      doc: 'Prometheus endpoint (`GET /metrics`, plain HTTP); off unless given; `{}` listens on 127.0.0.1:9464. A non-loopback address is warned about; a taken port stops the start.',
    },
    {
      key: 'ntlm',
      type: 'object',
      doc: 'Proxy authentication (NTLM, Negotiate) for `fsso-fw proxy` through `ntlm_auth` (below); off unless `ntlm.enabled`.',
    },
  ],
};

export const COLLECTOR_IDENTITY: ConfigSection = {
  path: 'identity',
  title: 'identity',
  keys: [
    {
      key: 'identity.workstationUserTtl',
      type: 'duration',
      default: '24h',
      doc: "How long a workstation's last user may be brought back by its machine alone (sleep, roaming).",
    },
    {
      key: 'identity.sharedWindow',
      type: 'duration',
      default: '10m',
      doc: 'Distinct users at one address within this window make it shared.',
    },
    {
      key: 'identity.sharedThreshold',
      type: 'whole number 2–1000',
      default: 3,
      doc: 'How many distinct users make an address shared.',
    },
    {
      key: 'identity.sharedAddresses',
      type: 'list of addresses or networks',
      doc: 'Always shared (terminal servers, NAT). Default: none.',
    },
    {
      key: 'identity.historyRetention',
      type: 'duration',
      default: '90d',
      doc: 'How long the history of who had each address is kept.',
    },
    {
      key: 'identity.onDemand',
      type: '{"networks", "timeout", "dnsServers"}',
      doc: 'Resolve unknown addresses when a firewall asks; off unless `networks` is set. timeout default "500ms".',
    },
    {
      key: 'identity.verify',
      type: '{"networks", "interval", "failures", "tcpPorts", "timeout", "dnsServers"}',
      doc: 'Active verification of entries; off unless `networks` is set. Defaults: interval "1m", failures 3, tcpPorts [445, 135, 3389], timeout "1s".',
    },
  ],
};

/** What each limit means; the defaults come from DEFAULT_LIMITS, the one source the validator uses. */
const LIMIT_DOCS: Record<string, [string, string]> = {
  maxMessageBytes: ['whole number 1024–268435456', 'Largest gRPC message.'],
  maxBatchEvents: ['whole number 1–1000000', 'Events per batch: a larger batch is refused whole.'],
  maxEventsPerSecond: [
    'whole number',
    'Per agent certificate identity (token bucket; reconnecting does not refill it).',
  ],
  maxStreams: ['whole number', 'Open long-lived streams of all kinds (agent Report, Sync, health Watch).'],
  reservedAgentStreams: [
    'whole number < maxStreams',
    'Of maxStreams, only agent Report streams may use these. Default 200, at most a fifth of maxStreams.',
  ],
  streamsPerCertificate: [
    '{"report", "sync", "watch", "auth"}',
    'Open streams of each kind per client certificate (`auth`: NTLM/Negotiate exchanges in progress of one proxy).',
  ],
  maxSyncBufferBytes: ['bytes', 'Bytes queued for one Sync client that does not read.'],
  maxSyncBufferTotalBytes: ['bytes ≥ maxSyncBufferBytes', 'The same for all Sync streams together.'],
  handshakeTimeout: ['duration ≥ 100 ms', 'A connection that has not finished its TLS handshake by then is closed.'],
  maxPendingHandshakesPerSource: ['whole number', 'Connections from one address still in their handshake.'],
  maxPendingHandshakes: ['whole number', 'The same from all addresses together.'],
  idleTimeout: ['duration ≥ 1 s', 'An authenticated connection without any call for this long is closed.'],
  maxEntriesPerDomain: ['whole number', 'Live entries one domain may hold.'],
  ldapConcurrency: ['whole number 1–256', 'LDAP group look-ups running at once.'],
  ldapQueue: ['whole number', 'LDAP look-ups waiting; more are dropped (and counted).'],
  onDemandConcurrency: ['whole number 1–10000', 'On-demand resolutions running at once.'],
  negativeCacheTtl: ['duration', 'How long a failed LDAP look-up or an on-demand miss is remembered.'],
};

const DURATION_DEFAULTS: Record<string, string> = {
  handshakeTimeout: '5s',
  idleTimeout: '10m',
  negativeCacheTtl: '10s',
};

export const COLLECTOR_LIMITS: ConfigSection = {
  path: 'limits',
  title: 'limits',
  keys: Object.entries(LIMIT_DOCS).map(([k, [type, doc]]) => {
    const v = (DEFAULT_LIMITS as unknown as Record<string, unknown>)[k];
    // An object default reads better in the sentence than as an escaped JSON string.
    if (typeof v === 'object') return { key: `limits.${k}`, type, doc: `${doc} Default: \`${JSON.stringify(v)}\`.` };
    const def = DURATION_DEFAULTS[k] ?? (k === 'reservedAgentStreams' ? undefined : (v as number));
    return { key: `limits.${k}`, type, default: def, doc };
  }),
};

export const COLLECTOR_SCHEMA: readonly ConfigSection[] = [
  COLLECTOR_TOP,
  COLLECTOR_IDENTITY,
  COLLECTOR_LIMITS,
  COLLECTOR_NTLM,
];
