import { createPrivateKey, type KeyObject } from 'node:crypto';
import { keyDerivationWithinLimit } from '../crypto/key-derivation-cost.js';
import { ProbeFailure } from './verdict.js';

/**
 * Opens a PEM private key in memory (decrypting it when a passphrase is given) and returns it as an
 * unencrypted PKCS#8 PEM string, the form both JWT signers (snowflake-sdk, google-auth-library)
 * take. Both sign RS256, so any other key type is refused here rather than deep inside a driver.
 * Never written to disk; the failure message never repeats the key or the passphrase.
 */
export function rsaPrivateKeyPem(pem: string, passphrase: string | undefined, field: string): string {
  let key: KeyObject;
  if (!keyDerivationWithinLimit(pem)) {
    throw new ProbeFailure('invalid_credentials', `The private key in ${field} uses a key derivation the service does not run (too costly or unknown). Re-encrypt it with PBKDF2.`);
  }
  try {
    key = createPrivateKey(passphrase === undefined ? { key: pem, format: 'pem' } : { key: pem, format: 'pem', passphrase });
  } catch {
    throw new ProbeFailure('invalid_credentials', `The private key in ${field} could not be opened. Check the key and its passphrase.`);
  }
  if (key.asymmetricKeyType !== 'rsa') {
    throw new ProbeFailure('invalid_credentials', `The private key in ${field} must be an RSA key (RS256 signing); this one is ${key.asymmetricKeyType ?? 'of another type'}.`);
  }
  return key.export({ format: 'pem', type: 'pkcs8' }).toString();
}
