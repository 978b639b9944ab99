import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import {
  PrivilegeError,
  InstallError,
  DATA_DIR_ENV,
  executeServiceStep,
  systemdStateDirectory,
  windowsStateDirectory,
} from '@fsso/common';

export type Platform = 'linux' | 'windows';

export interface InstallOptions {
  platform: Platform;
  /** Absolute path of the agent's config file. */
  config: string;
  /** Service name. @default "fsso-dc-agent" */
  name: string;
  /** Node.js executable the service runs. */
  node: string;
  /** The agent's launcher script (bin/fsso-dc-agent.js). */
  script: string;
  /** Windows: path of the WinSW executable (the service wrapper that answers the SCM). */
  winsw?: string | undefined;
  /** Linux: where unit files live. @default "/etc/systemd/system" */
  unitDir?: string | undefined;
}

/** One step of an install: a file written or a command run. `--dry-run` prints them. */
export type Step =
  | { kind: 'write'; path: string; content: string; mode?: number }
  | { kind: 'run'; command: string; args: string[] }
  | { kind: 'remove'; path: string };

/** Where the installed service keeps its spool (unless the config names a dataDir or spool). */
export function serviceDataDir(o: Pick<InstallOptions, 'platform' | 'name'>): string {
  return o.platform === 'linux' ? systemdStateDirectory(o.name).dir : windowsStateDirectory(o.name);
}

/**
 * A systemd unit for a Linux (Samba) DC. Restart on failure; the spool makes restarts lossless.
 * Runs as root because Samba's audit log usually needs it. `ProtectSystem=full` makes /etc and
 * /usr read-only, so the spool goes to the state directory systemd creates (/var/lib/NAME), not
 * beside the config in /etc (issue 9, item 9: the agent crashed on mkdir there).
 */
export function systemdUnit(o: InstallOptions): string {
  const state = systemdStateDirectory(o.name);
  return `[Unit]
Description=FSSO DC agent (${o.name}): streams logon evidence to FSSO collectors
After=network-online.target samba-ad-dc.service
Wants=network-online.target

[Service]
Type=simple
ExecStart=${quote(o.node)} ${quote(o.script)} run --config ${quote(o.config)}
Restart=on-failure
RestartSec=5
KillSignal=SIGTERM
TimeoutStopSec=15
NoNewPrivileges=true
ProtectSystem=full
PrivateTmp=true
${state.lines.join('\n')}

[Install]
WantedBy=multi-user.target
`;
}

/**
 * The WinSW service definition. Plain node.exe cannot answer the Windows Service Control Manager
 * (`sc.exe create` with node alone fails with error 1053); WinSW is the maintained wrapper that
 * does, and node-windows uses it too.
 */
export function winswXml(o: InstallOptions): string {
  const esc = (s: string): string =>
    s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  return `<service>
  <id>${esc(o.name)}</id>
  <name>FSSO DC agent (${esc(o.name)})</name>
  <description>Streams domain controller logon evidence to FSSO collectors.</description>
  <executable>${esc(o.node)}</executable>
  <arguments>"${esc(o.script)}" run --config "${esc(o.config)}"</arguments>
  <env name="${DATA_DIR_ENV}" value="${esc(windowsStateDirectory(o.name))}"/>
  <startmode>Automatic</startmode>
  <delayedAutoStart>true</delayedAutoStart>
  <onfailure action="restart" delay="5 sec"/>
  <stoptimeout>15 sec</stoptimeout>
  <log mode="roll-by-size"><sizeThreshold>10240</sizeThreshold><keepFiles>8</keepFiles></log>
</service>
`;
}

function quote(s: string): string {
  return /[\s"]/.test(s) ? `"${s.replace(/"/g, '\\"')}"` : s;
}

/** Where WinSW expects its XML: beside the executable, with the same base name. */
function winswPaths(o: InstallOptions): { exe: string; xml: string } {
  if (!o.winsw)
    throw new InstallError(
      'on Windows, pass --winsw PATH to the WinSW executable (WinSW-x64.exe from the WinSW releases); it is the wrapper that lets the agent run as a service',
    );
  const exe = resolve(o.winsw);
  return { exe, xml: exe.replace(/\.exe$/i, '') + '.xml' };
}

export function installSteps(o: InstallOptions): Step[] {
  if (o.platform === 'linux') {
    const unit = join(o.unitDir ?? '/etc/systemd/system', `${o.name}.service`);
    return [
      { kind: 'write', path: unit, content: systemdUnit(o), mode: 0o644 },
      { kind: 'run', command: 'systemctl', args: ['daemon-reload'] },
      { kind: 'run', command: 'systemctl', args: ['enable', '--now', `${o.name}.service`] },
    ];
  }
  const { exe, xml } = winswPaths(o);
  return [
    { kind: 'write', path: xml, content: winswXml(o) },
    { kind: 'run', command: exe, args: ['install'] },
    { kind: 'run', command: exe, args: ['start'] },
  ];
}

export function uninstallSteps(o: InstallOptions): Step[] {
  if (o.platform === 'linux') {
    const unit = join(o.unitDir ?? '/etc/systemd/system', `${o.name}.service`);
    return [
      { kind: 'run', command: 'systemctl', args: ['disable', '--now', `${o.name}.service`] },
      { kind: 'remove', path: unit },
      { kind: 'run', command: 'systemctl', args: ['daemon-reload'] },
    ];
  }
  const { exe, xml } = winswPaths(o);
  return [
    { kind: 'run', command: exe, args: ['stop'] },
    { kind: 'run', command: exe, args: ['uninstall'] },
    { kind: 'remove', path: xml },
  ];
}

/** Installing writes system folders and registers services: root on Linux, Administrator on Windows. */
export function checkRights(platform: Platform): void {
  if (platform === 'linux') {
    if (typeof process.getuid === 'function' && process.getuid() !== 0) {
      throw new PrivilegeError(
        'installing a systemd service needs root (it writes /etc/systemd/system and runs systemctl); run it with sudo, or add --dry-run to see the steps',
        'root',
      );
    }
    return;
  }
  try {
    // `net session` only succeeds in an elevated shell: the usual administrator check.
    execFileSync('net', ['session'], { stdio: 'ignore' });
  } catch {
    throw new PrivilegeError(
      'registering a Windows service needs an elevated prompt; run it "as Administrator", or add --dry-run to see the steps',
      'admin',
    );
  }
}

export function describeStep(s: Step): string {
  switch (s.kind) {
    case 'write':
      return `write ${s.path}${s.mode ? ` (mode ${s.mode.toString(8)})` : ''}:\n${s.content.replace(/^/gm, '    ')}`;
    case 'run':
      return `run   ${[s.command, ...s.args].map(quote).join(' ')}`;
    case 'remove':
      return `remove ${s.path}`;
  }
}

/** Carries out one step: the same as the collector's installer (a write makes its folder; a remove of a missing file is a no-op). */
export function executeStep(s: Step): void {
  executeServiceStep(s);
}
