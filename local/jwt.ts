import { createRemoteJWKSet, exportJWK, generateKeyPair, importJWK, jwtVerify, SignJWT, type JWK, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * What API Gateway's JWT authorizer does, for the local runtime: RSA signatures only, the issuer
 * must match, `aud` (or Cognito's `client_id`) must be an accepted audience, `exp`/`nbf` hold.
 * Tokens come from a local issuer whose key lives under the data directory, or from any OIDC
 * issuer through its JWKS URL.
 */
export const LOCAL_ISSUER = 'https://issuer.warehouse-connections.local';
export const LOCAL_AUDIENCE = 'warehouse-connections';
const ALGORITHM = 'RS256';
const ACCEPTED_ALGORITHMS = ['RS256', 'RS384', 'RS512'];

export type Claims = JWTPayload & Record<string, unknown>;

export class TokenRejectedError extends Error {
  override name = 'TokenRejectedError';
}

export interface TokenVerifier {
  verify(authorizationHeader: string | undefined): Promise<Claims>;
}

export interface SignOptions {
  expiresIn?: string | number;
  notBefore?: string | number;
  /** Overrides, to mint tokens the verifier must refuse. */
  issuer?: string;
  audience?: string;
}

export interface LocalIssuer {
  issuer: string;
  audience: string;
  /** The verification key, as a JWKS would publish it. */
  publicJwk: JWK;
  sign(claims: Claims, options?: SignOptions): Promise<string>;
  verifier(): TokenVerifier;
}

/** Loads the local signing key from `dataDir` (made on first use), or keeps a fresh one in memory. */
export async function localIssuer(options: { dataDir?: string; issuer?: string; audience?: string } = {}): Promise<LocalIssuer> {
  const issuer = options.issuer ?? LOCAL_ISSUER;
  const audience = options.audience ?? LOCAL_AUDIENCE;
  const { privateJwk, publicJwk } = await loadOrCreateKeyPair(options.dataDir);
  const privateKey = await importJWK(privateJwk, ALGORITHM);
  const publicKey = await importJWK(publicJwk, ALGORITHM);
  return {
    issuer,
    audience,
    publicJwk,
    async sign(claims, signOptions = {}) {
      const jwt = new SignJWT(claims)
        .setProtectedHeader({ alg: ALGORITHM, kid: publicJwk.kid ?? 'local', typ: 'JWT' })
        .setIssuer(signOptions.issuer ?? issuer)
        .setAudience(signOptions.audience ?? audience)
        .setIssuedAt()
        .setExpirationTime(signOptions.expiresIn ?? '1h');
      if (signOptions.notBefore !== undefined) jwt.setNotBefore(signOptions.notBefore);
      return jwt.sign(privateKey);
    },
    verifier: () => jwtVerifier(publicKey, issuer, [audience]),
  };
}

/** A verifier for an external OIDC issuer, the way the deployed authorizer is configured with one. */
export function remoteVerifier(jwksUrl: string, issuer: string, audiences: string[]): TokenVerifier {
  return jwtVerifier(createRemoteJWKSet(new URL(jwksUrl)), issuer, audiences);
}

function jwtVerifier(key: JWTVerifyGetKey | Awaited<ReturnType<typeof importJWK>>, issuer: string, audiences: string[]): TokenVerifier {
  return {
    async verify(authorizationHeader) {
      const token = bearerToken(authorizationHeader);
      let payload: JWTPayload;
      try {
        const options = { issuer, algorithms: ACCEPTED_ALGORITHMS, requiredClaims: ['exp'] };
        // Same call twice: TypeScript picks jwtVerify's overload (key or key resolver) per branch.
        ({ payload } = typeof key === 'function' ? await jwtVerify(token, key, options) : await jwtVerify(token, key, options));
      } catch (error) {
        throw new TokenRejectedError(`The bearer token was rejected (${(error as { code?: string }).code ?? 'invalid'})`);
      }
      const tokenAudiences = [payload.aud, payload.client_id].flat().filter((value): value is string => typeof value === 'string');
      if (!tokenAudiences.some((value) => audiences.includes(value))) throw new TokenRejectedError('The bearer token is not meant for this API (audience)');
      return payload as Claims;
    },
  };
}

function bearerToken(header: string | undefined): string {
  const match = /^Bearer +([A-Za-z0-9._~+/=-]+)$/i.exec(header?.trim() ?? '');
  if (!match?.[1]) throw new TokenRejectedError('Send Authorization: Bearer <token>');
  return match[1];
}

async function loadOrCreateKeyPair(dataDir: string | undefined): Promise<{ privateJwk: JWK; publicJwk: JWK }> {
  const file = dataDir === undefined ? undefined : join(dataDir, 'jwt-signing-key.json');
  if (file) {
    try {
      const privateJwk = JSON.parse(await readFile(file, 'utf8')) as JWK;
      return { privateJwk, publicJwk: publicPart(privateJwk) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  const { privateKey } = await generateKeyPair(ALGORITHM, { extractable: true });
  const privateJwk = { ...(await exportJWK(privateKey)), kid: `local-${Date.now().toString(36)}`, alg: ALGORITHM };
  if (dataDir && file) {
    await mkdir(dataDir, { recursive: true });
    await writeFile(file, JSON.stringify(privateJwk), { mode: 0o600 });
  }
  return { privateJwk, publicJwk: publicPart(privateJwk) };
}

function publicPart(jwk: JWK): JWK {
  const { kty, n, e, kid, alg } = jwk;
  return { kty, n, e, kid, alg } as JWK;
}
