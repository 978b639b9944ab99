import { ConfigError, rejectUnknownKeys } from '@fsso/common';
import { Shaper, type FilterOptions } from './shaper';

/**
 * The agent config's `filters` (selfTraffic aside), validated: one function for the agent and
 * `fsso-collector simulate --agent-config`, so a bad filter fails in both with the same field.
 */
export function validateFilters(raw: unknown): FilterOptions {
  if (raw === undefined) return {};
  if (typeof raw !== 'object' || raw === null)
    throw new ConfigError('filters: expected an object like {"ignoreUsers": ["svc-*"]}', 'filters');
  const o = raw as Record<string, unknown>;
  // selfTraffic is read by selfTrafficMode: it acts in the parsers, not in the shaper.
  rejectUnknownKeys(o, ['ignoreUsers', 'ignoreNetworks', 'logonTypes', 'coalesceWindow', 'selfTraffic'], 'filters');
  const list = <T>(k: string, ok: (v: unknown) => v is T, what: string): T[] | undefined => {
    const v = o[k];
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || !v.every(ok))
      throw new ConfigError(`filters.${k}: expected a list of ${what}`, `filters.${k}`);
    return v;
  };
  const isStr = (v: unknown): v is string => typeof v === 'string' && v !== '';
  const isInt = (v: unknown): v is number => Number.isInteger(v);
  const opts: FilterOptions = {};
  const users = list('ignoreUsers', isStr, 'names or patterns');
  if (users) opts.ignoreUsers = users;
  const nets = list('ignoreNetworks', isStr, 'networks like "10.0.0.0/24"');
  if (nets) opts.ignoreNetworks = nets;
  const types = list('logonTypes', isInt, 'logon type numbers');
  if (types) opts.logonTypes = types;
  if (o['coalesceWindow'] !== undefined) opts.coalesceWindow = String(o['coalesceWindow']);
  new Shaper(opts); // validates patterns and networks now, with field names, not at the first event
  return opts;
}
