import { generateKeyPair, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import type { SecretFields } from './definition-parts.js';

const generateRsaKeyPair = promisify(generateKeyPair);

/**
 * Stand-ins for stored secrets an edit keeps without knowing them (only the test function may
 * decrypt), so the provider's request schema can validate the edited definition whole, its
 * cross-field rules included, exactly as at create. Each is a valid value of its kind and is
 * thrown away after validation, never stored or returned: a password is random text, a private
 * key a freshly generated RSA key (encrypted under the stand-in passphrase when the stored key
 * has one). Keys are generated once per process, on the first edit that needs one.
 */
let unencryptedKey: Promise<string> | undefined;
let encryptedKey: Promise<{ pem: string; passphrase: string }> | undefined;

const PRIVATE_KEY = /(^|\.)private_key$/;
const PASSPHRASE = /(^|\.)private_key_passphrase$/;

export async function secretPlaceholders(paths: readonly string[]): Promise<SecretFields> {
  const placeholders: SecretFields = {};
  const hasPassphrase = paths.some((path) => PASSPHRASE.test(path));
  for (const path of paths) {
    if (PRIVATE_KEY.test(path)) {
      if (hasPassphrase) {
        const key = await encryptedPlaceholderKey();
        placeholders[path] = key.pem;
        for (const passphrasePath of paths.filter((candidate) => PASSPHRASE.test(candidate))) placeholders[passphrasePath] = key.passphrase;
      } else placeholders[path] = await unencryptedPlaceholderKey();
    } else if (!(path in placeholders)) placeholders[path] = `placeholder-${randomBytes(12).toString('hex')}`;
  }
  return placeholders;
}

function unencryptedPlaceholderKey(): Promise<string> {
  unencryptedKey ??= generateRsaKeyPair('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  }).then(({ privateKey }) => privateKey);
  return unencryptedKey;
}

function encryptedPlaceholderKey(): Promise<{ pem: string; passphrase: string }> {
  const passphrase = randomBytes(18).toString('base64url');
  encryptedKey ??= generateRsaKeyPair('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase },
  }).then(({ privateKey }) => ({ pem: privateKey, passphrase }));
  return encryptedKey;
}
