import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { hostname } from 'node:os';
import { ConfigError, certAgentId, identityFromSan } from '@fsso/common';

/** One collector link's client certificate, by the config field that names it. */
export interface CertRef {
  field: string;
  file: string;
}

/**
 * The id this agent reports under. A collector takes the id from the agent's certificate and
 * refuses a hello that names another, so: the certificate's id unless `agentId` is set, and a
 * configured `agentId` the certificate does not carry stops the start here, with the fix, instead
 * of a refusal loop later. Plaintext links have no certificate: `agentId`, else the host name.
 */
export function resolveAgentId(configured: string | undefined, certs: readonly CertRef[]): string {
  let chosen = configured;
  for (const c of certs) {
    const x = new X509Certificate(readFileSync(c.file));
    const cn = /^CN=(.*)$/m.exec(x.subject)?.[1];
    const got = certAgentId(identityFromSan(x.subjectAltName).agentIds, cn);
    if ('problem' in got)
      throw new ConfigError(`${c.field}: ${c.file} cannot identify an agent: ${got.problem}`, c.field);
    if (chosen === undefined) chosen = got.id;
    else if (chosen !== got.id) {
      const what =
        configured !== undefined ? `agentId is "${chosen}"` : `another collector's certificate is agent "${chosen}"`;
      throw new ConfigError(
        `${c.field}: ${c.file} is the certificate of agent "${got.id}", but ${what}; collectors refuse a hello naming another agent's id: remove agentId (it defaults to the certificate's id) or issue a certificate with 'fssoctl pki issue --role agent --agent-id ${chosen}'`,
        configured !== undefined ? 'agentId' : c.field,
      );
    }
  }
  return chosen ?? hostname();
}
