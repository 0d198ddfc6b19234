import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { JWK } from 'jose';
import { createPrivateKey, sign, type JsonWebKey } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiGatewayJwtVerifier, localIssuer, remoteVerifier, type LocalIssuer, type TokenVerifier } from '../../local/jwt.js';

/**
 * The local JWT verifier against API Gateway HTTP API's documented JWT authorizer rules (issue 10,
 * item 11), with Cognito's two token shapes: ID tokens (`aud` = app client id) and access tokens
 * (`client_id`, no `aud`). Tokens no JSON serializer would write (duplicate names) are signed by
 * hand with the issuer's own key.
 */
const ISSUER = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Local';
const CLIENT_ID = 'app-client-1';
const now = () => Math.floor(Date.now() / 1000);
let dataDir: string;
let issuer: LocalIssuer;
let verifier: TokenVerifier;
let privateJwk: JWK;
let jwksServer: Server;
let jwksUrl: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'wc-jwt-'));
  issuer = await localIssuer({ dataDir, issuer: ISSUER, audience: CLIENT_ID });
  verifier = issuer.verifier();
  privateJwk = JSON.parse(await readFile(join(dataDir, 'jwt-signing-key.json'), 'utf8')) as JWK;
  // Many OIDC issuers publish keys without `alg`; then only the verifier's own list limits algorithms.
  const { alg: _alg, ...keyWithoutAlg } = issuer.publicJwk;
  jwksServer = createServer((_request, response) =>
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [keyWithoutAlg] })),
  );
  await new Promise<void>((ready) => jwksServer.listen(0, '127.0.0.1', ready));
  jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/.well-known/jwks.json`;
});
afterAll(async () => {
  jwksServer.close();
  await rm(dataDir, { recursive: true, force: true });
});

/** Signs exactly these header and payload texts (raw JSON) with the issuer's private key. */
function signRawParts(headerJson: string, payloadJson: string): string {
  const alg = (JSON.parse(headerJson) as { alg: string }).alg;
  const signingInput = `${Buffer.from(headerJson).toString('base64url')}.${Buffer.from(payloadJson).toString('base64url')}`;
  const key = createPrivateKey({ key: privateJwk as JsonWebKey, format: 'jwk' });
  return `${signingInput}.${sign(`sha${alg.slice(2)}`, Buffer.from(signingInput), key).toString('base64url')}`;
}

async function signRaw(payload: string, header: Record<string, unknown> = {}): Promise<string> {
  return signRawParts(JSON.stringify({ alg: 'RS256', kid: issuer.publicJwk.kid, typ: 'JWT', ...header }), payload);
}

const validClaims = () => ({
  sub: 'user-1',
  iss: ISSUER,
  aud: CLIENT_ID,
  token_use: 'id',
  'custom:org_id': 'acme',
  iat: now(),
  exp: now() + 3600,
});
const accepts = async (token: string, using = verifier) => expect(using.verify(`Bearer ${token}`)).resolves.toBeDefined();
const refuses = async (token: string, using = verifier) =>
  expect(using.verify(`Bearer ${token}`)).rejects.toMatchObject({ name: 'TokenRejectedError' });

describe('audience: aud when present, client_id only without aud', () => {
  test('a Cognito ID token (aud = the app client id) is accepted', async () => {
    await accepts(await issuer.sign({ sub: 'user-1', token_use: 'id', 'custom:org_id': 'acme' }));
  });

  test('a Cognito access token (client_id, no aud) is accepted', async () => {
    const token = await issuer.sign(
      { sub: 'user-1', client_id: CLIENT_ID, token_use: 'access', scope: 'aws.cognito.signin.user.admin' },
      { audience: null },
    );
    await accepts(token);
    expect(JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString())).not.toHaveProperty('aud');
  });

  test('a wrong aud is refused even when client_id matches', async () => {
    await refuses(await issuer.sign({ sub: 'user-1', client_id: CLIENT_ID }, { audience: 'another-app' }));
  });

  test('a token with neither aud nor client_id is refused', async () => {
    await refuses(await issuer.sign({ sub: 'user-1' }, { audience: null }));
  });

  test('an aud list is accepted when one of its values is an accepted audience', async () => {
    await accepts(await signRaw(JSON.stringify({ ...validClaims(), aud: ['another-app', CLIENT_ID] })));
  });

  test('a verifier built from an authorizer with several audiences accepts each and nothing else', async () => {
    const fromTemplate = apiGatewayJwtVerifier({
      jwks: { keys: [issuer.publicJwk] },
      issuer: ISSUER,
      audiences: ['web-client', CLIENT_ID],
    });
    await accepts(await issuer.sign({ sub: 'u' }, { audience: 'web-client' }), fromTemplate);
    await accepts(await issuer.sign({ sub: 'u', client_id: CLIENT_ID }, { audience: null }), fromTemplate);
    await refuses(await issuer.sign({ sub: 'u' }, { audience: 'mobile-client' }), fromTemplate);
  });
});

describe('lifetime: exp, nbf and iat', () => {
  test.each([
    ['valid for ten years', '3650d'],
    ['valid for 25 hours', '25h'],
  ])('a token %s is refused', async (_, expiresIn) => {
    await refuses(await issuer.sign({ sub: 'user-1' }, { expiresIn }));
  });

  test('a token valid for 24 hours is accepted', async () => {
    await accepts(await issuer.sign({ sub: 'user-1' }, { expiresIn: '24h' }));
  });

  test.each([
    ['a year in the future', 365 * 86_400],
    ['a minute in the future', 60],
  ])('a token issued (iat) %s is refused', async (_, ahead) => {
    await refuses(await signRaw(JSON.stringify({ ...validClaims(), iat: now() + ahead, exp: now() + ahead + 600 })));
  });

  test.each([
    ['no exp', { exp: undefined }],
    ['an exp in the past', { exp: now() - 1 }],
    ['an nbf in the future', { nbf: now() + 600 }],
    ['an iat that is not a number', { iat: String(now()) }],
  ])('a token with %s is refused', async (_, change) => {
    await refuses(await signRaw(JSON.stringify({ ...validClaims(), ...change })));
  });
});

describe('signature: RS256 with a key the issuer publishes, named by kid', () => {
  test('an RS256 token from the issuer is accepted through its JWKS URL, even without a token prefix', async () => {
    await accepts(await issuer.sign({ sub: 'user-1' }), remoteVerifier(jwksUrl, ISSUER, [CLIENT_ID]));
    await expect(verifier.verify(await issuer.sign({ sub: 'user-1' }))).resolves.toMatchObject({ sub: 'user-1' });
  });

  test.each(['RS384', 'RS512'])('an %s token signed with the issuer key is refused, even when the JWKS does not pin alg', async (alg) => {
    const token = await signRaw(JSON.stringify(validClaims()), { alg });
    await refuses(token, remoteVerifier(jwksUrl, ISSUER, [CLIENT_ID]));
    await refuses(token);
  });

  test('a token without kid is refused', async () => {
    await refuses(await signRaw(JSON.stringify(validClaims()), { kid: undefined }));
  });

  test('a token naming a key the issuer does not publish is refused', async () => {
    await refuses(await signRaw(JSON.stringify(validClaims()), { kid: 'some-other-key' }));
  });
});

describe('claim names appear once', () => {
  const signed = (json: string) => signRaw(json);
  const base = () => JSON.stringify(validClaims()).slice(1, -1);

  test.each([
    ['org_id twice, last one another organization', () => `{${base()},"org_id":"acme","org_id":"victim"}`],
    ['org_id twice, once spelled with a unicode escape', () => `{${base()},"org_id":"acme","org\\u005fid":"victim"}`],
    ['aud twice', () => `{${base()},"aud":"another-app"}`],
  ])('a payload with %s is refused', async (_, json) => {
    await refuses(await signed(json()));
  });

  test('the same name inside a nested object is not a duplicate claim', async () => {
    await accepts(await signed(`{${base()},"org_id":"acme","address":{"org_id":1},"list":[{"org_id":2}]}`));
  });

  test('a signed header naming kid twice is refused', async () => {
    const kid = issuer.publicJwk.kid!;
    await accepts(signRawParts(`{"alg":"RS256","kid":"${kid}"}`, JSON.stringify(validClaims())));
    await refuses(signRawParts(`{"alg":"RS256","kid":"unknown","kid":"${kid}"}`, JSON.stringify(validClaims())));
  });
});
