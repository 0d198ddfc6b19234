import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomBytes, randomUUID } from 'node:crypto';
import { testConnection, type TestDependencies } from '../../lib/connections/test.js';
import { EnvelopeCipher } from '../../lib/crypto/envelope.js';
import { KmsDataKeys } from '../../lib/crypto/kms-data-keys.js';
import type { Lookup } from '../../lib/providers/network-guard.js';
import type { StageName } from '../../lib/providers/verdict.js';
import { ConnectionStore } from '../../lib/store/connection-store.js';
import { makeWorkspaceCertificates, type WorkspaceCertificates } from '../fakes/databricks-certificates.js';
import { startFakeDatabricks, type FakeDatabricks } from '../fakes/databricks-server.js';
import { capturedLogLines } from '../helpers/logs.js';
import { stagesThrough } from '../helpers/stages.js';
import { useTestApi } from '../helpers/transports.js';

/**
 * A Databricks connection created with POST /connections (the create function's handler), then
 * tested by the test use case, the test function's whole work, with the real store (dynalite), the
 * real KMS envelope and the real @databricks/sql against the workspace stand-in, which the probe
 * limits point it at (as the function's configuration would name the vendor's endpoints). Then GET
 * shows the recorded verdict. The probe's every failure is in test/providers/databricks.test.ts.
 */
const { transport } = useTestApi();
const handler = transport('handler');
const dynamoDb = new DynamoDBClient({});
const kms = new KMSClient({});
const store = new ConnectionStore(dynamoDb, process.env.TABLE_NAME!);
const cipher = new EnvelopeCipher(new KmsDataKeys(kms, process.env.KMS_KEY_ID!));

const WORKSPACE = 'dbc-7e7e7e7e-1212.cloud.databricks.com';
const WAREHOUSE = '00112233aabbccdd';
const STARTING = 'ffeeddccbbaa9988';
const SERVICE_PRINCIPAL = '3c9a8b7d-6e5f-4a1b-9c2d-3e4f5a6b7c8d';
const TOKEN = `dapi-canary-api-${randomBytes(6).toString('hex')}`;
const CLIENT_SECRET = `dose-canary-api-${randomBytes(6).toString('hex')}`;

let certificates: WorkspaceCertificates;
let fake: FakeDatabricks;
const lookup: Lookup = async (hostname) => {
  if (hostname !== WORKSPACE) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
  return [{ address: fake.address, family: 4 }];
};

beforeAll(async () => {
  certificates = await makeWorkspaceCertificates([WORKSPACE]);
  fake = await startFakeDatabricks(
    {
      host: WORKSPACE,
      tokens: { [TOKEN]: 'analyst@example.com' },
      servicePrincipals: { [SERVICE_PRINCIPAL]: CLIENT_SECRET },
      warehouses: {
        [WAREHOUSE]: { state: 'running', users: ['analyst@example.com', SERVICE_PRINCIPAL] },
        [STARTING]: { state: 'starting', users: ['analyst@example.com'] },
      },
      catalogs: {
        main: {
          users: ['analyst@example.com', SERVICE_PRINCIPAL],
          schemas: {
            marts: { users: ['analyst@example.com', SERVICE_PRINCIPAL], tables: ['orders'] },
            hr: { users: [], tables: ['people'] },
          },
        },
      },
    },
    certificates,
  );
});

afterAll(async () => {
  await fake.close();
  dynamoDb.destroy();
  kms.destroy();
});

function deps(): TestDependencies {
  return {
    store,
    cipher,
    testLimit: undefined,
    limits: {
      connectTimeoutMs: 2_000,
      statementTimeoutMs: 2_000,
      deadlineMs: 5_000,
      allowedCidrs: ['127.0.0.0/8'],
      lookup,
      databricksEndpoint: { port: fake.port, caCertificate: certificates.caCertificate },
    },
  };
}

const body = (credentials: Record<string, unknown>, top: Record<string, unknown> = {}) => ({
  provider: 'databricks',
  dataset_id: 'marts',
  credentials: { host: WORKSPACE, http_path: `/sql/1.0/warehouses/${WAREHOUSE}`, catalog: 'main', ...credentials },
  ...top,
});

async function createAndTest(request: unknown) {
  const org = `org-dbx-${randomUUID().slice(0, 8)}`;
  const created = await handler.call({ org, method: 'POST', body: request });
  expect(created.status).toBe(201);
  expect(created.rawBody).not.toContain(TOKEN);
  expect(created.rawBody).not.toContain(CLIENT_SECRET);
  const result = await testConnection(deps(), org);
  const read = await handler.call({ org, method: 'GET' });
  return { org, result, connection: read.body!.connection as Record<string, unknown> };
}

describe('testing a Databricks connection created through the API', () => {
  test.each<[string, Record<string, unknown>, readonly StageName[]]>([
    ['a personal access token', { token: TOKEN }, ['resolve', 'connect', 'tls', 'authenticate', 'query', 'schema_access']],
    [
      'OAuth machine-to-machine',
      { auth_method: 'oauth_m2m', client_id: SERVICE_PRINCIPAL, client_secret: CLIENT_SECRET },
      ['resolve', 'connect', 'tls', 'credentials', 'authenticate', 'query', 'schema_access'],
    ],
  ])('%s: success, recorded; GET shows the stages and no secret', async (_, credentials, stages) => {
    const { result, connection } = await createAndTest(body(credentials));

    expect(result).toEqual({ success: true, code: 'ok', stages: stagesThrough(stages, 'passed'), latency_ms: expect.any(Number) });
    expect(connection).toMatchObject({ provider: 'databricks', status: 'connected', stages: stagesThrough(stages, 'passed') });
    for (const secret of [TOKEN, CLIENT_SECRET, ...fake.issuedTokens]) expect(JSON.stringify([result, connection])).not.toContain(secret);
  });

  test.each<[string, Record<string, unknown>, Record<string, unknown>, string, RegExp, readonly StageName[], string | undefined]>([
    [
      'a warehouse that is starting',
      { token: TOKEN, http_path: `/sql/1.0/warehouses/${STARTING}` },
      {},
      'warehouse_unavailable',
      /SQL warehouse 'ffeeddccbbaa9988' is starting/,
      ['resolve', 'connect', 'tls', 'authenticate'],
      undefined,
    ],
    [
      'a schema the service principal may not use: the hint names it',
      { auth_method: 'oauth_m2m', client_id: SERVICE_PRINCIPAL, client_secret: CLIENT_SECRET },
      { dataset_id: 'hr' },
      'permission_denied',
      /may not use schema `main`.`hr`/,
      ['resolve', 'connect', 'tls', 'credentials', 'authenticate', 'query', 'schema_access'],
      `GRANT USE CATALOG ON CATALOG \`main\` TO \`${SERVICE_PRINCIPAL}\`; GRANT USE SCHEMA ON SCHEMA \`main\`.\`hr\` TO \`${SERVICE_PRINCIPAL}\`;`,
    ],
  ])('%s: the failure, its stages and hint, recorded as failed', async (_, credentials, top, code, message, stages, hint) => {
    const { result, connection } = await createAndTest(body(credentials, top));

    expect(result).toEqual({
      success: false,
      code,
      error: expect.stringMatching(message),
      ...(hint === undefined ? {} : { hint }),
      stages: stagesThrough(stages, 'failed'),
      latency_ms: expect.any(Number),
    });
    expect(connection).toMatchObject({ status: 'failed', stages: stagesThrough(stages, 'failed') });
  });

  test('neither responses nor logs carried a token, a client secret or an issued access token', () => {
    const logs = capturedLogLines().join('');
    expect(fake.issuedTokens.length).toBeGreaterThan(0);
    for (const secret of [TOKEN, CLIENT_SECRET, ...fake.issuedTokens]) expect(logs).not.toContain(secret);
  });
});
