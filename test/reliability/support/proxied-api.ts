import { afterAll, beforeAll, beforeEach, expect } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { postgresBody } from '../../helpers/bodies.js';
import { startTestApi, type TestApi, type Transport } from '../../helpers/transports.js';
import { startFaultProxy, type FaultProxy } from './fault-proxy.js';

export interface ProxiedApi {
  dynamoDbProxy: FaultProxy;
  kmsProxy: FaultProxy;
  testApi: TestApi;
  handler: Transport;
  close(): Promise<void>;
}

/**
 * The functions with DynamoDB and KMS reached through fault proxies. The handler modules create
 * their SDK clients when first imported (in this test file's module registry), from the endpoint
 * variables set here; the environment is restored on close.
 */
export async function startProxiedApi(environment: Record<string, string> = {}): Promise<ProxiedApi> {
  const originalEnv = { ...process.env };
  const dynamoDbProxy = await startFaultProxy(process.env.AWS_ENDPOINT_URL_DYNAMODB!);
  const kmsProxy = await startFaultProxy(process.env.AWS_ENDPOINT_URL_KMS!);
  Object.assign(process.env, environment, { AWS_ENDPOINT_URL_DYNAMODB: dynamoDbProxy.endpoint, AWS_ENDPOINT_URL_KMS: kmsProxy.endpoint });
  const testApi = await startTestApi();
  return {
    dynamoDbProxy,
    kmsProxy,
    testApi,
    handler: testApi.transports.find((transport) => transport.name === 'handler')!,
    close: async () => {
      await testApi.close();
      await Promise.all([dynamoDbProxy.close(), kmsProxy.close()]);
      process.env = originalEnv;
    },
  };
}

/**
 * startProxiedApi for the calling test file: started before its tests, closed after, with both
 * proxies cleared (faults and recorded calls) before each test. What it returns can be taken at
 * module scope; it reaches the running API once started.
 */
export function useProxiedApi(environment: Record<string, string> = {}) {
  let proxied: ProxiedApi | undefined;
  beforeAll(async () => {
    proxied = await startProxiedApi(environment);
  });
  afterAll(async () => {
    await proxied?.close();
  });
  beforeEach(() => {
    proxied?.dynamoDbProxy.clear();
    proxied?.kmsProxy.clear();
  });
  const started = () => {
    if (!proxied) throw new Error('The proxied API starts in beforeAll');
    return proxied;
  };
  const lazyProxy = (pick: (api: ProxiedApi) => FaultProxy): FaultProxy => ({
    get endpoint() {
      return pick(started()).endpoint;
    },
    get calls() {
      return pick(started()).calls;
    },
    inject: (operation, fault, times) => pick(started()).inject(operation, fault, times),
    clear: () => pick(started()).clear(),
    close: () => pick(started()).close(),
  });
  return {
    dynamoDbProxy: lazyProxy((api) => api.dynamoDbProxy),
    kmsProxy: lazyProxy((api) => api.kmsProxy),
    handler: { name: 'handler', call: (request) => started().handler.call(request) } satisfies Transport as Transport,
    testApi: () => started().testApi,
  };
}

/** A fresh organization with a working Postgres connection, created through `handler`. */
export async function orgWithConnection(handler: Transport): Promise<{ org: string; id: string }> {
  const org = `org-${randomUUID().slice(0, 8)}`;
  const created = await handler.call({ org, method: 'POST', body: postgresBody() });
  expect(created.status).toBe(201);
  return { org, id: created.body!.id as string };
}
