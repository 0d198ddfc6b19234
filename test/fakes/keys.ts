import { createPublicKey, generateKeyPair, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';

export interface TestKeyPair {
  /** PKCS#8 PEM, encrypted (AES-256-CBC) when a passphrase was given. */
  privateKeyPem: string;
  publicKey: KeyObject;
}

const generateRsa = promisify(generateKeyPair);

function toPair(privateKey: KeyObject, passphrase?: string): TestKeyPair {
  const privateKeyPem = privateKey
    .export(
      passphrase === undefined ? { type: 'pkcs8', format: 'pem' } : { type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase },
    )
    .toString();
  return { privateKeyPem, publicKey: createPublicKey(privateKey) };
}

/**
 * Fresh RSA keys, one per use: each private key doubles as a canary nobody else knows. A 2048-bit
 * key takes up to a second to generate, so a test file fills its pool in parallel up front.
 */
export class RsaKeyPool {
  private readonly keys: KeyObject[] = [];

  constructor(private readonly modulusLength = 2048) {}

  async fill(count: number): Promise<void> {
    const pairs = await Promise.all(Array.from({ length: count }, () => generateRsa('rsa', { modulusLength: this.modulusLength })));
    this.keys.push(...pairs.map((pair) => pair.privateKey));
  }

  take(passphrase?: string): TestKeyPair {
    const key = this.keys.pop() ?? generateKeyPairSync('rsa', { modulusLength: this.modulusLength }).privateKey;
    return toPair(key, passphrase);
  }
}

/** A valid key that cannot sign RS256. */
export function ecPrivateKeyPem(): string {
  return generateKeyPairSync('ec', {
    namedCurve: 'P-256',
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  }).privateKey;
}

/** Distinctive lines of a PEM body: if any shows up in output, the key leaked. */
export function pemCanaries(pem: string): string[] {
  return pem
    .split('\n')
    .filter((line) => line.length >= 40 && !line.startsWith('-----'))
    .slice(1, 4);
}
