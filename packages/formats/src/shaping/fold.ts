import type { AgentEvent } from '../model';

/** How many addresses, users and machines the fold memory keeps (each); the oldest are forgotten first. */
export const DEFAULT_FOLD_CAPACITY = 100_000;

interface AddressRecord {
  /** Sequence number of the last passed event that touched this address (directly or as a roam's old address). */
  touch: number;
  /** Sequence number, signature and time of the last passed event *at* this address: what a repeat folds into. */
  eventSeq: number;
  sig: string;
  t: number;
  /** The machine the last event naming one here named: the collector may re-link it when the address changes. */
  machine: string;
}

interface MachineRecord {
  touch: number;
  /** Where this agent last saw the machine: the collector's roam releases that address when the machine moves. */
  addr: string;
}

/**
 * Decides whether an event is a true repeat of the last event passed at its address, i.e. one whose
 * effect on the collector's table cannot differ from the event it repeats (issue 9, item 5).
 *
 * Every passed event gets a sequence number and stamps it on everything it touches: its address, its
 * user, its machine, the address that machine was last seen at (the collector releases that address
 * when the machine roams, and places an event without an address there) and, for a logoff, the
 * machine last named at its address (whose remembered user it ends). A repeat folds only if its
 * address, user and machine still carry the stamp of the event it repeats: nothing touched them since.
 *
 * Memory is bounded per map with least-recently-used eviction. A forgotten record only means "do not
 * fold": a missing record never matches. A forgotten machine's address is the one loss that could hide
 * a change (a roam's old address), so once a machine was forgotten, an event naming a machine the memory
 * does not hold raises a barrier: nothing passed before it folds again (the same for a logoff whose
 * address was forgotten). Links this agent never saw (another DC's events, a previous run) are beyond
 * it: what they can hide is repeats within `coalesceWindow` of the event they repeat (the first repeat
 * after the window passes).
 */
export class FoldMemory {
  private seq = 0;
  /** Events with a sequence number up to this one never fold again (see the class comment). */
  private barrier = 0;
  private readonly addrs = new Map<string, AddressRecord>();
  private readonly users = new Map<string, number>();
  private readonly machines = new Map<string, MachineRecord>();
  private forgotAddrs = false;
  private forgotMachines = false;

  constructor(
    private readonly windowMs: number,
    private readonly capacity = DEFAULT_FOLD_CAPACITY,
  ) {}

  /** Sizes of the three maps, for tests and status. */
  get size(): { addresses: number; users: number; machines: number } {
    return { addresses: this.addrs.size, users: this.users.size, machines: this.machines.size };
  }

  /** True if `e` repeats the last event passed at its address and nothing it depends on changed since. */
  folds(e: AgentEvent): boolean {
    if (e.ip === '' || this.windowMs === 0) return false;
    const rec = this.addrs.get(e.ip);
    if (!rec || rec.eventSeq <= this.barrier || rec.touch !== rec.eventSeq || rec.sig !== signature(e)) return false;
    if (e.eventTimeMs < rec.t || e.eventTimeMs - rec.t >= this.windowMs) return false;
    const u = userKey(e);
    if (u && this.users.get(u) !== rec.eventSeq) return false;
    const m = machineOf(e);
    if (m && this.machines.get(m)?.touch !== rec.eventSeq) return false;
    return true;
  }

  /** Records a passed event: stamps everything it touches, so repeats of older events stop folding. */
  pass(e: AgentEvent): void {
    if (this.windowMs === 0) return;
    const s = ++this.seq;
    const ip = e.ip;
    const m = machineOf(e);
    const u = userKey(e);
    const touchedMachines: string[] = m ? [m] : [];
    let prevMachine = '';
    if (ip) {
      const rec = this.addrs.get(ip);
      if (rec) prevMachine = rec.machine;
      // Only a logoff changes the memory of a machine it does not name (the one whose user it ends).
      if (e.kind === 'USER_LOGOFF') {
        if (!rec && this.forgotAddrs) this.barrier = s - 1;
        if (prevMachine && prevMachine !== m) touchedMachines.push(prevMachine);
      }
      this.setAddr(ip, { touch: s, eventSeq: s, sig: signature(e), t: e.eventTimeMs, machine: m || prevMachine });
    }
    if (u) this.setUser(u, s);
    for (const name of touchedMachines) {
      const rec = this.machines.get(name);
      if (!rec) {
        if (name === m && this.forgotMachines) this.barrier = s - 1;
        // A machine seen for the first time here had no address to release; the derived one is only touched.
        if (name === m) this.setMachine(name, { touch: s, addr: e.kind === 'HOST_RELEASED' ? '' : ip });
        continue;
      }
      // The roam's old address (or, for an event without an address, where the collector will place it).
      if (rec.addr && rec.addr !== ip) {
        const old = this.addrs.get(rec.addr);
        if (old) old.touch = s;
      }
      const addr = name !== m ? rec.addr : e.kind === 'HOST_RELEASED' ? '' : ip || rec.addr;
      this.setMachine(name, { touch: s, addr });
    }
  }

  private setAddr(ip: string, rec: AddressRecord): void {
    this.addrs.delete(ip);
    this.addrs.set(ip, rec);
    if (this.addrs.size > this.capacity) this.forgotAddrs = evictOldest(this.addrs) || this.forgotAddrs;
  }

  private setUser(u: string, s: number): void {
    this.users.delete(u);
    this.users.set(u, s);
    if (this.users.size > this.capacity) evictOldest(this.users);
  }

  private setMachine(name: string, rec: MachineRecord): void {
    this.machines.delete(name);
    this.machines.set(name, rec);
    if (this.machines.size > this.capacity) this.forgotMachines = evictOldest(this.machines) || this.forgotMachines;
  }
}

/** Maps iterate in insertion order, and every write re-inserts: the first key is the least recently touched. */
function evictOldest<K, V>(map: Map<K, V>): boolean {
  const first = map.keys().next();
  if (first.done) return false;
  map.delete(first.value);
  return true;
}

/**
 * What the collector's rules read from an event, apart from its time: two events with the same
 * signature at the same address have the same effect unless something changed in between.
 */
function signature(e: AgentEvent): string {
  return `${e.kind}\u0000${e.user}\u0000${e.domain}\u0000${e.workstation}\u0000${e.mac}`;
}

function userKey(e: AgentEvent): string {
  const personal = e.kind === 'USER_LOGON' || e.kind === 'USER_ACTIVITY' || e.kind === 'USER_LOGOFF';
  return personal && e.user ? `${e.domain}\\${e.user}` : '';
}

/** The machine as the collector names it: the workstation, or for host evidence the host name. */
function machineOf(e: AgentEvent): string {
  if (e.kind.startsWith('HOST_')) return e.workstation || e.user.toUpperCase();
  return e.workstation;
}
