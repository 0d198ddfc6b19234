import { describe, expect, test } from '@jest/globals';
import type { Context } from 'aws-lambda';
import { MAX_BODY_BYTES } from '../../lib/http/endpoint.js';
import { API_BASE_PATH, isRoute } from '../../lib/routes.js';
import { lambdaContext, routeEvent } from '../../local/http-api-event.js';
import { postgresBody } from '../helpers/bodies.js';
import { useTestApi } from '../helpers/transports.js';

/**
 * The HTTP envelope of every function (lib/http/endpoint.ts), driven with events built the way API
 * Gateway builds them, including the parts the shared event builder never makes: a chosen request
 * id, and a body that arrives base64-encoded.
 */
const { api } = useTestApi();

interface Result {
  statusCode: number;
  body: string;
}

function fn(method: string, path = API_BASE_PATH) {
  const found = api().functions.find(
    (candidate) => isRoute(candidate.route) && candidate.route.method === method && candidate.route.path === path,
  )!;
  return (event: unknown) => found.handler(event, lambdaContext(found.route) as Context) as Promise<Result>;
}

describe('meta.request_id is the request id API Gateway gave the request', () => {
  test.each([
    ['a 200', 'GET', { claims: { org_id: 'org-envelope' } }, 200],
    ['a 400', 'POST', { claims: { org_id: 'org-envelope' }, body: '{"provider":' }, 400],
    ['a 401 (no identity)', 'GET', {}, 401],
  ] as const)('on %s', async (_, method, call, status) => {
    const event = routeEvent({ method, path: API_BASE_PATH }, call);
    event.requestContext.requestId = 'Mc7UVioPPHcEKPA=';
    const result = await fn(method)(event);
    expect({ status: result.statusCode, meta: (JSON.parse(result.body) as { meta: unknown }).meta }).toEqual({
      status,
      meta: expect.objectContaining({ request_id: 'Mc7UVioPPHcEKPA=' }),
    });
  });
});

/** A create event whose JSON body API Gateway delivered base64-encoded, as it does for bodies it does not treat as text. */
function base64CreateEvent(decodedBytes: number) {
  const json = JSON.stringify(postgresBody());
  // JSON allows any whitespace after the value, so the body stays a valid connection at any size.
  const body = Buffer.from(json + ' '.repeat(decodedBytes - Buffer.byteLength(json)));
  const event = routeEvent({ method: 'POST', path: API_BASE_PATH }, { claims: { org_id: 'org-base64' }, body: body.toString('utf8') });
  return { ...event, body: body.toString('base64'), isBase64Encoded: true };
}

describe('a base64-encoded body (isBase64Encoded: true) is decoded, and measured decoded', () => {
  test.each([
    ['about 50 KiB (68 KiB as base64 text) is accepted', 50 * 1024, 201],
    ['exactly 64 KiB is accepted', MAX_BODY_BYTES, 201],
  ])('a JSON body of %s', async (_, size, status) => {
    const event = base64CreateEvent(size);
    expect(Buffer.byteLength(event.body)).toBeGreaterThan(size); // the text really is larger than the body it carries
    const result = await fn('POST')(event);
    expect({ status: result.statusCode, body: JSON.parse(result.body) as unknown }).toEqual({
      status,
      body: expect.objectContaining({ provider: 'postgres', meta: expect.objectContaining({ organization_id: 'org-base64' }) }),
    });
  });

  test('a JSON body over 64 KiB once decoded is refused with 413 naming the body', async () => {
    const result = await fn('POST')(base64CreateEvent(MAX_BODY_BYTES + 1));
    expect(result.statusCode).toBe(413);
    expect(JSON.parse(result.body)).toMatchObject({ code: 'payload_too_large', field: 'body' });
  });
});
