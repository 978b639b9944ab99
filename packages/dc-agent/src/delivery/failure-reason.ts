import * as grpc from '@grpc/grpc-js';
import { connectionFailureReason } from '@fsso/common';

/** What the sentence about a failed stream needs to know about the link. */
export interface FailureContext {
  /** collectors[].name */
  name: string;
  /** HOST:PORT dialled. */
  address: string;
  /** The CA file the agent checks the collector against (undefined: plaintext). */
  caFile?: string | undefined;
  /** The stream got no message at all before it was lost (not even the welcome). @default false */
  unanswered?: boolean | undefined;
}

/**
 * Turns what grpc-js reports for a failed Report stream into one sentence an operator can act
 * on: what went wrong, and the fix. grpc-js says "No connection established. Last error: …" for
 * every transport failure, so a refused port, a foreign CA and a plaintext collector all look
 * alike until the inner reason is read; the collector's own refusals (PERMISSION_DENIED,
 * RESOURCE_EXHAUSTED…) already say why, and get the words that tell whose side refused.
 */
export function describeFailure(code: number | undefined, rawDetails: string, ctx: FailureContext): string {
  // grpc-js stamps transport errors with the time ("… (2026-12-01T08:32:08.504Z)"): without the
  // stamp, a lasting failure reads the same each retry and is warned once.
  const details = opensslReason(connectionFailureReason(rawDetails).replace(/ ?\(\d{4}-\d\d-\d\dT[\d:.]+Z\)/g, ''));
  const at = ctx.address;
  const field = 'collectors[].address';
  if (code === grpc.status.PERMISSION_DENIED) {
    const role = /has role ([^;]*); \S*AgentService needs agent/.exec(details);
    if (role)
      return `collector refused our certificate: it has role ${role[1]}, an agent needs role agent (${details}); issue one with 'fssoctl pki issue --role agent --domain NAME'`;
    if (/may report for|names no domain/.test(details))
      return `collector refused our domains: ${details}; set domains to those the certificate covers, or issue one with --domain for each`;
    return `collector refused us: ${details}`;
  }
  if (code === grpc.status.RESOURCE_EXHAUSTED) return `collector refused a batch by a limit: ${details}`;
  if (code === grpc.status.INVALID_ARGUMENT || code === grpc.status.FAILED_PRECONDITION)
    return `collector refused our stream: ${details}`;
  if (/ECONNREFUSED/.test(details))
    return `connection refused at ${at}: is the collector running, and is ${field} right?`;
  if (/ENOTFOUND|EAI_AGAIN/.test(details)) return `cannot resolve the host of ${at}: check ${field}`;
  if (/EHOSTUNREACH|ENETUNREACH|ETIMEDOUT/.test(details))
    return `no route to ${at} (${details}): check ${field} and the network or firewall in between`;
  if (
    /self[- ]signed certificate|unable to get local issuer|unable to verify the first certificate|certificate signature failure/i.test(
      details,
    )
  ) {
    return `the collector's certificate is signed by another CA than ${ctx.caFile ?? 'tls.ca'} (${details}); set tls.ca to the CA that issued it ('fssoctl tls check' shows the chain)`;
  }
  if (/certificate has expired/i.test(details))
    return `the collector's certificate has expired (${details}); issue it a new one`;
  // Our own check of the server's certificate (wrong role, wrong name, pin) already says what to do.
  if (/it is not a collector|does not name|pinned thumbprints/.test(details))
    return `refusing the server at ${at}: ${details}`;
  if (/wrong version number|packet length too long|unknown protocol|http\/1|record layer failure/i.test(details)) {
    return `the server at ${at} does not speak TLS (${details}): it is a plaintext collector or not a collector; fix ${field}, or give the collector tls settings`;
  }
  if (
    /alert (unknown ca|bad certificate|certificate unknown|certificate required|handshake failure|decrypt error)|sslv3 alert|tlsv1[0-9]* alert|tlsv13 alert/i.test(
      details,
    )
  ) {
    return `the collector refused our certificate at the TLS handshake (${details}): it is not from the collector's CA or not usable for clients; use a certificate issued by the collector's CA ('fssoctl pki issue --role agent')`;
  }
  if (
    ctx.caFile === undefined &&
    /Failed to connect|Connection dropped|Protocol error|ECONNRESET|Received RST_STREAM|GOAWAY|socket hang up/i.test(
      details,
    )
  ) {
    return `the connection to ${at} was dropped (${details}): we speak plaintext (insecure: true); if the collector uses TLS, give the agent tls settings instead`;
  }
  // A reset before the first message, with TLS on, is the same refusal seen from a later moment:
  // one reason, so a refused certificate reads the same at every retry.
  if (
    /^Failed to connect$/.test(details) ||
    (ctx.unanswered === true && /ECONNRESET|Connection dropped|socket hang up/i.test(details))
  ) {
    // TLS 1.3 checks the client's certificate after the client's side of the handshake is done:
    // a refusal reaches us only as a connection closed before the first HTTP/2 frame.
    return `the collector at ${at} closed the connection during the TLS handshake: most likely it refused our certificate (not issued by its CA, or not for clients); use a certificate from the collector's CA ('fssoctl pki issue --role agent'); the collector's log names the reason`;
  }
  if (/ECONNRESET|Connection dropped|socket hang up/i.test(details)) {
    return `the connection to ${at} was dropped (${details}): the collector restarted or refused the TLS handshake; is our certificate from its CA?`;
  }
  return details;
}

/**
 * OpenSSL's "802C4A74957F0000:error:0A00010B:SSL routines:ssl3_get_record:wrong version
 * number:../deps/openssl/…:350:" down to its reason ("wrong version number"): an operator needs
 * the words, not the dump.
 */
export function opensslReason(details: string): string {
  return details.replace(/[0-9A-F]{8,}:error:[0-9A-F]+:[^:]*:[^:]*:([^:]+)(?::[^\s:]*:\d+:)?\s*/g, '$1').trim();
}
