import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import * as v from 'valibot';
import { KEY_REQUIREMENTS, openUnencryptedSigningKey } from '../providers/private-key.js';
import { readPrivateKeyPem } from '../providers/private-key-pem.js';

/**
 * Field building blocks shared by the provider schemas. Every message says what the field must be
 * and never repeats the value that was sent: a mistyped password must not come back in an error.
 */
// C0, DEL and C1: none belongs in a name; C1 ones are what Latin-1 text read as UTF-8 leaves behind.
export const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;

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
  // An IPv6 zone (fe80::1%eth0) names an interface of the machine that connects: never one of a warehouse.
  v.check((value) => HOSTNAME.test(value) || (isIP(value) !== 0 && !value.includes('%')), 'must be a hostname or an IP address'),
);

export const port = v.pipe(
  v.number('must be an integer from 1 to 65535'),
  v.integer('must be an integer from 1 to 65535'),
  v.minValue(1, 'must be an integer from 1 to 65535'),
  v.maxValue(65_535, 'must be an integer from 1 to 65535'),
);

const MAX_PEM_LENGTH = 16_384;

/** One PEM private key block and nothing else; whether it opens is checked where the passphrase is known. */
export const privateKeyPemText = v.pipe(
  v.string(),
  v.maxLength(MAX_PEM_LENGTH, `must be at most ${MAX_PEM_LENGTH} characters`),
  v.check((value) => readPrivateKeyPem(value) !== undefined, KEY_REQUIREMENTS.not_one_pem_block),
);

/** An unencrypted private key that can sign RS256 (lib/providers/private-key.ts): a service-account key. */
export const unencryptedSigningKeyPem = v.pipe(
  privateKeyPemText,
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const opened = openUnencryptedSigningKey(dataset.value);
    if (!opened.ok) addIssue({ message: KEY_REQUIREMENTS[opened.problem] });
  }),
);

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
