/**
 * Reads a private key's PEM text the strict way: exactly one block, with nothing but whitespace
 * around it. OpenSSL's reader skips any line that does not start a block and takes the first
 * block it can use, so text with a decoy before the real block ("x-----BEGIN ...") is read
 * differently by a lenient check than by OpenSSL. Refusing everything but one clean block makes
 * the block checked here the only one OpenSSL can open.
 */
export interface PrivateKeyPem {
  label: (typeof LABELS)[number];
  /** The block's bytes (ciphertext when `legacyEncrypted`). */
  der: Buffer;
  /** Traditional "Proc-Type: 4,ENCRYPTED" encryption: one MD5 round, no costly derivation. */
  legacyEncrypted: boolean;
}

/** PKCS#8 (plain and encrypted), and the traditional RSA and EC forms, which OpenSSL also writes. */
const LABELS = ['PRIVATE KEY', 'ENCRYPTED PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY'] as const;
const TRADITIONAL_LABELS: readonly string[] = ['RSA PRIVATE KEY', 'EC PRIVATE KEY'];

const BASE64_LINE = /^[A-Za-z0-9+/]+={0,2}$/;
const PROC_TYPE = /^Proc-Type: 4,ENCRYPTED$/;
const DEK_INFO = /^DEK-Info: [A-Z0-9-]{1,32},[0-9A-Fa-f]{16,64}$/;

export function readPrivateKeyPem(text: string): PrivateKeyPem | undefined {
  const lines = text
    .trim()
    .split(/\r?\n/)
    .map((line) => line.trim());
  const begin = /^-----BEGIN ([A-Z ]+)-----$/.exec(lines[0] ?? '')?.[1];
  const label = LABELS.find((candidate) => candidate === begin);
  if (label === undefined || lines.at(-1) !== `-----END ${label}-----`) return undefined;
  let body = lines.slice(1, -1);

  // RFC 1421 headers, only as OpenSSL writes them for traditional encrypted keys.
  const legacyEncrypted = PROC_TYPE.test(body[0] ?? '');
  if (legacyEncrypted) {
    if (!TRADITIONAL_LABELS.includes(label) || !DEK_INFO.test(body[1] ?? '') || body[2] !== '') return undefined;
    body = body.slice(3);
  }
  if (body.length === 0 || !body.every((line) => BASE64_LINE.test(line))) return undefined;
  const base64 = body.join('');
  if (base64.length % 4 !== 0 || /=[^=]/.test(base64)) return undefined;
  return { label, der: Buffer.from(base64, 'base64'), legacyEncrypted };
}
