import { X509Certificate } from 'node:crypto';

/** What a certificate lets its holder do. */
export type Role = 'agent' | 'firewall' | 'admin' | 'collector' | 'proxy';
/**
 * `proxy`: an authenticating web proxy (`fsso-fw proxy`). Apart from `firewall` because it writes:
 * it vouches for the users it authenticated (NTLM/Negotiate), for the domains its certificate
 * names, while a firewall certificate only reads the table.
 */
export const ROLES: readonly Role[] = ['agent', 'firewall', 'admin', 'collector', 'proxy'];

/** Roles and agent domains are carried as SAN URIs: urn:fsso:role:agent, urn:fsso:domain:CORP ('*' = any). */
export const ROLE_URI = 'urn:fsso:role:';
export const DOMAIN_URI = 'urn:fsso:domain:';
/** An agent certificate's own id: urn:fsso:agent:dc1. The collector binds the agent's hello to it. */
export const AGENT_URI = 'urn:fsso:agent:';
/** What an agent id may look like (the hello's agentId and the certificate's). */
export const AGENT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/;

export const EKU_SERVER = '1.3.6.1.5.5.7.3.1';
export const EKU_CLIENT = '1.3.6.1.5.5.7.3.2';

export interface CertIdentity {
  roles: Role[];
  /** Upper-case domains an agent may report for; ['*'] for all. */
  domains: string[];
  /** Agent ids from urn:fsso:agent:ID SAN URIs (an agent certificate has exactly one). */
  agentIds: string[];
}

/** Reads roles, domains and agent ids from a subjectAltName string as Node prints it ("URI:urn:fsso:role:agent, DNS:dc1"). */
export function identityFromSan(san: string | undefined): CertIdentity {
  const roles: Role[] = [];
  const domains: string[] = [];
  const agentIds: string[] = [];
  for (const part of (san ?? '').split(/,\s*/)) {
    const uri = part.startsWith('URI:') ? part.slice(4) : '';
    if (uri.startsWith(ROLE_URI)) {
      const r = uri.slice(ROLE_URI.length) as Role;
      if (ROLES.includes(r)) roles.push(r);
    } else if (uri.startsWith(DOMAIN_URI)) {
      domains.push(uri.slice(DOMAIN_URI.length).toUpperCase());
    } else if (uri.startsWith(AGENT_URI)) {
      agentIds.push(uri.slice(AGENT_URI.length));
    }
  }
  return { roles, domains, agentIds };
}

/**
 * The agent id a certificate stands for: its one urn:fsso:agent: URI, else its CN (certificates
 * issued before the URI existed). Several URIs are ambiguous, so they are a refusal, not a choice.
 */
export function certAgentId(agentIds: readonly string[], cn: string | undefined): { id: string } | { problem: string } {
  if (agentIds.length > 1)
    return {
      problem: `it names ${agentIds.length} agent ids (${agentIds.join(', ')}); issue it with one ('fssoctl pki issue --role agent --agent-id ID')`,
    };
  const id = agentIds[0] ?? cn ?? '';
  if (!AGENT_ID_PATTERN.test(id))
    return {
      problem: `its agent id ${JSON.stringify(id)} is not 1-128 letters, digits, '.', '_', '@', '-'; issue it with 'fssoctl pki issue --role agent --agent-id ID'`,
    };
  return { id };
}

/** A certificate, in the words `fssoctl pki show` prints. */
export interface CertSummary {
  subject: string;
  issuer: string;
  san: string[];
  eku: string[];
  notBefore: string;
  notAfter: string;
  expired: boolean;
  ca: boolean;
  roles: Role[];
  domains: string[];
  agentIds: string[];
  thumbprint: string;
}

const EKU_NAMES: Record<string, string> = { [EKU_SERVER]: 'serverAuth', [EKU_CLIENT]: 'clientAuth' };

export function summarise(pem: string | Buffer, now = Date.now()): CertSummary {
  const c = new X509Certificate(pem);
  const id = identityFromSan(c.subjectAltName);
  return {
    subject: c.subject.replace(/\n/g, ', '),
    issuer: c.issuer.replace(/\n/g, ', '),
    san: (c.subjectAltName ?? '').split(/,\s*/).filter(Boolean),
    eku: (c.keyUsage ?? []).map((o) => EKU_NAMES[o] ?? o),
    notBefore: new Date(c.validFrom).toISOString(),
    notAfter: new Date(c.validTo).toISOString(),
    expired: Date.parse(c.validTo) < now,
    ca: c.ca,
    roles: id.roles,
    domains: id.domains,
    agentIds: id.agentIds,
    thumbprint: c.fingerprint256.replace(/:/g, '').toLowerCase(),
  };
}
