import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { bigqueryBody, postgresBody, SECRETS, snowflakeBody } from '../helpers/bodies.js';
import { capturedLogLines } from '../helpers/logs.js';
import { startTestApi, type TestApi, type Transport } from '../helpers/transports.js';

let testApi: TestApi;
beforeAll(async () => {
  testApi = await startTestApi();
});
afterAll(async () => {
  await testApi.close();
});

const transports = ['handler', 'invoke', 'http'] as const;
const transport = (name: (typeof transports)[number]): Transport => testApi.transports.find((candidate) => candidate.name === name)!;
const newOrg = () => `org-${randomUUID().slice(0, 8)}`;

describe.each(transports)('through %s', (name) => {
  test.each([
    ['postgres', postgresBody(), { project_id: null, dataset_id: 'analytics', settings: {} }],
    ['snowflake', snowflakeBody(), { project_id: 'acme-analytics', dataset_id: 'PUBLIC', settings: {} }],
    ['bigquery', bigqueryBody(), { project_id: 'acme-analytics-123', dataset_id: 'levered', settings: { maximum_bytes_billed: 10485760 } }],
  ])('a %s connection is created, read back without secrets, and deleted', async (provider, body, expected) => {
    const api = transport(name);
    const org = newOrg();

    const created = await api.call({ org, method: 'POST', body });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      provider,
      ...expected,
      created_at: expect.any(String),
      meta: { request_id: expect.any(String), organization_id: org },
    });

    const read = await api.call({ org, method: 'GET' });
    expect(read.status).toBe(200);
    expect(read.body).toEqual({
      connection: { id: created.body!.id, provider, ...expected, created_at: created.body!.created_at, status: null, last_tested_at: null },
      meta: { request_id: expect.any(String), organization_id: org },
    });
    for (const secret of SECRETS) expect(created.rawBody + read.rawBody).not.toContain(secret);
    expect(read.rawBody).not.toMatch(/ciphertext|encrypted_data_key|password|private_key/);

    const deleted = await api.call({ org, method: 'DELETE' });
    expect(deleted.status).toBe(204);
    expect(deleted.rawBody).toBe('');

    const afterDelete = await api.call({ org, method: 'GET' });
    expect(afterDelete.body).toMatchObject({ connection: null, meta: { organization_id: org } });
  });

  test('a second POST replaces the connection with a new id', async () => {
    const api = transport(name);
    const org = newOrg();
    const first = await api.call({ org, method: 'POST', body: snowflakeBody() });
    const second = await api.call({ org, method: 'POST', body: postgresBody() });

    expect(second.status).toBe(201);
    expect(second.body!.id).not.toBe(first.body!.id);
    const read = await api.call({ org, method: 'GET' });
    expect(read.body!.connection).toMatchObject({ id: second.body!.id, provider: 'postgres' });
  });

  test('deleting or testing when there is no connection answers 404', async () => {
    const api = transport(name);
    const org = newOrg();
    const deleted = await api.call({ org, method: 'DELETE' });
    const tested = await api.call({ org, method: 'POST', path: '/api/v2/warehouse/connections/test' });

    for (const response of [deleted, tested]) {
      expect(response.status).toBe(404);
      expect(response.body).toMatchObject({ code: 'connection_not_found', error: expect.stringContaining('no warehouse connection'), meta: { organization_id: org } });
    }
  });

  test('a request without an identity is refused with 401 and reaches no data', async () => {
    const api = transport(name);
    for (const method of ['GET', 'POST', 'DELETE'] as const) {
      const response = await api.call({ org: null, method, ...(method === 'POST' ? { body: postgresBody() } : {}) });
      expect(response.status).toBe(401);
      expect(response.body).toMatchObject({ code: 'unauthorized', error: expect.any(String) });
    }
  });

  test('every response is JSON and never cached', async () => {
    const response = await transport(name).call({ org: newOrg(), method: 'GET' });
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.headers['cache-control']).toBe('no-store');
  });
});

test('no secret reached a log line', () => {
  const logs = capturedLogLines().join('');
  expect(logs).toContain('"event":"connection.saved"');
  for (const secret of SECRETS) expect(logs).not.toContain(secret);
});
