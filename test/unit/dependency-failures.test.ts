import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { afterAll, describe, expect, test } from '@jest/globals';
import { createConnection } from '../../lib/connections/create.js';
import { testConnection } from '../../lib/connections/test.js';
import { EnvelopeCipher } from '../../lib/crypto/envelope.js';
import { KmsDataKeys } from '../../lib/crypto/kms-data-keys.js';
import { DependencyUnavailableError } from '../../lib/errors.js';
import { mapError } from '../../lib/http/error-mapping.js';
import { ConnectionStore } from '../../lib/store/connection-store.js';
import { postgresBody } from '../helpers/bodies.js';
import { freePort } from '../setup/postgres-server.js';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const quick = { region: 'us-east-1', credentials, maxAttempts: 1, requestHandler: { connectionTimeout: 300, requestTimeout: 500 } };
const clients: { destroy(): void }[] = [];
const track = <T extends { destroy(): void }>(client: T): T => (clients.push(client), client);
afterAll(() => clients.forEach((client) => client.destroy()));

const workingStore = () => new ConnectionStore(track(new DynamoDBClient({})), process.env.TABLE_NAME!);
const workingCipher = () => new EnvelopeCipher(new KmsDataKeys(track(new KMSClient({})), process.env.KMS_KEY_ID!));

describe('when AWS dependencies fail, callers get a retryable 503 and nothing half-written', () => {
  test('DynamoDB unreachable on create: 503 with Retry-After', async () => {
    const store = new ConnectionStore(track(new DynamoDBClient({ ...quick, endpoint: `http://127.0.0.1:${await freePort()}` })), 'any');
    const failure = await createConnection({ store, cipher: workingCipher() }, 'org-x', postgresBody()).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(DependencyUnavailableError);
    const mapped = mapError(failure, 'req-1');
    expect(mapped).toMatchObject({ statusCode: 503, headers: { 'Retry-After': '1' }, body: { code: 'service_unavailable' } });
  });

  test('KMS unreachable on create: 503, and no item is written', async () => {
    const cipher = new EnvelopeCipher(
      new KmsDataKeys(track(new KMSClient({ ...quick, endpoint: `http://127.0.0.1:${await freePort()}` })), 'alias/x'),
    );
    const store = workingStore();
    const org = 'org-kms-down';
    await expect(createConnection({ store, cipher }, org, postgresBody())).rejects.toBeInstanceOf(DependencyUnavailableError);
    expect(await store.getSummary(org)).toBeNull();
  });

  test('a failed status update after a test still returns the verdict', async () => {
    const org = 'org-status-down';
    const store = workingStore();
    const cipher = workingCipher();
    await createConnection({ store, cipher }, org, postgresBody());

    const failingClient = track(new DynamoDBClient({}));
    failingClient.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'UpdateItemCommand')
          throw Object.assign(new Error('throttled'), { name: 'ThrottlingException', $retryable: {} });
        return next(args);
      },
      { step: 'initialize' },
    );
    const limits = { connectTimeoutMs: 2000, statementTimeoutMs: 2000, deadlineMs: 5000, allowedCidrs: ['127.0.0.0/8'] };
    // No rate limit here: its own UpdateItem would fail too and answer 503 before any test.
    const result = await testConnection(
      { store: new ConnectionStore(failingClient, process.env.TABLE_NAME!), cipher, limits, testLimit: undefined },
      org,
    );

    expect(result).toMatchObject({ success: true, latency_ms: expect.any(Number) });
    expect((await store.getSummary(org))?.status).toBeNull();
  });

  test('an unexpected error becomes a generic 500 that shows nothing of it', () => {
    const mapped = mapError(new Error('password=hunter2 at /var/task/index.mjs:1'), 'req-2');
    expect(mapped.statusCode).toBe(500);
    expect(JSON.stringify(mapped.body)).not.toMatch(/hunter2|index\.mjs/);
    expect(mapped.body.error).toContain('req-2');
  });
});
