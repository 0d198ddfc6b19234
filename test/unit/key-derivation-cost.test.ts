import { describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { keyDerivationWithinLimit } from '../../lib/crypto/key-derivation-cost.js';
import { parseConnectionRequest } from '../../lib/schema/connection.js';
import { ValidationError } from '../../lib/errors.js';
import { snowflakeBody } from '../helpers/bodies.js';

const plainKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
/** openssl re-encrypts the key with the given PKCS#8 options (passphrase "pass"). */
const encrypted = (...options: string[]) =>
  execFileSync('openssl', ['pkcs8', '-topk8', '-passout', 'pass:pass', ...options], { input: plainKey, encoding: 'utf8' });

describe('the cost of opening an encrypted key is read before anything is derived', () => {
  test.each([
    ['an unencrypted key', () => plainKey, true],
    ['PBKDF2 with 2,048 iterations (OpenSSL default)', () => encrypted('-v2', 'aes-256-cbc'), true],
    ['PBKDF2 with 600,000 iterations', () => encrypted('-v2', 'aes-256-cbc', '-iter', '600000'), true],
    ['PBKDF2 with 1,000,001 iterations', () => encrypted('-v2', 'aes-256-cbc', '-iter', '1000001'), false],
    ['scrypt', () => encrypted('-scrypt'), false],
    ['a truncated encrypted key', () => encrypted('-v2', 'aes-256-cbc').replace(/\n[A-Za-z0-9+/=]+\n-----END/, '\n-----END'), false],
  ])('%s', (_, key, accepted) => {
    expect(keyDerivationWithinLimit(key())).toBe(accepted);
  });

  test('a Snowflake key too costly to open is refused at create, naming the field', () => {
    const costly = encrypted('-v2', 'aes-256-cbc', '-iter', '1000001');
    let failure: unknown;
    try {
      parseConnectionRequest(snowflakeBody({}, { auth_method: 'key_pair', password: undefined, private_key: costly, private_key_passphrase: 'pass' }));
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(ValidationError);
    expect((failure as ValidationError).details).toEqual([{ field: 'credentials.private_key', message: expect.stringContaining('PBKDF2') }]);
  });
});
