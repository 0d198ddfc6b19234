import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { apiGatewayJwtVerifier, type TokenVerifier } from '../jwt.js';

/**
 * Stands in for the issuer the template's authorizer trusts (the stack's Cognito user pool, or an
 * external OIDC issuer): a key held here signs tokens whose `iss` is the template's issuer, and the
 * rehearsal's authorizer verifies them with that key instead of fetching the issuer's JWKS.
 * Tokens come in Cognito's two shapes: ID tokens (`aud` = app client, `token_use: id`, the user's
 * attributes such as `custom:org_id`) and access tokens (`client_id`, no `aud`, `token_use:
 * access`, `scope`, no custom attributes).
 */
export interface CognitoUser {
  sub?: string;
  email?: string;
  /** User attributes as claims, e.g. `{ 'custom:org_id': 'acme' }`. */
  attributes?: Record<string, string>;
}

export interface RehearsalIssuer {
  idToken(issuer: string, clientId: string, user: CognitoUser, options?: { expiresInSeconds?: number }): Promise<string>;
  accessToken(issuer: string, clientId: string, user: CognitoUser, options?: { scope?: string }): Promise<string>;
  verifierFor(issuer: string, audiences: string[]): TokenVerifier;
}

const ALGORITHM = 'RS256';

export async function rehearsalIssuer(): Promise<RehearsalIssuer> {
  const { privateKey, publicKey } = await generateKeyPair(ALGORITHM, { extractable: true });
  const kid = `rehearsal-${randomUUID()}`;
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: ALGORITHM, use: 'sig' };

  const sign = (claims: Record<string, unknown>, issuer: string, expiresInSeconds = 3600) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: ALGORITHM, kid })
      .setIssuer(issuer)
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + expiresInSeconds)
      .setJti(randomUUID())
      .sign(privateKey as CryptoKey);

  return {
    idToken: (issuer, clientId, user, options = {}) => {
      const sub = user.sub ?? randomUUID();
      return sign(
        {
          sub,
          aud: clientId,
          token_use: 'id',
          auth_time: Math.floor(Date.now() / 1000),
          'cognito:username': sub,
          email: user.email ?? `${sub}@example.com`,
          email_verified: true,
          ...user.attributes,
        },
        issuer,
        options.expiresInSeconds,
      );
    },
    accessToken: (issuer, clientId, user, options = {}) => {
      const sub = user.sub ?? randomUUID();
      return sign(
        {
          sub,
          client_id: clientId,
          token_use: 'access',
          scope: options.scope ?? 'aws.cognito.signin.user.admin',
          auth_time: Math.floor(Date.now() / 1000),
          username: sub,
        },
        issuer,
      );
    },
    verifierFor: (issuer, audiences) => apiGatewayJwtVerifier({ jwks: { keys: [publicJwk] }, issuer, audiences }),
  };
}
