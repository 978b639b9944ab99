import { dirname, relative, isAbsolute } from 'node:path';
import { InstallError, hardenedUnit, type ServiceStep } from '@fsso/common';
import type { CollectorConfig } from '../config';

/** systemd's StateDirectory=: /var/lib/<this>, made and owned for the service user by systemd. */
export const STATE_DIRECTORY = 'fsso-collector';
export const STATE_PATH = `/var/lib/${STATE_DIRECTORY}`;

export interface CollectorInstallOptions {
  /** Absolute path of the collector's config file. */
  config: string;
  /** Service (and unit file) name. @default "fsso-collector" */
  name: string;
  /** The account the service runs as; created as a system user if missing. @default "fsso-collector" */
  user: string;
  node: string;
  /** bin/fsso-collector.js */
  script: string;
  /** @default "/etc/systemd/system" */
  unitDir: string;
}

const inside = (child: string, parent: string): boolean => {
  const r = relative(parent, child);
  return r === '' || (!r.startsWith('..') && !isAbsolute(r));
};

/** The port of "host:port", to know whether the unit needs CAP_NET_BIND_SERVICE. */
function portOf(listen: string): number {
  return Number(listen.slice(listen.lastIndexOf(':') + 1));
}

/** The unit for this config: paths it writes outside the state directory become ReadWritePaths=. */
export function collectorUnit(o: CollectorInstallOptions, cfg: CollectorConfig): string {
  const writable = new Set<string>();
  const dbDir = dirname(cfg.database);
  if (!inside(dbDir, STATE_PATH)) writable.add(dbDir);
  if (cfg.log.file) writable.add(dirname(cfg.log.file));
  return hardenedUnit({
    description: `FSSO collector (${o.name}): the IP -> user table for firewalls`,
    exec: [o.node, o.script, 'serve', '--config', o.config],
    user: o.user,
    stateDirectory: STATE_DIRECTORY,
    readWritePaths: [...writable],
    bindsPrivilegedPort: portOf(cfg.listen) > 0 && portOf(cfg.listen) < 1024,
    // Below TimeoutStopSec: the collector drains 3 s and bounds its whole shutdown at 10 s.
    stopTimeoutSec: 15,
  });
}

const USER_PATTERN = /^[a-z_][a-z0-9_-]{0,31}$/;

export function collectorInstallSteps(o: CollectorInstallOptions, cfg: CollectorConfig): ServiceStep[] {
  if (!USER_PATTERN.test(o.user))
    throw new InstallError(
      `--user ${JSON.stringify(o.user)} is not a system user name (lower-case letters, digits, '_' and '-', at most 32)`,
    );
  const unit = `${o.unitDir}/${o.name}.service`;
  return [
    {
      kind: 'run',
      command: 'useradd',
      args: [
        '--system',
        '--user-group',
        '--no-create-home',
        '--home-dir',
        STATE_PATH,
        '--shell',
        '/usr/sbin/nologin',
        o.user,
      ],
      unless: { command: 'getent', args: ['passwd', o.user] },
    },
    { kind: 'write', path: unit, content: collectorUnit(o, cfg), mode: 0o644 },
    { kind: 'run', command: 'systemctl', args: ['daemon-reload'] },
    { kind: 'run', command: 'systemctl', args: ['enable', '--now', `${o.name}.service`] },
  ];
}

/** Leaves the user and the state directory (the table) in place: uninstalling must not lose data. */
export function collectorUninstallSteps(o: Pick<CollectorInstallOptions, 'name' | 'unitDir'>): ServiceStep[] {
  return [
    { kind: 'run', command: 'systemctl', args: ['disable', '--now', `${o.name}.service`] },
    { kind: 'remove', path: `${o.unitDir}/${o.name}.service` },
    { kind: 'run', command: 'systemctl', args: ['daemon-reload'] },
  ];
}

/**
 * What the operator must still do by hand for the service user: files it reads (key, password
 * files) that it may not be able to read, and a database outside the state directory.
 */
export function installNotes(o: CollectorInstallOptions, cfg: CollectorConfig): string[] {
  const notes: string[] = [];
  const secrets = [cfg.tls?.key, ...cfg.directories.map((d) => d.passwordFile)].filter(
    (f): f is string => typeof f === 'string',
  );
  for (const f of secrets)
    notes.push(`the service runs as ${o.user}: it must read ${f}; run 'chown ${o.user}: ${f}' (keep mode 0600)`);
  if (!inside(dirname(cfg.database), STATE_PATH)) {
    notes.push(
      `the database ${cfg.database} is outside ${STATE_PATH} (the unit's StateDirectory); it is made writable (ReadWritePaths=), but its folder must belong to ${o.user} ('chown -R ${o.user}: ${dirname(cfg.database)}'), or set "dataDir": "${STATE_PATH}"`,
    );
  }
  return notes;
}
