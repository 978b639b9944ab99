import { EventEmitter } from 'node:events';
import type * as grpc from '@grpc/grpc-js';
import { ConfigError, normaliseIp, type Logger } from '@fsso/common';
import type { IdentityView } from './identity-view';
import { IdentityReplica, type ReplicaChange } from './replica';
import type { CompiledPolicy, PolicyDecision } from './policy';

/** One collector the client may sync from; the list order is the priority order. */
export interface CollectorTarget {
  address: string;
  /** Build them with `channelCredentials` from @fsso/common (it accepts only a collector). */
  credentials: grpc.ChannelCredentials;
  /** Shown in logs and status. @default the address */
  name?: string;
}

export interface FirewallClientOptions {
  /** In priority order: the client syncs from the first one that is live. At least one. */
  collectors: readonly CollectorTarget[];
  /** How long the last table is served when every collector is down. @default 300_000 (5 min) */
  graceMs?: number;
  /** After the grace: "closed" (nobody is known: identity rules deny) or "keep" (the last table). @default "closed" */
  failMode?: FailMode;
  /** The policy `decide(ip)` applies. */
  policy?: CompiledPolicy;
  /** Names this firewall in the collectors' logs. @default "fsso-fw" */
  clientName?: string;
  /** Passed to each replica (see ReplicaOptions). @default 45_000 */
  silenceTimeoutMs?: number;
  /** Switches and mode changes are logged here (warn; the return to LIVE at info). */
  log?: Logger;
}

export type FailMode = 'closed' | 'keep';

/**
 * STARTING: no table yet; LIVE: a collector streams to us; GRACE: all are down, the last table is
 * served; CLOSED: grace is over, nobody is known; KEEP: grace is over, the last table is served;
 * STOPPED: `stop()` was called.
 */
export type ClientMode = 'STARTING' | 'LIVE' | 'GRACE' | 'CLOSED' | 'KEEP' | 'STOPPED';

export interface SwitchEvent {
  from: string | undefined;
  to: string;
  reason: string;
  atMs: number;
}

export interface ModeEvent {
  from: ClientMode;
  to: ClientMode;
  reason: string;
  atMs: number;
}

export interface ClientStatus {
  /** The collector whose table is served (the last one that was live). */
  collector: string | undefined;
  mode: ClientMode;
  /** Since when the mode holds (epoch ms). */
  modeSinceMs: number;
  revision: number;
  tableId: string;
  entries: number;
  /** Milliseconds since the served table was last known current (0 while LIVE). */
  ageMs: number;
  lastSwitch: SwitchEvent | undefined;
  counters: { switches: number; modeChanges: number };
  collectors: { name: string; address: string; state: string; ready: boolean; revision: number; entries: number }[];
}

interface Slot {
  target: CollectorTarget & { name: string };
  replica: IdentityReplica;
  started: boolean;
}

/**
 * The firewall's view of who is where, from several collectors in priority order. It keeps one
 * replica per collector as needed: the current one, the higher-priority ones (to return to them
 * once they are back and synced) and, after a loss, the next ones down the list. A switch takes
 * another replica's complete table in one step, so lookups never see a half table.
 *
 * Events: 'ready' (first table), 'change' (ReplicaChange, of the served table), 'snapshot'
 * ({ collector, entries }: the served table was replaced whole, by a switch, a fresh snapshot, or
 * the closed fail mode: consumers re-read `entries()`), 'reconnected' (the served collector is back
 * after a loss, resuming its table), 'switch' (SwitchEvent), 'mode' (ModeEvent).
 */
export class FirewallClient extends EventEmitter {
  private readonly slots: Slot[];
  private readonly graceMs: number;
  private readonly failMode: FailMode;
  private current: Slot | undefined;
  private modeValue: ClientMode = 'STOPPED';
  private modeSince = Date.now();
  private downSince = 0;
  private graceTimer: NodeJS.Timeout | undefined;
  private lastSwitchValue: SwitchEvent | undefined;
  private switches = 0;
  private modeChanges = 0;

  constructor(private readonly opts: FirewallClientOptions) {
    super();
    if (!Array.isArray(opts.collectors) || opts.collectors.length === 0)
      throw new ConfigError(
        'collectors: list at least one collector, e.g. ["collector.corp.example:7450"]',
        'collectors',
      );
    this.graceMs = opts.graceMs ?? 300_000;
    if (!Number.isFinite(this.graceMs) || this.graceMs < 0)
      throw new ConfigError(`grace must be a duration of 0 or more, not ${JSON.stringify(opts.graceMs)}`, 'grace');
    this.failMode = opts.failMode ?? 'closed';
    if (this.failMode !== 'closed' && this.failMode !== 'keep')
      throw new ConfigError(`failMode: expected "closed" or "keep", got ${JSON.stringify(opts.failMode)}`, 'failMode');
    this.slots = opts.collectors.map((c) => {
      const target = { ...c, name: c.name ?? c.address };
      const replica = new IdentityReplica({
        address: c.address,
        credentials: c.credentials,
        clientName: opts.clientName ?? 'fsso-fw',
        silenceTimeoutMs: opts.silenceTimeoutMs,
      });
      const slot: Slot = { target, replica, started: false };
      replica.on('state', () => this.reconsider());
      replica.on('disconnected', (why: string) => this.onLoss(slot, why));
      replica.on('change', (c: ReplicaChange) => {
        if (slot === this.current && this.modeValue !== 'CLOSED') this.emit('change', c);
      });
      // Live again after a loss without a fresh snapshot: consumers that keep state outside the
      // table (nft sets) re-sync, since changes may have been missed while they were not served.
      replica.on('reconnected', (info: unknown) => {
        if (slot === this.current && this.modeValue !== 'CLOSED') this.emit('reconnected', info);
      });
      replica.on('snapshot', (n: number) => {
        if (slot === this.current && this.modeValue !== 'CLOSED')
          this.emit('snapshot', { collector: target.name, entries: n });
      });
      return slot;
    });
  }

  get mode(): ClientMode {
    return this.modeValue;
  }

  /** The collector whose table is served. */
  get collector(): string | undefined {
    return this.current?.target.name;
  }

  start(): void {
    if (this.modeValue !== 'STOPPED') return;
    this.setMode('STARTING', 'started');
    this.startSlot(0);
  }

  /** Resolves once a collector's complete table is served; rejects after `timeoutMs` with the first collector's reason. */
  async whenReady(timeoutMs = 10_000): Promise<void> {
    if (this.current) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('ready', done);
        // The first collector's own error names what is wrong (address, certificate).
        this.slots[0]?.replica.whenReady(0).then(() => resolve(), reject);
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      this.once('ready', done);
    });
  }

  stop(): void {
    if (this.graceTimer) clearTimeout(this.graceTimer);
    this.graceTimer = undefined;
    for (const s of this.slots) this.stopSlot(s);
    this.setMode('STOPPED', 'stopped');
  }

  /** Who is at `ip`; `undefined` if nobody is known, and for every address in the closed fail mode. */
  lookup(ip: string): IdentityView | undefined {
    if (this.modeValue === 'CLOSED' || !this.current) return undefined;
    return this.current.replica.lookup(ip);
  }

  /** Looks up with an address already normalised (as the table's keys and the 'change' events hold it). */
  lookupKey(key: string): IdentityView | undefined {
    if (this.modeValue === 'CLOSED' || !this.current) return undefined;
    return this.current.replica.lookupKey(key);
  }

  /** Every entry of the served table (none in the closed fail mode). */
  entries(): IdentityView[] {
    if (this.modeValue === 'CLOSED' || !this.current) return [];
    return this.current.replica.entries();
  }

  /** The policy's decision for the address (the configured policy unless one is given). */
  decide(ip: string, policy: CompiledPolicy | undefined = this.opts.policy): PolicyDecision & { ip: string } {
    if (!policy) throw new ConfigError('no policy: give FirewallClient a "policy", or pass one to decide()', 'policy');
    const key = normaliseIp(ip);
    if (key === null || this.modeValue === 'CLOSED' || !this.current) return { ip, ...policy.decide(undefined) };
    return { ip, ...this.current.replica.decideKey(policy, key) };
  }

  status(): ClientStatus {
    const r = this.current?.replica;
    const live = this.modeValue === 'LIVE';
    return {
      collector: this.current?.target.name,
      mode: this.modeValue,
      modeSinceMs: this.modeSince,
      revision: r?.revision ?? 0,
      tableId: r?.tableId ?? '',
      entries: this.modeValue === 'CLOSED' ? 0 : (r?.size ?? 0),
      ageMs: live || !this.downSince ? 0 : Date.now() - this.downSince,
      lastSwitch: this.lastSwitchValue,
      counters: { switches: this.switches, modeChanges: this.modeChanges },
      collectors: this.slots.map((s) => ({
        name: s.target.name,
        address: s.target.address,
        state: s.started ? s.replica.state : 'STOPPED',
        ready: s.replica.ready,
        revision: s.replica.revision,
        entries: s.replica.size,
      })),
    };
  }

  private startSlot(i: number): void {
    const s = this.slots[i];
    if (!s || s.started) return;
    s.started = true;
    s.replica.start();
  }

  private stopSlot(s: Slot): void {
    if (!s.started) return;
    s.started = false;
    s.replica.stop();
  }

  /** A lost stream: bring the next collector in, so that one is syncing while this one retries. */
  private onLoss(slot: Slot, why: string): void {
    if (this.modeValue === 'STOPPED') return;
    const i = this.slots.indexOf(slot);
    if (slot === this.current || !this.current || this.slots.indexOf(this.current) > i) {
      if (slot === this.current) this.opts.log?.warn('collector lost', { collector: slot.target.name, reason: why });
      this.startSlot(i + 1);
    }
    this.reconsider(why);
  }

  /** Serve the highest-priority live replica; none live: grace, then the fail mode. */
  private reconsider(why = 'collector state changed'): void {
    if (this.modeValue === 'STOPPED') return;
    const best = this.slots.find((s) => s.started && s.replica.state === 'LIVE');
    if (best) {
      const switched = best !== this.current;
      if (switched) this.switchTo(best, why);
      // Replicas below the one served are not needed until it is lost.
      for (const s of this.slots.slice(this.slots.indexOf(best) + 1)) this.stopSlot(s);
      if (this.graceTimer) clearTimeout(this.graceTimer);
      this.graceTimer = undefined;
      this.downSince = 0;
      // Leaving CLOSED without a switch: the same table is served again, so say it is whole.
      const reopened = !switched && this.modeValue === 'CLOSED';
      if (this.modeValue !== 'LIVE') this.setMode('LIVE', `synced from ${best.target.name}`);
      if (reopened) this.emit('snapshot', { collector: best.target.name, entries: best.replica.size });
      return;
    }
    if (!this.current || this.modeValue !== 'LIVE') return;
    // The served collector is not live and no other is: keep its last table for the grace.
    this.downSince = Date.now();
    this.setMode(
      'GRACE',
      `no collector is live (${why}); serving the last table of ${this.current.target.name} for ${this.graceMs} ms`,
    );
    this.graceTimer = setTimeout(() => {
      this.graceTimer = undefined;
      const to = this.failMode === 'closed' ? 'CLOSED' : 'KEEP';
      this.setMode(
        to,
        `no collector for ${this.graceMs} ms; failMode ${this.failMode}: ${to === 'CLOSED' ? 'nobody is known until a collector returns' : 'serving the last table until a collector returns'}`,
      );
      if (to === 'CLOSED') this.emit('snapshot', { collector: this.current?.target.name, entries: 0 });
    }, this.graceMs);
    this.graceTimer.unref();
  }

  private switchTo(slot: Slot, why: string): void {
    const from = this.current?.target.name;
    this.current = slot;
    if (from === undefined) {
      this.opts.log?.info('collector in use', {
        collector: slot.target.name,
        entries: slot.replica.size,
        revision: slot.replica.revision,
      });
      this.emit('ready');
      this.emit('snapshot', { collector: slot.target.name, entries: slot.replica.size });
      return;
    }
    this.switches++;
    const reason =
      this.slots.indexOf(slot) < this.slots.findIndex((s) => s.target.name === from)
        ? `${slot.target.name} is back and synced (higher priority)`
        : `${from} lost (${why})`;
    this.lastSwitchValue = { from, to: slot.target.name, reason, atMs: Date.now() };
    this.opts.log?.warn('collector switch', {
      from,
      to: slot.target.name,
      reason,
      entries: slot.replica.size,
      revision: slot.replica.revision,
      switches: this.switches,
    });
    this.emit('switch', this.lastSwitchValue);
    this.emit('snapshot', { collector: slot.target.name, entries: slot.replica.size });
  }

  private setMode(to: ClientMode, reason: string): void {
    const from = this.modeValue;
    if (from === to) return;
    this.modeValue = to;
    this.modeSince = Date.now();
    if (from !== 'STOPPED' && to !== 'STOPPED' && from !== 'STARTING') this.modeChanges++;
    const ev: ModeEvent = { from, to, reason, atMs: this.modeSince };
    if (from !== 'STOPPED' && to !== 'STARTING' && to !== 'STOPPED') {
      const fields = { from, to, reason, modeChanges: this.modeChanges };
      if (to === 'LIVE') this.opts.log?.info('firewall client mode', fields);
      else this.opts.log?.warn('firewall client mode', fields);
    }
    this.emit('mode', ev);
  }
}
