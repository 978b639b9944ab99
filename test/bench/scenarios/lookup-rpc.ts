/**
 * Unary Lookup: calls per second with 64 in flight from one firewall client (mutual TLS, a real
 * firewall certificate) against a real collector holding 10 k mappings, next to the same load on
 * a grpc-js server whose Lookup only echoes (same TLS, own process).
 */
import { readFileSync, rmSync } from 'node:fs';
import type { IdentityServiceClient } from '@fsso/common';
import { medianOf, type Scenario } from '../harness/types';
import { benchIp, fill } from '../harness/load';
import { baselineServer, benchCollector } from '../harness/procs';

const IN_FLIGHT = 64;
const MAPPINGS = 10_000;

/** CPU seconds (user + system) a process used so far, from /proc (Linux). */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8')
    .replace(/^.*\) /, '')
    .split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

interface Rate {
  callsPerSecond: number;
  /** Server CPU per call, µs: what a loaded machine changes least. */
  cpuUs: number;
}

/** Calls per second over `ms`, keeping `IN_FLIGHT` calls open; every answer must be a success. */
async function rate(client: IdentityServiceClient, pid: number, ms: number): Promise<Rate> {
  // Warm the connection and the server's code paths first.
  await run(client, 1000);
  const cpu0 = cpuSeconds(pid);
  const r = await run(client, ms);
  return { callsPerSecond: r.rate, cpuUs: ((cpuSeconds(pid) - cpu0) * 1e6) / r.calls };
}

function run(client: IdentityServiceClient, ms: number): Promise<{ rate: number; calls: number }> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    let done = 0;
    let open = 0;
    let failed: Error | undefined;
    const one = (): void => {
      open++;
      client.lookup({ ip: benchIp(done % MAPPINGS) }, (err) => {
        open--;
        if (err) failed ??= err;
        done++;
        if (!failed && Date.now() - t0 < ms) one();
        else if (open === 0) {
          if (failed) reject(failed);
          else resolve({ rate: (done * 1000) / (Date.now() - t0), calls: done });
        }
      });
    };
    for (let i = 0; i < IN_FLIGHT; i++) one();
  });
}

export const lookupRpc: Scenario = {
  name: 'lookup-rpc',
  title: `Unary Lookup with ${IN_FLIGHT} calls in flight from a firewall certificate against a real collector holding 10 k mappings; baseline: a grpc-js server (own process, same TLS) whose Lookup only echoes.`,
  async run({ quick }) {
    const runs = quick ? 1 : 3;
    const ms = quick ? 2000 : 4000;
    const b = await baselineServer();
    const c = await benchCollector();
    try {
      await fill(c.agent, 'dc1', MAPPINGS);
      // Alternated, so a neighbour's load on the machine falls on both alike.
      const echo: Rate[] = [];
      const real: Rate[] = [];
      for (let i = 0; i < runs; i++) {
        echo.push(await rate(b.identity, b.daemon.pid, ms));
        real.push(await rate(c.identity, c.handle.daemon.pid, ms));
      }
      const med = (xs: Rate[], k: keyof Rate): Promise<number> => medianOf(xs.length, () => xs.shift()?.[k] ?? 0);
      const value = await med([...real], 'callsPerSecond');
      const base = await med([...echo], 'callsPerSecond');
      const cpu = await med([...real], 'cpuUs');
      const cpuBase = await med([...echo], 'cpuUs');
      return [
        {
          figure: `unary Lookup, ${IN_FLIGHT} in flight, mTLS`,
          value,
          unit: 'calls/s',
          baseline: { name: 'unary echo on grpc-js, same TLS', value: base, unit: 'calls/s' },
          target: '>= 0.8 x echo',
          met: value >= 0.8 * base,
        },
        {
          figure: `unary Lookup, server CPU per call`,
          value: cpu,
          unit: 'µs',
          baseline: { name: 'unary echo on grpc-js, same TLS', value: cpuBase, unit: 'µs' },
          target: '>= 0.8 x echo',
          met: cpuBase / cpu >= 0.8,
          notes:
            'user + system CPU of the server process over the run, per call: steadier than calls/s on a shared machine',
        },
      ];
    } finally {
      await b.stop();
      await c.stop();
      rmSync(c.dir, { recursive: true, force: true });
    }
  },
};
