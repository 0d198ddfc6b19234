import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';

/**
 * Private keys as an attacker would send them: encrypted keys whose key derivation is costly, and
 * the decoy PEM of issue 10 (a cheap block the checker reads, then a costly block OpenSSL reads).
 */

export function rsaKeyPem(modulusLength = 2048, publicExponent = 65537): string {
  return generateKeyPairSync('rsa', { modulusLength, publicExponent }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** openssl re-encrypts the key with the given PKCS#8 options (passphrase as given). */
export function encryptedWithOpenssl(plainPem: string, passphrase: string, ...options: string[]): string {
  return execFileSync('openssl', ['pkcs8', '-topk8', '-passout', `pass:${passphrase}`, ...options], { input: plainPem, encoding: 'utf8' });
}

interface DerNode {
  tag: number;
  content?: Buffer;
  children?: DerNode[];
}

function decode(buffer: Buffer): DerNode[] {
  const nodes: DerNode[] = [];
  for (let offset = 0; offset < buffer.length;) {
    const tag = buffer[offset]!;
    let length = buffer[offset + 1]!;
    let start = offset + 2;
    if (length & 0x80) {
      const bytes = length & 0x7f;
      length = 0;
      for (let index = 0; index < bytes; index += 1) length = length * 256 + buffer[start + index]!;
      start += bytes;
    }
    const content = buffer.subarray(start, start + length);
    nodes.push(tag & 0x20 ? { tag, children: decode(content) } : { tag, content });
    offset = start + length;
  }
  return nodes;
}

function encode(nodes: DerNode[]): Buffer {
  return Buffer.concat(
    nodes.map((node) => {
      const content = node.children ? encode(node.children) : node.content!;
      const lengthBytes: number[] = [];
      for (let rest = content.length; rest > 0; rest = Math.floor(rest / 256)) lengthBytes.unshift(rest % 256);
      const length = content.length < 128 ? [content.length] : [0x80 | lengthBytes.length, ...lengthBytes];
      return Buffer.concat([Buffer.from([node.tag, ...length]), content]);
    }),
  );
}

/**
 * The same PBES2 key with its PBKDF2 iteration count rewritten (the ciphertext no longer matches,
 * which OpenSSL only finds out after deriving): a costly key without spending the time to make one.
 */
export function withIterations(encryptedPem: string, iterations: number): string {
  const body = encryptedPem
    .split('\n')
    .filter((line) => line && !line.startsWith('-----'))
    .join('');
  const tree = decode(Buffer.from(body, 'base64'));
  const pbkdf2Parameters = tree[0]!.children![0]!.children![1]!.children![0]!.children![1]!;
  const hex = iterations.toString(16).padStart(8, '0');
  pbkdf2Parameters.children![1] = { tag: 0x02, content: Buffer.from(hex, 'hex') };
  const base64 = encode(tree).toString('base64');
  return `-----BEGIN ENCRYPTED PRIVATE KEY-----\n${base64.match(/.{1,64}/g)!.join('\n')}\n-----END ENCRYPTED PRIVATE KEY-----\n`;
}

/**
 * Issue 10's decoy: "x" + a cheap encrypted key + a key with 16,000,000 PBKDF2 iterations. A check
 * that reads the first BEGIN anywhere sees the cheap one; OpenSSL skips the line that does not start
 * with "-----BEGIN" and derives the costly one (about 12 s, on the event loop).
 */
export function decoyKey(passphrase: string): string {
  const cheap = encryptedWithOpenssl(rsaKeyPem(), passphrase, '-v2', 'aes-256-cbc');
  const costly = withIterations(cheap, 16_000_000);
  return `x${cheap}\n${costly}`;
}
