import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { KeyInvalidError, CertificateInvalidError, errorMessage } from '../errors';

/** What a PEM file holds, by its armour: the usual mistake is a key where a certificate belongs or the reverse. */
function pemKind(pem: Buffer): 'certificate' | 'key' | 'other' {
  const text = pem.toString('latin1');
  if (/-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----/.test(text)) return 'key';
  if (text.includes('-----BEGIN CERTIFICATE-----')) return 'certificate';
  return 'other';
}

/**
 * Parses a certificate, or throws one line that says what the file is instead and what to do:
 * "x.key holds a private key, not a certificate: are cert and key swapped?". `field` names the
 * setting or flag (`tls.cert`, `--cert`) so the fix points at it.
 */
export function parseCertificate(
  pem: Buffer,
  file: string,
  field: string,
  fix = `point ${field} at the .pem file 'fssoctl pki issue' wrote`,
): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (err) {
    const kind = pemKind(pem);
    if (kind === 'key')
      throw new CertificateInvalidError(
        `${field}: ${file} holds a private key, not a certificate (are the certificate and key swapped?); ${fix}`,
        field,
        file,
      );
    throw new CertificateInvalidError(
      `${field}: ${file} is not a PEM certificate (${errorMessage(err)}); ${fix}`,
      field,
      file,
    );
  }
}

/** Parses a private key, or throws one line naming the file (a certificate given as key is named as such). */
export function parsePrivateKey(pem: Buffer, file: string, field: string): KeyObject {
  try {
    return createPrivateKey(pem);
  } catch (err) {
    if (pemKind(pem) === 'certificate')
      throw new KeyInvalidError(
        `${field}: ${file} holds a certificate, not a private key (are the certificate and key swapped?); point ${field} at the .key file`,
        field,
        file,
      );
    throw new KeyInvalidError(
      `${field}: ${file} is not a PEM private key (${errorMessage(err)}); point ${field} at the .key file 'fssoctl pki issue' wrote`,
      field,
      file,
    );
  }
}
