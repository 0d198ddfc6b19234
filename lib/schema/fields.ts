import { createPrivateKey, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import * as v from 'valibot';

/**
 * Field building blocks shared by the provider schemas. Every message says what the field must be
 * and never repeats the value that was sent: a mistyped password must not come back in an error.
 */
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

export function text(maxLength: number) {
  return v.pipe(
    v.string(),
    v.minLength(1, 'must not be empty'),
    v.maxLength(maxLength, `must be at most ${maxLength} characters`),
    v.check((value) => !CONTROL_CHARACTERS.test(value), 'must not contain control characters'),
  );
}

/** Passwords may hold any printable character, but never NUL, which the wire protocols cannot carry. */
export function secret(maxLength: number) {
  return v.pipe(
    v.string(),
    v.minLength(1, 'must not be empty'),
    v.maxLength(maxLength, `must be at most ${maxLength} characters`),
    v.check((value) => !value.includes('\u0000'), 'must not contain NUL characters'),
  );
}

const HOSTNAME = /^(?=.{1,253}\.?$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

/** A DNS name or an IP literal. Never a path: drivers read "/..." as a local socket. */
export const host = v.pipe(
  v.string(),
  v.minLength(1, 'must not be empty'),
  v.check((value) => HOSTNAME.test(value) || isIP(value) !== 0, 'must be a hostname or an IP address'),
);

export const port = v.pipe(
  v.number('must be an integer from 1 to 65535'),
  v.integer('must be an integer from 1 to 65535'),
  v.minValue(1, 'must be an integer from 1 to 65535'),
  v.maxValue(65_535, 'must be an integer from 1 to 65535'),
);

const MAX_PEM_LENGTH = 16_384;

/** Text that looks like a PEM private key; whether it loads is checked where the passphrase is known. */
export const privateKeyPemText = v.pipe(
  v.string(),
  v.maxLength(MAX_PEM_LENGTH, `must be at most ${MAX_PEM_LENGTH} characters`),
  v.check((value) => /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(value), 'must be a PEM private key (-----BEGIN PRIVATE KEY-----)'),
);

/** An unencrypted PEM private key that Node's crypto can load (PKCS#8 or PKCS#1). */
export const privateKeyPem = v.pipe(
  privateKeyPemText,
  v.check((value) => canLoadPrivateKey(value), 'must be a valid PEM private key'),
);

export function canLoadPrivateKey(pem: string, passphrase?: string): boolean {
  try {
    createPrivateKey(passphrase === undefined ? { key: pem, format: 'pem' } : { key: pem, format: 'pem', passphrase });
    return true;
  } catch {
    return false;
  }
}

/** Every PEM block must parse as an X.509 certificate. */
export function canLoadCertificates(pem: string): boolean {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);
  if (!blocks) return false;
  try {
    for (const block of blocks) new X509Certificate(block);
    return true;
  } catch {
    return false;
  }
}
