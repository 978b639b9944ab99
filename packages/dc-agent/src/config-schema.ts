import type { ConfigSection } from '@fsso/common';

/*
 * The agent config's keys and defaults in one place: config.ts takes its known keys and defaults
 * from here, and docs/config.md is rendered from it (`npm run docs:config`).
 */
export const AGENT_TOP: ConfigSection = {
  path: '',
  title: 'Top level',
  keys: [
    {
      key: 'agentId',
      type: 'string',
      doc: "Stable id the collectors know this agent by; must be its certificate's. Default: the certificate's agent id (plaintext: the host name).",
    },
    {
      key: 'domains',
      type: 'list of domain names',
      doc: 'Domains this agent reports for; the certificate must cover them. Default: none.',
    },
    {
      key: 'dataDir',
      type: 'path',
      doc: 'Folder for the spool, relative to the config file; created 0700. Default: `$FSSO_DATA_DIR` (an installed service sets it to its state directory), else `data` beside the config. An explicit value wins.',
    },
    { key: 'spool', type: 'path', doc: "The spool's SQLite file. Default: `<dataDir>/spool.db`." },
    {
      key: 'spoolMaxBytes',
      type: 'size ("512MB", "2GB")',
      default: '512MB',
      doc: 'Bytes of events the spool may hold.',
    },
    {
      key: 'spoolWhenFull',
      type: '"block" or "drop-oldest"',
      default: 'block',
      doc: 'When the spool is full: the sources wait, or the oldest events are dropped.',
    },
    {
      key: 'collectors',
      type: 'list of {"name", "address", "tls", "insecure"}',
      doc: 'Where to deliver (at least one); each keeps its own cursor into the spool.',
    },
    {
      key: 'tls',
      type: '{"ca", "cert", "key", "pins"}',
      doc: "Default mutual TLS for every collector; checked at start (a key in place of the certificate, a key that is not the certificate's, a missing clientAuth EKU stop it).",
    },
    {
      key: 'insecure',
      type: 'boolean',
      default: false,
      doc: 'Plaintext gRPC to every collector (labs only; warned about).',
    },
    {
      key: 'sources',
      type: 'list',
      doc: 'What to read (at least one): a file or stdin through a format, the live Windows Security log, or a syslog listener.',
    },
    {
      key: 'filters',
      type: '{"ignoreUsers", "ignoreNetworks", "logonTypes", "coalesceWindow", "selfTraffic"}',
      doc: 'What is not evidence of a person at an address (selfTraffic: "drop", the default, or "keep" for logons from the server\'s own address), and how bursts are folded (never when anything about the user, machine or address changed in between).',
    },
    { key: 'batchSize', type: 'whole number 1–10000', default: 500, doc: 'Events per batch.' },
    { key: 'maxInFlight', type: 'whole number 1–64', default: 8, doc: 'Unacknowledged batches per collector.' },
    {
      key: 'ackTimeout',
      type: 'duration',
      default: '30s',
      doc: 'With batches in flight and no acknowledgement for this long, reconnect (a frozen collector is noticed by this).',
    },
    {
      key: 'log',
      type: '{"level", "format", "file"}',
      doc: 'level: error, warn, info (default) or debug; format: "json" or "pretty"; file: a path (created 0600).',
    },
    {
      key: 'metrics',
      type: '{"listen"}',
      doc: 'Prometheus endpoint (`GET /metrics`, plain HTTP); off unless given; `{}` listens on 127.0.0.1:9465.',
    },
  ],
};

export const AGENT_SCHEMA: readonly ConfigSection[] = [AGENT_TOP];
