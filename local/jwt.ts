import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  importJWK,
  jwtVerify,
  SignJWT,
  type JSONWebKeySet,
  type JWK,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * API Gateway HTTP API's JWT authorizer, for the local runtime and the deployment rehearsal, with
 * the rules its developer guide documents ("Control access to HTTP APIs with JWT authorizers",
 * "Troubleshooting HTTP API JWT authorizers"):
 * - the token is the Authorization header, with or without the `Bearer ` prefix;
 * - the signature is checked with the issuer's key set; API Gateway documents "only RSA-based
 *   algorithms", and RS256 is the one accepted here: it is what Cognito and the local issuer sign
 *   with, and an algorithm is only listed when a test shows it verifies;
 * - `kid` in the header must name a key of the set; `iss` must equal the issuer;
 * - `aud`, when present, must be one of the audiences (a wrong `aud` is refused even if
 *   `client_id` matches); `client_id` is checked only when there is no `aud` (Cognito access tokens);
 * - `exp` after now, `nbf` before now, `iat` before now (no clock tolerance is documented: none here).
 * Stricter than API Gateway, on purpose (the guide documents no such bounds):
 * - a token may live at most 24 hours (`exp` − `iat`, or `exp` − now without `iat`): Cognito issues
 *   ID and access tokens for at most one day, so a longer one can only be a mistake or a forgery
 *   that outlives every key rotation;
 * - a claim name that appears twice in the payload (or a header parameter twice) is refused, as RFC
 *   7519 allows, rather than letting the last one win: `{"org_id":"a","org_id":"b"}` must never be
 *   read as either organization.
 * Tokens come from a local issuer whose key lives under the data directory, or from any OIDC
 * issuer through its JWKS URL.
 */
export const LOCAL_ISSUER = 'https://issuer.warehouse-connections.local';
export const LOCAL_AUDIENCE = 'warehouse-connections';
const ALGORITHM = 'RS256';
export const ACCEPTED_ALGORITHMS = [ALGORITHM];
export const MAX_TOKEN_LIFETIME_SECONDS = 24 * 60 * 60;

export type Claims = JWTPayload & Record<string, unknown>;

export class TokenRejectedError extends Error {
  override name = 'TokenRejectedError';
}

export interface TokenVerifier {
  verify(authorizationHeader: string | undefined): Promise<Claims>;
}

export interface ApiGatewayJwtOptions {
  /** The issuer's public keys: a key set as its `jwks_uri` serves it, or that URL. */
  jwks: JSONWebKeySet | URL;
  /** The authorizer's `issuer`. */
  issuer: string;
  /** The authorizer's `audience` list (app client ids for Cognito). */
  audiences: string[];
  /** The clock, in milliseconds (tests). */
  now?: () => number;
}

export interface SignOptions {
  expiresIn?: string | number;
  notBefore?: string | number;
  /** Overrides, to mint tokens the verifier must refuse. */
  issuer?: string;
  /** The `aud` claim; `null` leaves it out (Cognito access tokens carry `client_id` instead). */
  audience?: string | null;
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
  return {
    issuer,
    audience,
    publicJwk,
    async sign(claims, signOptions = {}) {
      const jwt = new SignJWT(claims)
        .setProtectedHeader({ alg: ALGORITHM, kid: publicJwk.kid ?? 'local', typ: 'JWT' })
        .setIssuer(signOptions.issuer ?? issuer)
        .setIssuedAt()
        .setExpirationTime(signOptions.expiresIn ?? '1h');
      const tokenAudience = signOptions.audience === undefined ? audience : signOptions.audience;
      if (tokenAudience !== null) jwt.setAudience(tokenAudience);
      if (signOptions.notBefore !== undefined) jwt.setNotBefore(signOptions.notBefore);
      return jwt.sign(privateKey);
    },
    verifier: () => apiGatewayJwtVerifier({ jwks: { keys: [publicJwk] }, issuer, audiences: [audience] }),
  };
}

/** A verifier for an external OIDC issuer, the way the deployed authorizer is configured with one. */
export function remoteVerifier(jwksUrl: string, issuer: string, audiences: string[]): TokenVerifier {
  return apiGatewayJwtVerifier({ jwks: new URL(jwksUrl), issuer, audiences });
}

/** A verifier with API Gateway's JWT authorizer rules (see the top of this file). */
export function apiGatewayJwtVerifier(options: ApiGatewayJwtOptions): TokenVerifier {
  const keys: JWTVerifyGetKey = options.jwks instanceof URL ? createRemoteJWKSet(options.jwks) : createLocalJWKSet(options.jwks);
  const audiences = [...options.audiences];
  return {
    async verify(authorizationHeader) {
      const token = bearerToken(authorizationHeader);
      const now = options.now?.() ?? Date.now();
      let kid: unknown;
      try {
        kid = decodeProtectedHeader(token).kid;
      } catch {
        throw new TokenRejectedError('The bearer token was rejected (ERR_JWT_INVALID)');
      }
      if (typeof kid !== 'string' || kid === '') throw new TokenRejectedError('The bearer token names no signing key (kid)');
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, keys, {
          issuer: options.issuer,
          algorithms: ACCEPTED_ALGORITHMS,
          requiredClaims: ['exp'],
          currentDate: new Date(now),
        }));
      } catch (error) {
        throw new TokenRejectedError(`The bearer token was rejected (${(error as { code?: string }).code ?? 'invalid'})`);
      }
      const [headerPart = '', payloadPart = ''] = token.split('.');
      if (hasDuplicateNames(headerPart) || hasDuplicateNames(payloadPart))
        throw new TokenRejectedError('The bearer token names a claim twice');
      if (!audienceMatches(payload, audiences)) throw new TokenRejectedError('The bearer token is not meant for this API (audience)');
      const nowSeconds = now / 1000;
      if (payload.iat !== undefined && payload.iat > nowSeconds)
        throw new TokenRejectedError('The bearer token was issued in the future (iat)');
      if (payload.exp! - (payload.iat ?? nowSeconds) > MAX_TOKEN_LIFETIME_SECONDS) {
        throw new TokenRejectedError(`The bearer token is valid for longer than ${MAX_TOKEN_LIFETIME_SECONDS / 3600} hours`);
      }
      return payload as Claims;
    },
  };
}

/** `aud` when the token has one (any of its values); Cognito's `client_id` only when it has none. */
function audienceMatches(payload: JWTPayload, audiences: string[]): boolean {
  if (payload.aud !== undefined) return [payload.aud].flat().some((value) => typeof value === 'string' && audiences.includes(value));
  return typeof payload.client_id === 'string' && audiences.includes(payload.client_id);
}

/**
 * Whether a JWT segment's top-level JSON object names a member twice, comparing decoded names
 * (`"org\u005fid"` is `"org_id"`). The segment already parsed as JSON, so strings and nesting are
 * all that need tracking.
 */
function hasDuplicateNames(segment: string): boolean {
  const json = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(segment, 'base64url'));
  const names = new Set<string>();
  let depth = 0;
  let expectName = false;
  for (let index = 0; index < json.length; index += 1) {
    const character = json[index];
    if (character === '"') {
      let end = index + 1;
      while (json[end] !== '"') end += json[end] === '\\' ? 2 : 1;
      if (depth === 1 && expectName) {
        const name = JSON.parse(json.slice(index, end + 1)) as string;
        if (names.has(name)) return true;
        names.add(name);
        expectName = false;
      }
      index = end;
    } else if (character === '{' || character === '[') {
      depth += 1;
      expectName = depth === 1 && character === '{';
    } else if (character === '}' || character === ']') {
      depth -= 1;
    } else if (character === ',' && depth === 1) {
      expectName = true;
    }
  }
  return false;
}

/** API Gateway takes the token alone or prefixed with `Bearer `. */
function bearerToken(header: string | undefined): string {
  const match = /^(?:Bearer +)?([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/i.exec(header?.trim() ?? '');
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
