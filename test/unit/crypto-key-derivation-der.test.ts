import { describe, expect, test } from '@jest/globals';
import { keyDerivation } from '../../lib/crypto/key-derivation-cost.js';

/**
 * The DER reader behind the key-derivation cost check, on hand-built EncryptedPrivateKeyInfo
 * structures: the PKCS#5 v1 and PKCS#12 schemes, unknown schemes, and the length and iteration
 * encodings at and beyond what it reads. Found by mutation testing (docs/testing.md); keys made by
 * OpenSSL are in key-derivation-cost.test.ts.
 */
const OID = {
  pbeWithMd5AndDesCbc: '2a864886f70d010503', // 1.2.840.113549.1.5.3 (PKCS#5 v1)
  pbeWithShaAnd3KeyTripleDesCbc: '2a864886f70d010c0103', // 1.2.840.113549.1.12.1.3 (PKCS#12)
  pkcs7Data: '2a864886f70d010701', // 1.2.840.113549.1.7.1: as long as a PKCS#5 v1 OID, another arc
  underPkcs5Longer: '2a864886f70d01058101', // 1.2.840.113549.1.5.129: under the PKCS#5 arc, one byte longer
};

const tlv = (tag: number, content: Buffer): Buffer => Buffer.concat([Buffer.from([tag, ...lengthBytes(content.length)]), content]);
const sequence = (...children: Buffer[]) => tlv(0x30, Buffer.concat(children));

function lengthBytes(length: number, longForm = 0): number[] {
  if (longForm === 0 && length < 128) return [length];
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  while (bytes.length < longForm) bytes.unshift(0);
  return [0x80 | bytes.length, ...bytes];
}

/** PBEParameter / pkcs-12PbeParams: SEQUENCE { salt OCTET STRING, iterations INTEGER }, iterations as raw bytes. */
function encryptedKey(schemeOid: string, iterationBytes: string, iterationTag = 0x02): Buffer {
  const parameters = sequence(tlv(0x04, Buffer.alloc(8, 7)), tlv(iterationTag, Buffer.from(iterationBytes, 'hex')));
  const algorithm = sequence(tlv(0x06, Buffer.from(schemeOid, 'hex')), parameters);
  return sequence(algorithm, tlv(0x04, Buffer.alloc(64, 1)));
}

/** The same key with its outer SEQUENCE length written in `bytes` length bytes. */
function withOuterLengthBytes(key: Buffer, bytes: number): Buffer {
  const content = key.subarray(2);
  return Buffer.concat([Buffer.from([0x30, ...lengthBytes(content.length, bytes)]), content]);
}

describe('the PKCS#5 v1 and PKCS#12 schemes are measured by their iteration count', () => {
  test.each([
    ['PKCS#5 v1, 2,048 iterations', OID.pbeWithMd5AndDesCbc, '0800', 'within_limit'],
    ['PKCS#5 v1, 2,000,000 iterations', OID.pbeWithMd5AndDesCbc, '1e8480', 'too_costly'],
    ['PKCS#12, 2,048 iterations', OID.pbeWithShaAnd3KeyTripleDesCbc, '0800', 'within_limit'],
    ['PKCS#12, 2,000,000 iterations', OID.pbeWithShaAnd3KeyTripleDesCbc, '1e8480', 'too_costly'],
  ])('%s: %s', (_, oid, iterations, expected) => {
    expect(keyDerivation(encryptedKey(oid, iterations))).toBe(expected);
  });
});

describe('an unknown scheme is refused, whatever it looks like', () => {
  test.each([
    ['an OID as long as a PKCS#5 v1 one, on another arc', OID.pkcs7Data],
    ['an OID under the PKCS#5 arc but longer than its schemes', OID.underPkcs5Longer],
  ])('%s', (_, oid) => {
    expect(keyDerivation(encryptedKey(oid, '0800'))).toBe('too_costly');
  });
});

describe('iteration counts are read up to four bytes', () => {
  test('1,000,000 written in four bytes is within the limit', () => {
    expect(keyDerivation(encryptedKey(OID.pbeWithMd5AndDesCbc, '000f4240'))).toBe('within_limit');
  });

  test('a count in five bytes is refused even when its value is small', () => {
    expect(keyDerivation(encryptedKey(OID.pbeWithMd5AndDesCbc, '0000000010'))).toBe('too_costly');
  });

  test('a count that is not an INTEGER is refused, not read as one', () => {
    expect(keyDerivation(encryptedKey(OID.pbeWithMd5AndDesCbc, '0800', 0x04))).toBe('too_costly');
  });
});

describe('DER lengths', () => {
  const key = encryptedKey(OID.pbeWithMd5AndDesCbc, '0800');

  test('a length in four bytes is read', () => {
    expect(keyDerivation(withOuterLengthBytes(key, 4))).toBe('within_limit');
  });

  test('a length in five bytes is malformed', () => {
    expect(keyDerivation(withOuterLengthBytes(key, 5))).toBe('malformed');
  });

  test('an outer element that is not a SEQUENCE is malformed (the caller hears "unreadable", not "too costly")', () => {
    expect(keyDerivation(tlv(0x04, key))).toBe('malformed');
  });

  test('an indefinite length (BER, not DER) is malformed, never read as an empty, unencrypted key', () => {
    const indefinite = Buffer.concat([Buffer.from([0x30, 0x80]), key.subarray(2), Buffer.from([0, 0])]);
    expect(keyDerivation(indefinite)).toBe('malformed');
  });
});
