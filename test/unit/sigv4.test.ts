import { Sha256 } from '@aws-crypto/sha256-js';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { KMSClient, ListKeysCommand } from '@aws-sdk/client-kms';
import { describe, expect, test } from '@jest/globals';
import { SignatureV4 } from '@smithy/signature-v4';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkSigV4Header, SigV4Error, verifySigV4, type SigV4Request } from '../../local/sigv4.js';

/**
 * The SigV4 verifier against requests signed the way AWS SDKs sign them: by the SDK's own signer,
 * and by real SDK clients over loopback. Every change an attacker could make after signing is refused.
 */
const ACCESS_KEY = 'AKIDLOCALTEST';
const SECRET = randomBytes(24).toString('base64');
const credentialsFor = (accessKeyId: string) => (accessKeyId === ACCESS_KEY ? { secretAccessKey: SECRET } : undefined);
const INVOKE_PATH = '/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Aget-connection/invocations';
const EVENT = Buffer.from(JSON.stringify({ requestContext: { requestId: 'r-1', authorizer: { jwt: { claims: { org_id: 'org-a' } } } } }));

interface Signing {
  secret?: string;
  accessKeyId?: string;
  signingDate?: Date;
  service?: string;
  extraHeaders?: Record<string, string>;
}

/** A Lambda Invoke request signed as @aws-sdk/client-lambda signs it, in the shape a server receives. */
async function signedInvoke(signing: Signing = {}): Promise<SigV4Request> {
  const signer = new SignatureV4({
    credentials: { accessKeyId: signing.accessKeyId ?? ACCESS_KEY, secretAccessKey: signing.secret ?? SECRET },
    region: 'us-east-1',
    service: signing.service ?? 'lambda',
    sha256: Sha256,
  });
  const request = await signer.sign(
    {
      method: 'POST',
      protocol: 'http:',
      hostname: '127.0.0.1',
      port: 3000,
      path: INVOKE_PATH,
      query: { Qualifier: '$LATEST', note: 'a b+c' },
      headers: {
        host: '127.0.0.1:3000',
        'content-type': 'application/json',
        'x-amz-invocation-type': 'RequestResponse',
        ...signing.extraHeaders,
      },
      body: EVENT,
    },
    { signingDate: signing.signingDate ?? new Date() },
  );
  const headers = Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name.toLowerCase(), value]));
  return { method: 'POST', path: INVOKE_PATH, query: 'Qualifier=%24LATEST&note=a%20b%2Bc', headers, body: EVENT };
}

async function refusal(request: SigV4Request, options = {}): Promise<SigV4Error> {
  const error = await verifySigV4(request, credentialsFor, options).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(SigV4Error);
  return error as SigV4Error;
}

describe('verifySigV4', () => {
  test('accepts a request signed by the SDK signer with the known secret, and names the caller', async () => {
    await expect(verifySigV4(await signedInvoke(), credentialsFor, { service: 'lambda' })).resolves.toMatchObject({
      accessKeyId: ACCESS_KEY,
      service: 'lambda',
      region: 'us-east-1',
      signedHeaders: expect.arrayContaining(['host', 'x-amz-date', 'x-amz-invocation-type']),
    });
  });

  test.each<[string, (request: SigV4Request) => SigV4Request]>([
    [
      'the body changed',
      (request) => ({
        ...request,
        body: Buffer.from(JSON.stringify({ requestContext: { authorizer: { jwt: { claims: { org_id: 'org-b' } } } } })),
      }),
    ],
    [
      'the function name in the path changed',
      (request) => ({ ...request, path: request.path.replace('get-connection', 'delete-connection') }),
    ],
    ['the query changed', (request) => ({ ...request, query: 'Qualifier=%24LATEST&note=other' })],
    ['a signed header changed', (request) => ({ ...request, headers: { ...request.headers, 'x-amz-invocation-type': 'Event' } })],
    ['the method changed', (request) => ({ ...request, method: 'PUT' })],
    [
      'the signature was edited',
      (request) => ({
        ...request,
        headers: {
          ...request.headers,
          authorization: String(request.headers.authorization).replace(
            /Signature=(.)/,
            (_, c: string) => `Signature=${c === '0' ? '1' : '0'}`,
          ),
        },
      }),
    ],
  ])('refuses a signed request when %s after signing', async (_, tamper) => {
    const error = await refusal(tamper(await signedInvoke()));
    expect({ code: error.code, status: error.statusCode }).toEqual({ code: 'InvalidSignatureException', status: 403 });
  });

  test('refuses a signature made with another secret for the same access key', async () => {
    const error = await refusal(await signedInvoke({ secret: 'not-the-local-secret' }));
    expect(error.code).toBe('InvalidSignatureException');
  });

  test('refuses an access key it does not know', async () => {
    const error = await refusal(await signedInvoke({ accessKeyId: 'AKIDSOMEONEELSE' }));
    expect({ code: error.code, status: error.statusCode }).toEqual({ code: 'UnrecognizedClientException', status: 403 });
  });

  test('refuses an X-Amz-Content-SHA256 header that is not the hash of the body sent', async () => {
    const otherBody = Buffer.from('{"requestContext":{}}');
    const request = await signedInvoke({ extraHeaders: { 'x-amz-content-sha256': createHash('sha256').update(otherBody).digest('hex') } });
    expect((await refusal({ ...request, body: otherBody.subarray(0, 5) })).code).toBe('InvalidSignatureException');
    // With the body whose hash was signed, the same request verifies.
    await expect(verifySigV4({ ...request, body: otherBody }, credentialsFor)).resolves.toMatchObject({ accessKeyId: ACCESS_KEY });
  });

  test('refuses a signature dated more than 15 minutes from the server clock, either way', async () => {
    const now = Date.now();
    for (const offsetMinutes of [-16, 16]) {
      const request = await signedInvoke({ signingDate: new Date(now + offsetMinutes * 60_000) });
      const error = await refusal(request, { now: () => now });
      expect({ offsetMinutes, code: error.code, message: error.message }).toEqual({
        offsetMinutes,
        code: 'InvalidSignatureException',
        message: expect.stringContaining('Signature expired'),
      });
    }
    await expect(
      verifySigV4(await signedInvoke({ signingDate: new Date(now - 14 * 60_000) }), credentialsFor, { now: () => now }),
    ).resolves.toBeDefined();
  });

  test('refuses a credential scoped to another service than the one pinned', async () => {
    const error = await refusal(await signedInvoke({ service: 'dynamodb' }), { service: 'lambda' });
    expect(error.code).toBe('InvalidSignatureException');
  });

  test.each<[string, (request: SigV4Request) => SigV4Request, string]>([
    [
      'no Authorization header',
      (request) => ({ ...request, headers: { ...request.headers, authorization: undefined } }),
      'MissingAuthenticationTokenException',
    ],
    [
      'a look-alike header with no signature in it',
      (request) => ({ ...request, headers: { ...request.headers, authorization: 'AWS4-HMAC-SHA256 Credential=x' } }),
      'IncompleteSignatureException',
    ],
    [
      'another algorithm',
      (request) => ({
        ...request,
        headers: {
          ...request.headers,
          authorization: String(request.headers.authorization).replace('AWS4-HMAC-SHA256', 'AWS4-ECDSA-P256-SHA256'),
        },
      }),
      'MissingAuthenticationTokenException',
    ],
    [
      'host left out of SignedHeaders',
      (request) => ({
        ...request,
        headers: {
          ...request.headers,
          authorization: String(request.headers.authorization).replace('SignedHeaders=content-type;host;', 'SignedHeaders=content-type;'),
        },
      }),
      'IncompleteSignatureException',
    ],
    [
      'a signed header missing from the request',
      (request) => ({ ...request, headers: { ...request.headers, 'x-amz-invocation-type': undefined } }),
      'IncompleteSignatureException',
    ],
    [
      'no X-Amz-Date',
      (request) => ({ ...request, headers: { ...request.headers, 'x-amz-date': undefined } }),
      'IncompleteSignatureException',
    ],
    [
      'a query string that is not valid percent-encoding',
      (request) => ({ ...request, query: 'Qualifier=%E0%A4%A' }),
      'IncompleteSignatureException',
    ],
  ])('refuses %s (the AWS error code is checked)', async (_, tamper, code) => {
    expect((await refusal(tamper(await signedInvoke()))).code).toBe(code);
  });

  test('checkSigV4Header passes a signed request on its headers alone and refuses an unknown key without any body', async () => {
    const { headers } = await signedInvoke();
    expect(checkSigV4Header(headers, credentialsFor, { service: 'lambda' })).toMatchObject({ accessKeyId: ACCESS_KEY });
    const stranger = await signedInvoke({ accessKeyId: 'AKIDSOMEONEELSE' });
    expect(() => checkSigV4Header(stranger.headers, credentialsFor)).toThrow(SigV4Error);
  });
});

/** Receives one request from a real SDK client on loopback and verifies it as it arrived. */
async function verifyWhatTheSdkSends(send: (endpoint: string) => Promise<unknown>, service: string) {
  let verified: Promise<unknown> | undefined;
  const server = createServer((request: IncomingMessage, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const [path = '/', query = ''] = (request.url ?? '/').split(/\?(.*)/s);
      verified = verifySigV4(
        { method: request.method ?? 'GET', path, query, headers: request.headersDistinct, body: Buffer.concat(chunks) },
        credentialsFor,
        { service, region: 'eu-west-1' },
      );
      response
        .writeHead(400, { 'content-type': 'application/x-amz-json-1.1' })
        .end('{"__type":"ValidationException","message":"stand-in"}');
    });
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  try {
    await send(`http://127.0.0.1:${(server.address() as AddressInfo).port}`).catch(() => undefined);
    return await verified;
  } finally {
    server.close();
  }
}

describe('requests of real SDK clients verify as they arrive', () => {
  const clientOptions = (endpoint: string) => ({
    endpoint,
    region: 'eu-west-1',
    maxAttempts: 1,
    credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET },
  });

  test('DynamoDB GetItem', async () => {
    const caller = await verifyWhatTheSdkSends(async (endpoint) => {
      const client = new DynamoDBClient(clientOptions(endpoint));
      await client
        .send(new GetItemCommand({ TableName: 'connections', Key: { pk: { S: 'ORG#acme' }, sk: { S: 'CONNECTION#ACTIVE' } } }))
        .finally(() => client.destroy());
    }, 'dynamodb');
    expect(caller).toMatchObject({ accessKeyId: ACCESS_KEY, service: 'dynamodb', region: 'eu-west-1' });
  });

  test('KMS ListKeys', async () => {
    const caller = await verifyWhatTheSdkSends(async (endpoint) => {
      const client = new KMSClient(clientOptions(endpoint));
      await client.send(new ListKeysCommand({})).finally(() => client.destroy());
    }, 'kms');
    expect(caller).toMatchObject({ accessKeyId: ACCESS_KEY, service: 'kms' });
  });
});
