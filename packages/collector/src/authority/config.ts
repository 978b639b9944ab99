import { ConfigError, DomainNames, parseNetwork, rejectUnknownKeys, type Network } from '@fsso/common';
import type { DirectoryConfig } from '../directory/config';

const DOMAIN_NAME = /^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$/;

/**
 * The domain name equivalences: each `directories[]` entry (its NetBIOS `domain` and DNS
 * `dnsDomain`) plus the explicit `domains` map `{"CORP": "corp.example.test"}` (a DNS name or a
 * list of them per NetBIOS name). Nothing else makes two names one domain.
 */
export function validateDomains(raw: unknown, directories: readonly DirectoryConfig[]): DomainNames {
  const pairs: { netbios: string; dns: string[] }[] = directories.map((d) => ({
    netbios: d.domain,
    dns: [d.dnsDomain],
  }));
  if (raw !== undefined) {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      throw new ConfigError(
        'domains: expected an object mapping NetBIOS names to DNS names, like {"CORP": "corp.example.test"}',
        'domains',
      );
    }
    for (const [nb, v] of Object.entries(raw as Record<string, unknown>)) {
      const f = `domains.${nb}`;
      if (!DOMAIN_NAME.test(nb) || nb.includes('.'))
        throw new ConfigError(
          `${f}: ${JSON.stringify(nb)} is not a NetBIOS domain name (letters, digits, '-'; no dots)`,
          f,
        );
      const list = typeof v === 'string' ? [v] : v;
      if (
        !Array.isArray(list) ||
        list.length === 0 ||
        !list.every((d) => typeof d === 'string' && DOMAIN_NAME.test(d))
      ) {
        throw new ConfigError(`${f}: expected a DNS domain name like "corp.example.test" (or a list of them)`, f);
      }
      pairs.push({ netbios: nb, dns: list as string[] });
    }
  }
  const seen = new Map<string, string>();
  for (const p of pairs) {
    for (const d of p.dns) {
      const k = d.toUpperCase();
      const other = seen.get(k);
      if (other !== undefined && other !== p.netbios.toUpperCase()) {
        throw new ConfigError(
          `domains: ${d} is given for both ${other} and ${p.netbios}; one DNS name denotes one domain`,
          'domains',
        );
      }
      seen.set(k, p.netbios.toUpperCase());
    }
  }
  return new DomainNames(pairs);
}

/** Per agent (by certificate identity): the networks where its address evidence is authoritative. */
export function validateAgentAuthority(raw: unknown): Map<string, Network[]> {
  const out = new Map<string, Network[]>();
  if (raw === undefined) return out;
  if (!Array.isArray(raw))
    throw new ConfigError('agents: expected a list like [{"id": "dhcp1", "networks": ["10.1.0.0/16"]}]', 'agents');
  raw.forEach((a: unknown, i) => {
    const f = `agents[${i}]`;
    if (typeof a !== 'object' || a === null)
      throw new ConfigError(`${f}: expected {"id": AGENT, "networks": [CIDR, ...]}`, f);
    const o = a as Record<string, unknown>;
    rejectUnknownKeys(o, ['id', 'networks'], f);
    const id = o['id'];
    if (typeof id !== 'string' || id === '')
      throw new ConfigError(
        `${f}.id: expected the agent's certificate identity (its urn:fsso:agent: name or CN)`,
        `${f}.id`,
      );
    if (out.has(id)) throw new ConfigError(`${f}.id: ${id} is listed twice`, `${f}.id`);
    const nets = o['networks'];
    if (!Array.isArray(nets))
      throw new ConfigError(`${f}.networks: expected a list of networks like ["10.1.0.0/16"]`, `${f}.networks`);
    out.set(
      id,
      nets.map((n: unknown, j) => {
        const net = typeof n === 'string' ? parseNetwork(n) : null;
        if (!net)
          throw new ConfigError(
            `${f}.networks[${j}]: ${JSON.stringify(n)} is not a network like "10.1.0.0/16"`,
            `${f}.networks[${j}]`,
          );
        return net;
      }),
    );
  });
  return out;
}
