import { createPrivateKey, type KeyObject } from 'node:crypto';
import { keyDerivation, MAX_KEY_DERIVATION_ITERATIONS } from '../crypto/key-derivation-cost.js';
import { KEY_OPENING_BUDGET_MS, openKeyInWorker } from './key-worker.js';
import { readPrivateKeyPem } from './private-key-pem.js';

/**
 * The one place that decides whether a private key can sign the RS256 JWTs Snowflake and BigQuery
 * take, used at create (the schema) and at test (the probes, for keys stored before a rule).
 * In order, each check before anything costly:
 * 1. one clean PEM block (private-key-pem.ts), so the block checked is the block OpenSSL opens;
 * 2. the key-derivation cost read from that block (key-derivation-cost.ts);
 * 3. opening: with a passphrase in a worker process with its own deadline (key-worker.ts),
 *    without one in process (nothing is derived then);
 * 4. RSA, with a modulus of 2048 to 4096 bits and public exponent 65537: what Snowflake and
 *    Google accept. A larger modulus or exponent only makes each signature cost more (a 16384-bit
 *    key with a huge exponent takes seconds per signature).
 */
export const RSA_MODULUS_BITS = { min: 2048, max: 4096 } as const;
export const RSA_PUBLIC_EXPONENT = 65537n;

export type KeyProblem = 'not_one_pem_block' | 'costly_derivation' | 'unreadable' | 'too_slow' | 'not_rsa' | 'rsa_size';

/** What the key must be, phrased to follow the field name ("credentials.private_key: must be ..."). */
export const KEY_REQUIREMENTS: Record<KeyProblem, string> = {
  not_one_pem_block:
    'must be one PEM private key (-----BEGIN PRIVATE KEY----- ... -----END PRIVATE KEY-----) with nothing but whitespace around it',
  costly_derivation: `must be unencrypted or encrypted with PBKDF2 (at most ${MAX_KEY_DERIVATION_ITERATIONS.toLocaleString('en-US')} iterations)`,
  unreadable: 'must be a valid PEM private key (an encrypted one with its passphrase)',
  too_slow: `must open within ${KEY_OPENING_BUDGET_MS / 1000} s; re-encrypt it with fewer PBKDF2 iterations`,
  not_rsa: 'must be an RSA key (Snowflake and BigQuery sign with RS256)',
  rsa_size: `must be an RSA key of ${RSA_MODULUS_BITS.min} to ${RSA_MODULUS_BITS.max} bits with public exponent 65537, as Snowflake and BigQuery require`,
};

export type OpenedKey = { ok: true; key: KeyObject } | { ok: false; problem: KeyProblem };

/** Checks 1 and 2: what can be known without opening the key. */
export function keyTextProblem(pem: string): KeyProblem | undefined {
  const block = readPrivateKeyPem(pem);
  if (!block) return 'not_one_pem_block';
  if (block.legacyEncrypted) return undefined; // one MD5 round, then a traditional key: nothing costly
  const derivation = keyDerivation(block.der);
  if (derivation === 'malformed') return 'unreadable';
  if (derivation === 'too_costly') return 'costly_derivation';
  return undefined;
}

/** All four checks, for a key given without a passphrase: in process, since nothing is derived. */
export function openUnencryptedSigningKey(pem: string): OpenedKey {
  const problem = keyTextProblem(pem);
  if (problem) return { ok: false, problem };
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    return { ok: false, problem: 'unreadable' };
  }
  return checkRsaSigningKey(key);
}

/** All four checks; with a passphrase the key is opened in a worker process, ending at the budget or when `signal` aborts. */
export async function openSigningKey(pem: string, passphrase: string | undefined, signal?: AbortSignal): Promise<OpenedKey> {
  if (passphrase === undefined) return openUnencryptedSigningKey(pem);
  const problem = keyTextProblem(pem);
  if (problem) return { ok: false, problem };
  const opening = await openKeyInWorker(pem, passphrase, signal ? { signal } : {});
  if (opening.outcome !== 'opened') return { ok: false, problem: opening.outcome };
  return checkRsaSigningKey(createPrivateKey({ key: opening.pkcs8, format: 'pem' }));
}

function checkRsaSigningKey(key: KeyObject): OpenedKey {
  if (key.asymmetricKeyType !== 'rsa') return { ok: false, problem: 'not_rsa' };
  const { modulusLength = 0, publicExponent } = key.asymmetricKeyDetails ?? {};
  if (modulusLength < RSA_MODULUS_BITS.min || modulusLength > RSA_MODULUS_BITS.max || publicExponent !== RSA_PUBLIC_EXPONENT) {
    return { ok: false, problem: 'rsa_size' };
  }
  return { ok: true, key };
}
