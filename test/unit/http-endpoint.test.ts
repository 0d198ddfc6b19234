import { describe, expect, test } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import { MAX_BODY_BYTES, httpEndpoint, type EndpointRequest, type EndpointResponse } from '../../lib/http/endpoint.js';
import { capturedLogLines } from '../helpers/logs.js';

/**
 * The endpoint wrapper (lib/http/endpoint.ts) on its own, with the real middy chain: what it answers
 * to events, identities and bodies it refuses, what it sends back and what it logs. Found by
 * mutation testing (docs/testing.md); the handlers' behaviour end to end is in test/api.
 */
const SETTINGS = { orgClaim: 'org_id' };
let counter = 0;

interface Result {
  statusCode: number;
  headers?: Record<string, string>;
  body?: string;
}

function event(overrides: { body?: string; headers?: Record<string, string>; claims?: Record<string, string> | null } = {}) {
  counter += 1;
  const { claims = { org_id: 'acme', sub: 'user-1' } } = overrides;
  return {
    rawPath: '/api/v2/warehouse/connections',
    headers: overrides.headers ?? { 'content-type': 'application/json' },
    ...(overrides.body === undefined ? {} : { body: overrides.body }),
    isBase64Encoded: false,
    requestContext: { requestId: `request-${counter}-${Date.now()}`, ...(claims === null ? {} : { authorizer: { jwt: { claims } } }) },
  };
}

function endpoint(
  body: 'json' | 'none',
  run: (request: EndpointRequest) => Promise<EndpointResponse> = async () => ({ statusCode: 200, body: {} }),
) {
  const handler = httpEndpoint({ functionName: 'unit-endpoint', body }, SETTINGS, run);
  return (input: unknown, context: object = {}) => handler(input as never, context as never) as Promise<Result>;
}

const parsed = (result: Result) => JSON.parse(result.body ?? 'null') as Record<string, unknown>;

/** The request log line of one request id. */
function requestLog(requestId: string): Record<string, unknown> {
  const lines = capturedLogLines()
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.event === 'request' && line.request_id === requestId);
  expect(lines).toHaveLength(1);
  return lines[0]!;
}

describe('an event that is not an API Gateway HTTP API (payload v2) event is a 400 naming the event', () => {
  test.each([
    ['null', null],
    ['a string', 'GET /connections'],
    ['a null requestContext', { requestContext: null }],
    ['a requestContext without requestId', { requestContext: { authorizer: { jwt: { claims: { org_id: 'acme' } } } } }],
    ['a numeric requestId', { requestContext: { requestId: 7, authorizer: { jwt: { claims: { org_id: 'acme' } } } } }],
  ])('%s', async (_, input) => {
    const result = await endpoint('none')(input);
    expect(result.statusCode).toBe(400);
    expect(parsed(result)).toEqual({
      error: 'The event is not an API Gateway HTTP API (payload v2) event',
      code: 'invalid_event',
      field: 'event',
      meta: { request_id: 'unknown', organization_id: null },
    });
  });
});

describe('a caller the token does not identify is a 401 saying why', () => {
  test.each([
    ['no verified claims', null, 'The request carries no verified identity. Send Authorization: Bearer <token>.'],
    ['an empty org claim', { org_id: '' }, "The token has no 'org_id' claim naming the organization."],
    [
      'an org claim that is not an organization id',
      { org_id: 'acme/../other' },
      "The token's 'org_id' claim is not a valid organization id.",
    ],
  ])('%s', async (_, claims, message) => {
    const result = await endpoint('none')(event({ claims }));
    expect(result.statusCode).toBe(401);
    expect(result.headers).toMatchObject({ 'WWW-Authenticate': 'Bearer' });
    expect(parsed(result)).toMatchObject({ error: message, code: 'unauthorized' });
  });
});

describe('bodies', () => {
  test.each([
    [
      'over 64 KiB',
      'x'.repeat(MAX_BODY_BYTES + 1),
      413,
      { error: 'body: must be at most 64 KiB', code: 'payload_too_large', field: 'body' },
    ],
    ['empty', '', 400, { error: 'body: is required: send the connection as a JSON object', code: 'invalid_json', field: 'body' }],
    ['malformed JSON', '{"provider":', 400, { error: 'body: is not valid JSON', code: 'invalid_json', field: 'body' }],
  ])('a body %s is refused with a message naming the body', async (_, body, status, expected) => {
    const input = event({ body });
    const result = await endpoint('json')(input);
    expect(result.statusCode).toBe(status);
    expect(parsed(result)).toMatchObject(expected);
  });

  test('no body at all: 400, the body is required', async () => {
    const result = await endpoint('json')(event());
    expect(result.statusCode).toBe(400);
    expect(parsed(result)).toMatchObject({ error: 'body: is required: send the connection as a JSON object', code: 'invalid_json' });
  });

  test('another content type: 415 naming the header', async () => {
    const result = await endpoint('json')(event({ body: '{}', headers: { 'content-type': 'text/plain' } }));
    expect(result.statusCode).toBe(415);
    expect(parsed(result)).toMatchObject({
      error: 'Content-Type must be application/json',
      code: 'unsupported_media_type',
      field: 'headers.content-type',
    });
  });

  test('a bad body is the caller fault: logged at info, with no error fields', async () => {
    const input = event({ body: '{"provider":' });
    await endpoint('json')(input);
    const line = requestLog(input.requestContext.requestId);
    expect(line).toMatchObject({ level: 'info', status: 400 });
    expect(line).not.toHaveProperty('error_type');
  });

  test('a route without a body never hands one to the use case, even when the request carries one', async () => {
    const seen: unknown[] = [];
    await endpoint('none', async (request) => {
      seen.push(request.body);
      return { statusCode: 200, body: {} };
    })(event({ body: '{"provider":"postgres"}' }));
    expect(seen).toEqual([undefined]);
  });
});

describe('responses', () => {
  test('a 204 has no body and no JSON headers, only no-store', async () => {
    const result = await endpoint('none', async () => ({ statusCode: 204 }))(event());
    expect(result).toEqual({ statusCode: 204, headers: { 'Cache-Control': 'no-store' } });
  });

  test('a use case that outlasts the Lambda deadline is answered with a JSON 503 before Lambda cuts it off', async () => {
    const slow = new AbortController();
    const context = { getRemainingTimeInMillis: () => 1_000 };
    try {
      const result = await endpoint('none', async () => {
        await sleep(60_000, undefined, { signal: slow.signal }).catch(() => undefined);
        return { statusCode: 200, body: {} };
      })(event(), context);
      expect(result.statusCode).toBe(503);
      expect(parsed(result)).toMatchObject({ code: 'deadline_exceeded' });
    } finally {
      slow.abort();
    }
  });
});

describe('one log line per request', () => {
  test('names the function, request, organization and status, and how long the request took', async () => {
    const input = event();
    const before = performance.now();
    await endpoint('none', async () => {
      await sleep(20);
      return { statusCode: 200, body: {} };
    })(input);
    const observed = performance.now() - before;
    const line = requestLog(input.requestContext.requestId);
    expect(line).toMatchObject({ level: 'info', function: 'unit-endpoint', organization_id: 'acme', status: 200 });
    // Between the use case's own wait and what this test saw from outside (rounded to 0.01 ms).
    expect(line.duration_ms).toBeGreaterThanOrEqual(15);
    expect(line.duration_ms).toBeLessThanOrEqual(observed + 0.01);
  });

  test('an unexpected failure: a 500 quoting the request id, logged as an error with its type', async () => {
    const input = event();
    const result = await endpoint('none', async () => {
      throw new TypeError('boom');
    })(input);
    const requestId = input.requestContext.requestId;
    expect(result.statusCode).toBe(500);
    expect(parsed(result)).toMatchObject({
      error: `Internal error. Quote request id ${requestId} when reporting it.`,
      code: 'internal_error',
    });
    expect(requestLog(requestId)).toMatchObject({ level: 'error', function: 'unit-endpoint', status: 500, error_type: 'TypeError' });
  });
});
