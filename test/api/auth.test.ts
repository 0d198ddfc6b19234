import { describe, expect, test } from '@jest/globals';
import { createHmac, createPublicKey, type JsonWebKey } from 'node:crypto';
import { localIssuer } from '../../local/jwt.js';
import { postgresBody } from '../helpers/bodies.js';
import { capturedLogLines } from '../helpers/logs.js';
import { useTestApi } from '../helpers/transports.js';

const { api, transport } = useTestApi();
const http = transport('http');

const base64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

function unsignedToken(header: object, payload: object, signature = ''): string {
  return `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}.${signature}`;
}

/** Each builds a token (or header) that API Gateway's JWT authorizer would refuse. */
const refusals: [string, () => Promise<string | undefined>][] = [
  ['no Authorization header', async () => undefined],
  ['a Basic header', async () => 'Basic dXNlcjpwYXNz'],
  ['Bearer with nothing after it', async () => 'Bearer '],
  ['a token that is not a JWT', async () => 'Bearer not-a-jwt'],
  ['an expired token', async () => `Bearer ${await api().issuer.sign({ org_id: 'org-a' }, { expiresIn: now() - 60 })}`],
  ['a token not valid yet', async () => `Bearer ${await api().issuer.sign({ org_id: 'org-a' }, { notBefore: now() + 600 })}`],
  ['a token from another issuer', async () => `Bearer ${await api().issuer.sign({ org_id: 'org-a' }, { issuer: 'https://evil.example' })}`],
  ['a token for another audience', async () => `Bearer ${await api().issuer.sign({ org_id: 'org-a' }, { audience: 'another-api' })}`],
  ['a token signed by an unknown key', async () => `Bearer ${await (await localIssuer()).sign({ org_id: 'org-a' })}`],
  [
    'a token whose payload was changed after signing',
    async () => {
      const [header, , signature] = (await api().issuer.sign({ org_id: 'org-a' })).split('.');
      const forged = base64url(JSON.stringify({ org_id: 'org-b', iss: api().issuer.issuer, aud: api().issuer.audience, exp: now() + 600 }));
      return `Bearer ${header}.${forged}.${signature}`;
    },
  ],
  [
    'alg none',
    async () =>
      `Bearer ${unsignedToken({ alg: 'none', typ: 'JWT' }, { org_id: 'org-a', iss: api().issuer.issuer, aud: api().issuer.audience, exp: now() + 600 })}`,
  ],
  [
    'HS256 signed with the public key',
    async () => {
      const { kid } = api().issuer.publicJwk;
      const publicPem = createPublicKey({ key: api().issuer.publicJwk as JsonWebKey, format: 'jwk' }).export({
        type: 'spki',
        format: 'pem',
      });
      const body = `${base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid }))}.${base64url(JSON.stringify({ org_id: 'org-a', iss: api().issuer.issuer, aud: api().issuer.audience, exp: now() + 600 }))}`;
      return `Bearer ${body}.${createHmac('sha256', publicPem).update(body).digest('base64url')}`;
    },
  ],
];

describe('the local API Gateway verifies tokens as the JWT authorizer does', () => {
  test.each(refusals)('%s: 401, and no function runs', async (_, authorization) => {
    const header = await authorization();
    const before = capturedLogLines().length;
    const response = await http.call({
      org: null,
      method: 'POST',
      body: postgresBody(),
      headers: header === undefined ? {} : { authorization: header },
    });

    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer');
    expect(response.body).toMatchObject({ code: 'unauthorized', error: expect.any(String) });
    expect(capturedLogLines().length).toBe(before);
  });

  test('a valid token without the organization claim reaches the function, which fails closed with 401', async () => {
    const token = await api().issuer.sign({ sub: 'user-without-org' });
    const response = await http.call({ org: null, method: 'GET', headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(401);
    expect(response.body).toMatchObject({
      code: 'unauthorized',
      error: expect.stringContaining("'org_id' claim"),
      meta: { organization_id: null },
    });
  });

  test('an organization claim that is not a plain identifier is refused', async () => {
    const token = await api().issuer.sign({ org_id: 'org#a/../b' });
    const response = await http.call({ org: null, method: 'GET', headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(401);
  });

  test.each<[string, unknown]>([
    ['a number', 123],
    ['a boolean', true],
    ['a float', 1.5],
    ['a list', ['acme']],
    ['an object', { id: 'acme' }],
  ])('an organization claim that is %s is refused, not coerced into an org id such as "123" or "true"', async (_, value) => {
    const before = capturedLogLines().length;
    const token = await api().issuer.sign({ org_id: value });
    const response = await http.call({ org: null, method: 'GET', headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(401);
    expect(response.body).toMatchObject({ code: 'unauthorized', error: expect.stringContaining("'org_id' claim must be a string") });
    expect(capturedLogLines().length).toBe(before);
  });

  test('an organization claim that is a string of digits is an organization like any other', async () => {
    const token = await api().issuer.sign({ org_id: '123' });
    const response = await http.call({ org: null, method: 'GET', headers: { authorization: `Bearer ${token}` } });
    expect(response.body).toMatchObject({ meta: { organization_id: '123' } });
  });

  test('the organization never comes from the body or a header', async () => {
    const token = await api().issuer.sign({ org_id: 'org-from-token' });
    const response = await http.call({
      org: null,
      method: 'GET',
      headers: { authorization: `Bearer ${token}`, 'x-organization-id': 'org-from-header', 'x-org-id': 'org-from-header' },
    });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ meta: { organization_id: 'org-from-token' } });
  });
});

describe('the local Lambda Invoke API, which takes claims from the event, answers no browser and no unsigned call (signatures: test/local/invoke-api.test.ts)', () => {
  const event = {
    version: '2.0',
    routeKey: 'GET /api/v2/warehouse/connections',
    headers: {},
    requestContext: { requestId: 'r-1', authorizer: { jwt: { claims: { org_id: 'org-victim' } } } },
  };

  test.each([
    ['a browser page (text/plain, with Origin)', { 'content-type': 'text/plain', origin: 'https://evil.example' }],
    ['an unsigned call', { 'content-type': 'application/json' }],
    ['a signed-looking call from a browser', { authorization: 'AWS4-HMAC-SHA256 Credential=x', origin: 'https://evil.example' }],
  ])('%s is refused with 403 and runs nothing', async (_, headers) => {
    const before = capturedLogLines().length;
    const response = await fetch(`${api().api.url}/2015-03-31/functions/get-connection/invocations`, {
      method: 'POST',
      headers,
      body: JSON.stringify(event),
    });
    expect(response.status).toBe(403);
    expect(capturedLogLines().length).toBe(before);
  });
});
