import { describe, expect, test } from '@jest/globals';
import { keyDerivationWithinLimit } from '../../lib/crypto/key-derivation-cost.js';
import { ValidationError } from '../../lib/errors.js';
import { readPrivateKeyPem } from '../../lib/providers/private-key-pem.js';
import { parseConnectionRequest } from '../../lib/schema/connection.js';
import { snowflakeBody } from '../helpers/bodies.js';
import { encryptedWithOpenssl, rsaKeyPem, withIterations } from '../providers/hostile-keys.js';

const plainKey = rsaKeyPem();
const encrypted = (...options: string[]) => encryptedWithOpenssl(plainKey, 'pass', ...options);
const der = (pem: string) => readPrivateKeyPem(pem)?.der ?? Buffer.alloc(0);

describe('the cost of opening an encrypted key is read before anything is derived', () => {
  test.each([
    ['an unencrypted key', () => plainKey, true],
    ['PBKDF2 with 2,048 iterations (OpenSSL default)', () => encrypted('-v2', 'aes-256-cbc'), true],
    ['PBKDF2 with 600,000 iterations', () => encrypted('-v2', 'aes-256-cbc', '-iter', '600000'), true],
    ['PBKDF2 with 1,000,001 iterations', () => encrypted('-v2', 'aes-256-cbc', '-iter', '1000001'), false],
    ['PBKDF2 with 2^31-1 iterations', () => withIterations(encrypted('-v2', 'aes-256-cbc'), 2 ** 31 - 1), false],
    ['scrypt', () => encrypted('-scrypt'), false],
    ['a truncated encrypted key', () => encrypted('-v2', 'aes-256-cbc').replace(/\n[A-Za-z0-9+/=]+\n-----END/, '\n-----END'), false],
  ])('%s', (_, key, accepted) => {
    expect(keyDerivationWithinLimit(der(key()))).toBe(accepted);
  });

  test('the shape decides, not the label: an encrypted key under a plain PRIVATE KEY label is still measured', () => {
    const costly = withIterations(encrypted('-v2', 'aes-256-cbc'), 16_000_000).replaceAll('ENCRYPTED PRIVATE KEY', 'PRIVATE KEY');
    expect(keyDerivationWithinLimit(der(costly))).toBe(false);
  });

  test('a Snowflake key too costly to open is refused at create, naming the field', async () => {
    const costly = encrypted('-v2', 'aes-256-cbc', '-iter', '1000001');
    const failure = await parseConnectionRequest(
      snowflakeBody({}, { auth_method: 'key_pair', password: undefined, private_key: costly, private_key_passphrase: 'pass' }),
    ).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ValidationError);
    expect((failure as ValidationError).details).toEqual([
      { field: 'credentials.private_key', message: expect.stringContaining('PBKDF2') },
    ]);
  });
});
