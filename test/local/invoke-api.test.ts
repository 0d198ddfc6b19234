import { Sha256 } from '@aws-crypto/sha256-js';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, describe, expect, test } from '@jest/globals';
import { SignatureV4 } from '@smithy/signature-v4';
import { routeEvent } from '../../local/http-api-event.js';
import { ROUTES } from '../../lib/routes.js';
import { capturedLogLines } from '../helpers/logs.js';
import { useTestApi } from '../helpers/transports.js';
import { rawRequest } from '../reliability/support/raw-http.js';

/**
 * The local Lambda Invoke API takes the organization from the event as given, so only callers that
 * hold the local credentials may invoke (issue 10, item 9): every request's SigV4 signature is
 * checked against them, over the request as it arrived.
 */
const { api } = useTestApi();
const getRoute = ROUTES.find((route) => route.functionName === 'get-connection')!;
const eventOf = (org: string) => Buffer.from(JSON.stringify(routeEvent(getRoute, { claims: { sub: 'user-1', org_id: org } })));
const clients: LambdaClient[] = [];
afterAll(() => clients.forEach((client) => client.destroy()));

function lambdaClient(credentials: { accessKeyId: string; secretAccessKey: string }): LambdaClient {
  const client = new LambdaClient({ endpoint: api().api.url, region: 'us-east-1', credentials, maxAttempts: 1 });
  clients.push(client);
  return client;
}

/** A request signed with the local credentials, as the SDK signs it, then sent as given (path and body may differ from what was signed). */
async function sendSigned(signed: { path: string; body: Buffer }, sent: { path?: string; body?: Buffer } = {}) {
  const { port, hostname } = new URL(api().api.url);
  const signer = new SignatureV4({ credentials: api().invokeCredentials, region: 'us-east-1', service: 'lambda', sha256: Sha256 });
  const request = await signer.sign({
    method: 'POST',
    protocol: 'http:',
    hostname,
    port: Number(port),
    path: signed.path,
    query: {},
    headers: { host: `${hostname}:${port}`, 'content-type': 'application/json' },
    body: signed.body,
  });
  return rawRequest(api().api.url, {
    method: 'POST',
    path: sent.path ?? signed.path,
    headers: request.headers,
    body: sent.body ?? signed.body,
  });
}

describe('the local Lambda Invoke API checks SigV4 signatures', () => {
  test('a call signed with the local credentials runs the function', async () => {
    const output = await lambdaClient(api().invokeCredentials).send(
      new InvokeCommand({ FunctionName: 'get-connection', Payload: eventOf('org-invoke-ok') }),
    );
    expect(JSON.parse(Buffer.from(output.Payload!).toString())).toMatchObject({ statusCode: 200 });
  });

  test.each([
    [
      'signed with another secret for the local access key',
      () => ({ accessKeyId: api().invokeCredentials.accessKeyId, secretAccessKey: 'guessed-secret' }),
      'InvalidSignatureException',
    ],
    [
      'signed with an access key the server does not know',
      () => ({ accessKeyId: 'AKIDSTRANGER', secretAccessKey: api().invokeCredentials.secretAccessKey }),
      'UnrecognizedClientException',
    ],
  ])('an SDK call %s is refused with 403 and runs nothing', async (_, credentials, code) => {
    const before = capturedLogLines().length;
    const error = await lambdaClient(credentials())
      .send(new InvokeCommand({ FunctionName: 'get-connection', Payload: eventOf('org-victim') }))
      .then(
        () => undefined,
        (caught: { name?: string; $metadata?: { httpStatusCode?: number } }) => caught,
      );
    expect({ name: error?.name, status: error?.$metadata?.httpStatusCode }).toEqual({ name: code, status: 403 });
    expect(capturedLogLines().length).toBe(before);
  });

  test('a signed call replayed with another event (another organization) is refused and runs nothing', async () => {
    const path = '/2015-03-31/functions/get-connection/invocations';
    expect((await sendSigned({ path, body: eventOf('org-mine') })).status).toBe(200);
    const before = capturedLogLines().length;
    const replayed = await sendSigned({ path, body: eventOf('org-mine') }, { body: eventOf('org-victim') });
    expect({ status: replayed.status, type: replayed.headers['x-amzn-errortype'] }).toEqual({
      status: 403,
      type: 'InvalidSignatureException',
    });
    expect(capturedLogLines().length).toBe(before);
  });

  test('a signed call sent to another function than the one signed for is refused', async () => {
    const response = await sendSigned(
      { path: '/2015-03-31/functions/get-connection/invocations', body: eventOf('org-a') },
      { path: '/2015-03-31/functions/delete-connection/invocations' },
    );
    expect(response.status).toBe(403);
  });

  test('an invocation name that is not valid percent-encoding answers 404 ResourceNotFoundException, not 500', async () => {
    const response = await sendSigned({ path: '/2015-03-31/functions/%E0%A4%A/invocations', body: eventOf('org-a') });
    expect({ status: response.status, type: response.headers['x-amzn-errortype'] }).toEqual({
      status: 404,
      type: 'ResourceNotFoundException',
    });
    expect(JSON.parse(response.body)).toMatchObject({ message: expect.stringContaining('Function not found') });
  });
});
