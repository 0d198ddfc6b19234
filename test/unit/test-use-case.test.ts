import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { afterAll, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { createConnection } from '../../lib/connections/create.js';
import { testConnection, type TestDependencies } from '../../lib/connections/test.js';
import { EnvelopeCipher } from '../../lib/crypto/envelope.js';
import { KmsDataKeys } from '../../lib/crypto/kms-data-keys.js';
import type { Probe } from '../../lib/providers/probe.js';
import { ProbeFailure } from '../../lib/providers/verdict.js';
import type { ConnectionDefinition } from '../../lib/schema/connection.js';
import { ConnectionStore } from '../../lib/store/connection-store.js';
import { postgresBody } from '../helpers/bodies.js';

/** The test use case with a probe handed in: what it gives the probe, and what it does with the verdict. */
const dynamoDb = new DynamoDBClient({});
const kms = new KMSClient({});
afterAll(() => {
  dynamoDb.destroy();
  kms.destroy();
});

const store = new ConnectionStore(dynamoDb, process.env.TABLE_NAME!);
const cipher = new EnvelopeCipher(new KmsDataKeys(kms, process.env.KMS_KEY_ID!));
const limits = { connectTimeoutMs: 1_000, statementTimeoutMs: 1_000, deadlineMs: 2_000 };

function deps(probe: Probe): TestDependencies {
  return { store, cipher, limits, testLimit: undefined, loadProbe: async () => probe };
}

describe("testConnection with a probe of the test's own", () => {
  test('the probe receives the decrypted definition and the limits; a success is recorded', async () => {
    const org = `org-${randomUUID().slice(0, 8)}`;
    await createConnection({ store, cipher }, org, postgresBody({}, { password: 'use-case-canary' }));
    const seen: ConnectionDefinition[] = [];
    const result = await testConnection(
      deps(async (definition, probeLimits) => {
        seen.push(definition);
        expect(probeLimits.deadlineMs).toBe(2_000);
      }),
      org,
    );
    expect(result).toMatchObject({ success: true, code: 'ok', latency_ms: expect.any(Number) });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ provider: 'postgres', credentials: { password: 'use-case-canary' } });
    expect(await store.getSummary(org)).toMatchObject({ status: 'connected' });
  });

  test('a probe failure becomes the verdict, recorded as failed', async () => {
    const org = `org-${randomUUID().slice(0, 8)}`;
    await createConnection({ store, cipher }, org, postgresBody());
    const result = await testConnection(
      deps(async () => {
        throw new ProbeFailure('auth_failed', 'The warehouse refused the credentials.');
      }),
      org,
    );
    expect(result).toMatchObject({ success: false, code: 'auth_failed', error: 'The warehouse refused the credentials.' });
    expect(await store.getSummary(org)).toMatchObject({ status: 'failed' });
  });
});
