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
