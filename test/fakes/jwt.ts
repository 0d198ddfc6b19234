import { createHash, verify, type KeyObject } from 'node:crypto';

export interface VerifiedJwt {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
}

function decodePart(part: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Reads a JWT's claims without trusting them (to find out whose key should have signed it). */
export function unverifiedClaims(token: string): Record<string, unknown> | undefined {
  const payload = token.split('.')[1];
  return payload === undefined ? undefined : decodePart(payload);
}

/** Checks an RS256 signature against a public key; undefined when malformed or not signed by it. */
export function verifyRs256(token: string, publicKey: KeyObject): VerifiedJwt | undefined {
  const [headerPart, payloadPart, signaturePart, ...rest] = token.split('.');
  if (headerPart === undefined || payloadPart === undefined || signaturePart === undefined || rest.length > 0) return undefined;
  const header = decodePart(headerPart);
  const claims = decodePart(payloadPart);
  if (!header || !claims || header.alg !== 'RS256') return undefined;
  const signed = verify('RSA-SHA256', Buffer.from(`${headerPart}.${payloadPart}`), publicKey, Buffer.from(signaturePart, 'base64url'));
  return signed ? { header, claims } : undefined;
}

/** Snowflake's key fingerprint: SHA256 of the DER public key (SPKI), base64. */
export function snowflakeFingerprint(publicKey: KeyObject): string {
  return `SHA256:${createHash('sha256')
    .update(publicKey.export({ format: 'der', type: 'spki' }))
    .digest('base64')}`;
}

/** Seconds since the epoch; snowflake-sdk sends milliseconds in iat/exp, so both are accepted. */
export function epochSeconds(value: unknown): number | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value)) return undefined;
  return value > 1e11 ? value / 1000 : value;
}
