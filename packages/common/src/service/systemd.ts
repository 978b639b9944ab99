import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/*
 * A small systemd unit builder and the install steps around it, shared by the services we ship
 * (the collector now; the agent's installer can move onto it). `--dry-run` prints the steps, so
 * an operator sees every file and command before anything changes.
 */

/** One step of an install: a file written, a command run or a file removed. */
export type ServiceStep =
  | { kind: 'write'; path: string; content: string; mode?: number }
  | { kind: 'run'; command: string; args: string[]; unless?: { command: string; args: string[] } }
  | { kind: 'remove'; path: string };

export interface HardenedUnit {
  description: string;
  /** argv of the service; each element quoted as systemd needs. */
  exec: string[];
  /** The account it runs as (with its own group), or 'dynamic' for DynamicUser=yes. */
  user: string | 'dynamic';
  /** Under /var/lib: systemd creates it, owned by the user, 0700. */
  stateDirectory: string;
  /** Writable paths beyond the state directory (ProtectSystem=strict makes the rest read-only). */
  readWritePaths?: string[];
  /** A port below 1024 needs CAP_NET_BIND_SERVICE; nothing else does. */
  bindsPrivilegedPort?: boolean;
  after?: string[];
  /** Seconds systemd waits after SIGTERM; the service bounds its own shutdown below it. @default 15 */
  stopTimeoutSec?: number;
}

/** Quotes one ExecStart= word the way systemd unquotes it. */
export function systemdQuote(s: string): string {
  return /[\s"'\\;$%]/.test(s)
    ? `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/%/g, '%%').replace(/\$/g, '$$$$')}"`
    : s;
}

/**
 * The unit: restart on failure, its own user, a state directory, a read-only system, no new
 * privileges, no capabilities unless a low port needs one, and the kernel knobs out of reach.
 * `MemoryDenyWriteExecute=` is left out on purpose: V8's JIT needs writable executable memory.
 */
export function hardenedUnit(u: HardenedUnit): string {
  const caps = u.bindsPrivilegedPort ? 'CAP_NET_BIND_SERVICE' : '';
  const lines = [
    '[Unit]',
    `Description=${u.description}`,
    `After=${['network-online.target', ...(u.after ?? [])].join(' ')}`,
    'Wants=network-online.target',
    '',
    '[Service]',
    'Type=simple',
    `ExecStart=${u.exec.map(systemdQuote).join(' ')}`,
    ...(u.user === 'dynamic' ? ['DynamicUser=yes'] : [`User=${u.user}`, `Group=${u.user}`]),
    `StateDirectory=${u.stateDirectory}`,
    'StateDirectoryMode=0700',
    'UMask=0077',
    'Restart=on-failure',
    'RestartSec=5',
    'KillSignal=SIGTERM',
    `TimeoutStopSec=${u.stopTimeoutSec ?? 15}`,
    'NoNewPrivileges=yes',
    'ProtectSystem=strict',
    'ProtectHome=read-only',
    ...(u.readWritePaths?.length ? [`ReadWritePaths=${u.readWritePaths.map(systemdQuote).join(' ')}`] : []),
    'PrivateTmp=yes',
    'PrivateDevices=yes',
    'ProtectKernelTunables=yes',
    'ProtectKernelModules=yes',
    'ProtectKernelLogs=yes',
    'ProtectControlGroups=yes',
    'ProtectClock=yes',
    'ProtectHostname=yes',
    'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX',
    'RestrictNamespaces=yes',
    'RestrictRealtime=yes',
    'RestrictSUIDSGID=yes',
    'LockPersonality=yes',
    'SystemCallArchitectures=native',
    `CapabilityBoundingSet=${caps}`,
    ...(caps ? [`AmbientCapabilities=${caps}`] : []),
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ];
  return lines.join('\n');
}

export function describeServiceStep(s: ServiceStep): string {
  switch (s.kind) {
    case 'write':
      return `write ${s.path}${s.mode ? ` (mode ${s.mode.toString(8)})` : ''}:\n${s.content.replace(/^(?=.)/gm, '    ')}`;
    case 'run':
      return `run   ${[s.command, ...s.args].map(systemdQuote).join(' ')}${s.unless ? `   (unless ${[s.unless.command, ...s.unless.args].join(' ')} succeeds)` : ''}`;
    case 'remove':
      return `remove ${s.path}`;
  }
}

export function executeServiceStep(s: ServiceStep): void {
  switch (s.kind) {
    case 'write':
      mkdirSync(dirname(s.path), { recursive: true });
      writeFileSync(s.path, s.content, s.mode === undefined ? undefined : { mode: s.mode });
      return;
    case 'run':
      if (s.unless) {
        try {
          execFileSync(s.unless.command, s.unless.args, { stdio: 'ignore' });
          return;
        } catch {
          // The condition failed: the step is needed.
        }
      }
      execFileSync(s.command, s.args, { stdio: 'inherit' });
      return;
    case 'remove':
      if (existsSync(s.path)) rmSync(s.path);
  }
}
