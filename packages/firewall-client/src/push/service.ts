import { renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ensurePrivateDir, type DomainNames } from '@fsso/common';
import type { ClientStatus, FirewallClient, ModeEvent } from '../client';
import type { ReplicaChange } from '../replica';
import { CheckpointDriver } from './checkpoint';
import type { PushConfig, PushTargetConfig } from './config';
import { TargetDelivery, type DeliveryLog, type TargetStatus } from './delivery';
import { FilteredTable } from './desired';
import { PanosDriver } from './panos';
import { RssoDriver } from './rsso';
import type { PushDriver } from './types';
import { WebhookDriver } from './webhook';

/** What `fsso-fw push status` reads: the service's state, written every second. */
export interface PushStatus {
  pid: number;
  writtenMs: number;
  state: 'RUNNING' | 'STOPPED';
  client: ClientStatus;
  targets: TargetStatus[];
}

export function makeDriver(cfg: PushTargetConfig, clientName: string): PushDriver {
  switch (cfg.kind) {
    case 'fortigate-rsso':
      return new RssoDriver(cfg, clientName);
    case 'panos':
      return new PanosDriver(cfg);
    case 'checkpoint':
      return new CheckpointDriver(cfg);
    case 'webhook':
      return new WebhookDriver(cfg);
  }
}

/**
 * `fsso-fw push`: one firewall client (with failover) and a delivery per target. Every target
 * has its own queue, timers and connections, so a failing target never holds back the others
 * or the replica: a change costs each target one map update, whatever its state.
 */
export class PushService {
  readonly targets: TargetDelivery[];
  private statusTimer: NodeJS.Timeout | undefined;
  private state: PushStatus['state'] = 'RUNNING';

  constructor(
    private readonly client: FirewallClient,
    private readonly cfg: PushConfig,
    names: DomainNames,
    log: DeliveryLog,
    clientName = 'fsso',
  ) {
    this.targets = cfg.targets.map(
      (t) => new TargetDelivery(t, makeDriver(t, clientName), new FilteredTable(client, t, names), log),
    );
  }

  start(): void {
    for (const t of this.targets) t.start();
    this.client.on('change', (c: ReplicaChange) => {
      for (const t of this.targets) t.changed(c.ip);
    });
    // The served table was replaced whole (first table, switch, fresh snapshot, closed fail mode).
    this.client.on('snapshot', (e: { collector?: string }) => {
      for (const t of this.targets) t.resync(`table replaced (${e.collector ?? 'none'})`);
    });
    // Live again after a loss: changes may have been missed while nobody streamed to us.
    this.client.on('mode', (m: ModeEvent) => {
      if (m.to === 'LIVE' && m.from !== 'STARTING') for (const t of this.targets) t.resync('collector live again');
    });
    if (this.client.status().collector !== undefined) for (const t of this.targets) t.resync('start');
    this.writeStatus();
    this.statusTimer = setInterval(() => this.writeStatus(), 1000);
    this.statusTimer.unref();
  }

  stop(): void {
    clearInterval(this.statusTimer);
    for (const t of this.targets) t.stop();
    this.state = 'STOPPED';
    this.writeStatus();
  }

  status(): PushStatus {
    return {
      pid: process.pid,
      writtenMs: Date.now(),
      state: this.state,
      client: this.client.status(),
      targets: this.targets.map((t) => t.status()),
    };
  }

  /** Atomically (a temporary file renamed over it), 0600: it names the targets and their errors. */
  private writeStatus(): void {
    const file = this.cfg.statusFile;
    try {
      ensurePrivateDir(dirname(file));
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, `${JSON.stringify(this.status())}\n`, { mode: 0o600 });
      renameSync(tmp, file);
    } catch {
      // A full disk must not stop delivery; `push status` then reports the file as stale.
    }
  }
}
