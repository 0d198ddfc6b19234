import { describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { ROUTE, routeKey } from '../../lib/routes.js';
import { httpApiEvent, lambdaContext } from '../../local/http-api-event.js';
import { postgresBody } from '../helpers/bodies.js';
import { capturedLogLines } from '../helpers/logs.js';
import type { ApiCall } from '../helpers/transports.js';
import type { Fault, FaultProxy } from './support/fault-proxy.js';
import { orgWithConnection, useProxiedApi } from './support/proxied-api.js';

/**
 * DynamoDB and KMS behind fault-injecting proxies: each call of each endpoint is broken in turn
 * (delay past the SDK timeout, connection reset, 5xx, throttling), persistently and once.
 */
const { dynamoDbProxy, kmsProxy, handler, testApi } = useProxiedApi({ AWS_REQUEST_TIMEOUT_MS: '300' });

const TEST_PATH = ROUTE.test.path;
const ATTEMPTS = 3; // AWS_MAX_ATTEMPTS default: a fault that lasts this long reaches the caller
const faults: [string, Fault][] = [
  ['a connection reset', { kind: 'reset' }],
  ['a 500', { kind: 'server-error' }],
  ['throttling', { kind: 'throttle' }],
  ['a delay past the SDK timeout', { kind: 'delay', ms: 1_000 }],
];

interface Step {
  endpoint: string;
  request: Omit<ApiCall, 'org'>;
  proxy: () => FaultProxy;
  operation: string;
  okStatus: number;
}

const steps: Step[] = [
  {
    endpoint: 'create',
    request: { method: 'POST', body: postgresBody() },
    proxy: () => kmsProxy,
    operation: 'GenerateDataKey',
    okStatus: 201,
  },
  {
    endpoint: 'create',
    request: { method: 'POST', body: postgresBody() },
    proxy: () => dynamoDbProxy,
    operation: 'PutItem',
    okStatus: 201,
  },
  { endpoint: 'get', request: { method: 'GET' }, proxy: () => dynamoDbProxy, operation: 'GetItem', okStatus: 200 },
  { endpoint: 'delete', request: { method: 'DELETE' }, proxy: () => dynamoDbProxy, operation: 'DeleteItem', okStatus: 204 },
  { endpoint: 'test', request: { method: 'POST', path: TEST_PATH }, proxy: () => dynamoDbProxy, operation: 'GetItem', okStatus: 200 },
  { endpoint: 'test', request: { method: 'POST', path: TEST_PATH }, proxy: () => kmsProxy, operation: 'Decrypt', okStatus: 200 },
  {
    endpoint: 'patch',
    request: { method: 'PATCH', body: { name: 'Faulty' } },
    proxy: () => dynamoDbProxy,
    operation: 'UpdateItem',
    okStatus: 200,
  },
  {
    endpoint: 'create named',
    request: { method: 'POST', path: ROUTE.createNamed.path, body: { name: 'Faulty', ...postgresBody() } },
    proxy: () => dynamoDbProxy,
    operation: 'PutItem',
    okStatus: 201,
  },
  { endpoint: 'list', request: { method: 'GET', path: ROUTE.list.path }, proxy: () => dynamoDbProxy, operation: 'Query', okStatus: 200 },
];

describe.each(faults)('%s', (_, fault) => {
  test.each(steps.map((step) => [step.endpoint, step.operation, step] as const))(
    'on %s’s %s, persistent: 503 with Retry-After and the stored state intact',
    async (_endpoint, _operation, step) => {
      const { org, id } = await orgWithConnection(handler);
      step.proxy().inject(step.operation, fault, ATTEMPTS);

      const response = await handler.call({ org, ...step.request });

      expect(response.status).toBe(503);
      expect(response.headers['retry-after']).toBe('1');
      expect(response.body).toMatchObject({
        code: 'service_unavailable',
        error: expect.stringContaining('Retry'),
        meta: { organization_id: org },
      });
      step.proxy().clear();
      if (fault.kind !== 'delay') {
        // A write the caller was told failed did not happen (a delayed write may still land: timeouts are ambiguous).
        const read = await handler.call({ org, method: 'GET' });
        expect(read.body!.connection).toMatchObject({ id });
      }
    },
  );

  test.each(steps.map((step) => [step.endpoint, step.operation, step] as const))(
    'on %s’s %s, once: the SDK retry absorbs it',
    async (_endpoint, _operation, step) => {
      const { org } = await orgWithConnection(handler);
      step.proxy().inject(step.operation, fault, 1);
      const response = await handler.call({ org, ...step.request });
      expect(response.status).toBe(step.okStatus);
    },
  );

  test('on test’s status update: the verdict is still returned', async () => {
    const { org } = await orgWithConnection(handler);
    dynamoDbProxy.inject('UpdateItem', fault, ATTEMPTS);
    const response = await handler.call({ org, method: 'POST', path: TEST_PATH });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ success: true });
  });
});

describe('when the state item cannot be written after the connection item was', () => {
  test('create answers 503 and changes nothing: the state never listed the new item, which is removed', async () => {
    const { org, id } = await orgWithConnection(handler);
    dynamoDbProxy.inject('UpdateItem', { kind: 'server-error' }, ATTEMPTS);
    const response = await handler.call({ org, method: 'POST', body: postgresBody() });
    dynamoDbProxy.clear();
    expect(response.status).toBe(503);
    expect((await handler.call({ org, method: 'GET' })).body!.connection).toMatchObject({ id });
    const listed = (await handler.call({ org, method: 'GET', path: ROUTE.list.path })).body!.connections as { id: string }[];
    expect(listed.map((connection) => connection.id)).toEqual([id]);
  });

  test('delete answers 204 (the item is gone); the missed record is logged and the connection reads as deleted', async () => {
    const { org } = await orgWithConnection(handler);
    dynamoDbProxy.inject('UpdateItem', { kind: 'server-error' }, ATTEMPTS);
    const response = await handler.call({ org, method: 'DELETE' });
    dynamoDbProxy.clear();
    expect(response.status).toBe(204);
    expect(capturedLogLines().some((line) => line.includes('"event":"connection.state_not_recorded"') && line.includes(org))).toBe(true);
    expect((await handler.call({ org, method: 'GET' })).body).toMatchObject({ connection: null });
    expect((await handler.call({ org, method: 'POST', path: TEST_PATH })).status).toBe(404);
  });
});

describe('when KMS succeeded and the write failed', () => {
  test('nothing is stored for a new organization', async () => {
    const org = `org-${randomUUID().slice(0, 8)}`;
    dynamoDbProxy.inject('PutItem', { kind: 'server-error' }, ATTEMPTS);
    const response = await handler.call({ org, method: 'POST', body: postgresBody() });
    expect(response.status).toBe(503);
    // KMS answered (a slow machine may add an SDK retry of it); only the write failed.
    expect(new Set(kmsProxy.calls.map((call) => call.operation))).toEqual(new Set(['GenerateDataKey']));
    dynamoDbProxy.clear();
    expect((await handler.call({ org, method: 'GET' })).body!.connection).toBeNull();
  });
});

describe('when the function is about to reach its Lambda timeout', () => {
  test('the caller gets a JSON 503 with Retry-After, not a bare gateway error', async () => {
    const { org } = await orgWithConnection(handler);
    dynamoDbProxy.inject('GetItem', { kind: 'delay', ms: 2_000 }, ATTEMPTS);
    const fn = testApi().functions.find((candidate) => candidate.route.functionName === ROUTE.get.functionName)!;
    const event = httpApiEvent({ method: 'GET', path: ROUTE.get.path, routeKey: routeKey(ROUTE.get), claims: { org_id: org } });

    const result = (await fn.handler(event, lambdaContext({ ...fn.route, timeoutSeconds: 0.7 }))) as {
      statusCode: number;
      headers: Record<string, string>;
      body: string;
    };

    expect(result.statusCode).toBe(503);
    expect(result.headers['Retry-After']).toBe('1');
    expect(JSON.parse(result.body)).toMatchObject({ code: 'deadline_exceeded', error: expect.any(String), meta: { organization_id: org } });
  });
});
