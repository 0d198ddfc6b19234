/**
 * An encrypted PKCS#8 key names its own key-derivation cost, and Node derives it synchronously
 * when the key is opened: a key with two billion PBKDF2 iterations would block the process for
 * minutes. This reads the cost from the key's DER before anything is derived, so such keys are
 * refused up front. Only PBKDF2 (PBES2) and the PKCS#5/PKCS#12 password-based schemes are
 * accepted; scrypt and anything unknown are refused.
 *
 * It reads DER, not PEM: which PEM block OpenSSL would decode is the PEM reader's question
 * (lib/providers/private-key-pem.ts accepts exactly one block, so the block checked here is the
 * block OpenSSL opens).
 */
export const MAX_KEY_DERIVATION_ITERATIONS = 1_000_000;

const OID = {
  pbes2: '2a864886f70d01050d',
  pbkdf2: '2a864886f70d01050c',
  pbes1Prefix: '2a864886f70d0105',
  pkcs12PbePrefix: '2a864886f70d010c01',
} as const;

interface Element {
  tag: number;
  content: Buffer;
  end: number;
}

const SEQUENCE = 0x30;

/**
 * Whatever cannot be read: keyDerivation turns it into 'malformed' or 'too_costly' and nothing
 * ever shows it, so it carries no message.
 */
class UnreadableDer extends Error {}

/**
 * What opening the key would derive. The shape decides, not the PEM label: an
 * EncryptedPrivateKeyInfo starts with the algorithm SEQUENCE, every unencrypted key format
 * (PKCS#8, PKCS#1, SEC 1) with a version INTEGER.
 * - none: not encrypted, nothing to derive;
 * - within_limit: PBKDF2 or a PKCS#5/PKCS#12 scheme within MAX_KEY_DERIVATION_ITERATIONS;
 * - too_costly: more iterations, scrypt, an unknown scheme, or a cost that cannot be read;
 * - malformed: not DER at all (OpenSSL cannot open it either).
 */
export type KeyDerivation = 'none' | 'within_limit' | 'too_costly' | 'malformed';

export function keyDerivation(der: Buffer): KeyDerivation {
  let first: Element | undefined;
  try {
    [first] = children(read(der, 0, SEQUENCE).content);
  } catch {
    return 'malformed';
  }
  if (first?.tag !== SEQUENCE) return 'none';
  try {
    return iterationsOf(der) <= MAX_KEY_DERIVATION_ITERATIONS ? 'within_limit' : 'too_costly';
  } catch {
    return 'too_costly';
  }
}

/** True when opening the key derives nothing, or within the limit. */
export function keyDerivationWithinLimit(der: Buffer): boolean {
  const derivation = keyDerivation(der);
  return derivation === 'none' || derivation === 'within_limit';
}

function iterationsOf(der: Buffer): number {
  const info = children(read(der, 0, SEQUENCE).content);
  const [algorithm, parameters] = children(expect(info[0], 0x30).content);
  const oid = expect(algorithm, 0x06).content.toString('hex');
  if (oid === OID.pbes2) {
    const [kdf] = children(expect(parameters, 0x30).content);
    const [kdfOid, kdfParameters] = children(expect(kdf, 0x30).content);
    if (expect(kdfOid, 0x06).content.toString('hex') !== OID.pbkdf2) throw new UnreadableDer();
    return saltAndIterations(kdfParameters);
  }
  if (oid.startsWith(OID.pkcs12PbePrefix) || (oid.startsWith(OID.pbes1Prefix) && oid.length === OID.pbes1Prefix.length + 2)) {
    return saltAndIterations(parameters);
  }
  throw new UnreadableDer();
}

function saltAndIterations(parameters: Element | undefined): number {
  const [salt, iterations] = children(expect(parameters, 0x30).content);
  expect(salt, 0x04);
  const count = expect(iterations, 0x02).content;
  if (count.length > 4) throw new UnreadableDer();
  return count.reduce((value, byte) => value * 256 + byte, 0);
}

function children(content: Buffer): Element[] {
  const elements: Element[] = [];
  for (let offset = 0; offset < content.length;) {
    const element = read(content, offset);
    elements.push(element);
    offset = element.end;
  }
  return elements;
}

function read(buffer: Buffer, offset: number, expectedTag?: number): Element {
  const tag = buffer[offset];
  let length = buffer[offset + 1];
  if (tag === undefined || length === undefined) throw new UnreadableDer();
  let start = offset + 2;
  if (length & 0x80) {
    const bytes = length & 0x7f;
    if (bytes === 0 || bytes > 4) throw new UnreadableDer();
    length = 0;
    for (let index = 0; index < bytes; index += 1) length = length * 256 + (buffer[start + index] ?? Number.NaN);
    start += bytes;
  }
  if (!Number.isFinite(length) || start + length > buffer.length) throw new UnreadableDer();
  if (expectedTag !== undefined && tag !== expectedTag) throw new UnreadableDer();
  return { tag, content: buffer.subarray(start, start + length), end: start + length };
}

function expect(element: Element | undefined, tag: number): Element {
  if (!element || element.tag !== tag) throw new UnreadableDer();
  return element;
}
