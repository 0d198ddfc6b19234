import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { postgresBody } from '../helpers/bodies.js';
import { startTestApi, type ApiCall, type TestApi } from '../helpers/transports.js';
import { ROUTE } from '../../lib/routes.js';

/**
 * Two organizations over every endpoint and every transport: whatever B does, A's connection is
 * neither read, tested, replaced nor deleted, and what B sees is only its own.
 */
const TEST_PATH = ROUTE.test.path;
let testApi: TestApi;
beforeAll(async () => {
  testApi = await startTestApi();
});
afterAll(async () => {
  await testApi.close();
});

const actionsOfB: [string, Omit<ApiCall, 'org'>, (status: number, body: Record<string, unknown>) => void][] = [
  [
    'reads',
    { method: 'GET' },
    (status, body) => expect({ status, connection: body.connection }).toEqual({ status: 200, connection: null }),
  ],
  [
    'tests',
    { method: 'POST', path: TEST_PATH },
    (status, body) => expect({ status, code: body.code }).toEqual({ status: 404, code: 'connection_not_found' }),
  ],
  ['deletes', { method: 'DELETE' }, (status) => expect(status).toBe(404)],
  [
    'creates its own',
    { method: 'POST', body: postgresBody({ dataset_id: 'public' }, { password: 'b-own-password-canary' }) },
    (status) => expect(status).toBe(201),
  ],
];

describe.each(['handler', 'invoke', 'http'] as const)('through %s', (name) => {
  test.each(actionsOfB)('when B %s, A is untouched', async (_, request, checkB) => {
    const api = testApi.transports.find((transport) => transport.name === name)!;
    const orgA = `org-a-${randomUUID().slice(0, 8)}`;
    const orgB = `org-b-${randomUUID().slice(0, 8)}`;
    const created = await api.call({ org: orgA, method: 'POST', body: postgresBody() });

    const byB = await api.call({ org: orgB, ...request });
    checkB(byB.status, byB.body ?? {});
    expect(byB.body?.meta ?? { organization_id: orgB }).toMatchObject({ organization_id: orgB });

    const readByA = await api.call({ org: orgA, method: 'GET' });
    expect(readByA.body!.connection).toMatchObject({ id: created.body!.id, dataset_id: 'analytics' });
    expect((await api.call({ org: orgA, method: 'POST', path: TEST_PATH })).body).toMatchObject({ success: true });
    if (request.method === 'POST' && !request.path) {
      expect((await api.call({ org: orgB, method: 'GET' })).body!.connection).toMatchObject({ id: byB.body!.id, dataset_id: 'public' });
    }
  });
});
