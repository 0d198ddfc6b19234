import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { postgresBody, SEED_BODIES } from '../helpers/bodies.js';
import { handlerTransportFor, startTestApi, type ApiCall, type ApiResponse, type TestApi, type Transport } from '../helpers/transports.js';
import { pathFor, RESOLVER, ROUTE, ROUTES } from '../../lib/routes.js';

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

/**
 * Every route of the route table (and the resolve function) × every provider's body: org A holds an
 * active connection and a named one of the provider; whatever B sends, naming A's connection id
 * where the route takes one, B gets its own answer and A's connections, list and history are
 * exactly as before. Through the handler (the three transports are above): the matrix is about
 * the functions' scoping, and the providers' bodies must not open a path the postgres one does not.
 */
type ProviderName = keyof typeof SEED_BODIES;
type AttemptOfB = (context: { orgA: string; orgB: string; idA: string; body: Record<string, unknown> }) => Promise<void>;
const outcome = (response: ApiResponse) => ({ status: response.status, code: response.body?.code });
const notFound = { status: 404, code: 'connection_not_found' };
const at = (template: string, id: string) => pathFor(template, { connection_id: id });

describe('every route × every provider: B never reaches A', () => {
  let handler: Transport;
  let resolve: (event: unknown) => Promise<Record<string, unknown>>;
  beforeAll(async () => {
    handler = handlerTransportFor(testApi.functions);
    // Imported once the test API has set the environment the function reads at load.
    ({ handler: resolve } = (await import('../../functions/resolve-connection.js')) as unknown as { handler: typeof resolve });
  });

  /** Each route's attempt, by function name: a route added to the table without one fails below. */
  const ATTEMPTS: Record<string, AttemptOfB> = {
    [ROUTE.create.functionName]: async ({ orgB, body }) => {
      expect((await handler.call({ org: orgB, method: 'POST', body })).status).toBe(201);
    },
    [ROUTE.get.functionName]: async ({ orgB }) => {
      expect((await handler.call({ org: orgB, method: 'GET' })).body!.connection).toBeNull();
    },
    [ROUTE.test.functionName]: async ({ orgB, idA }) => {
      expect(outcome(await handler.call({ org: orgB, method: 'POST', path: ROUTE.test.path }))).toEqual(notFound);
      expect(outcome(await handler.call({ org: orgB, method: 'POST', path: at(ROUTE.test.alsoServes[0].path, idA) }))).toEqual(notFound);
    },
    [ROUTE.delete.functionName]: async ({ orgB }) => {
      expect(outcome(await handler.call({ org: orgB, method: 'DELETE' }))).toEqual(notFound);
    },
    [ROUTE.awsIdentity.functionName]: async ({ orgA, orgB }) => {
      // B's external id is B's alone: a role trusting A's can never be assumed for B.
      const [ofA, ofB] = await Promise.all([orgA, orgB].map((org) => handler.call({ org, method: 'GET', path: ROUTE.awsIdentity.path })));
      expect(ofB!.status).toBe(200);
      expect(ofB!.body!.external_id).toEqual(expect.any(String));
      expect(ofB!.body!.external_id).not.toBe(ofA!.body!.external_id);
    },
    [ROUTE.patch.functionName]: async ({ orgB }) => {
      expect(outcome(await handler.call({ org: orgB, method: 'PATCH', body: { dataset_id: 'taken_over' } }))).toEqual(notFound);
    },
    [ROUTE.createNamed.functionName]: async ({ orgB, body }) => {
      // Names are unique per organization: A's name is free for B, and B's copy is B's own.
      const created = await handler.call({ org: orgB, method: 'POST', path: ROUTE.createNamed.path, body: { name: 'Warehouse', ...body } });
      expect(created.status).toBe(201);
    },
    [ROUTE.list.functionName]: async ({ orgB }) => {
      expect((await handler.call({ org: orgB, method: 'GET', path: ROUTE.list.path })).body).toMatchObject({ connections: [] });
    },
    [ROUTE.getNamed.functionName]: async ({ orgB, idA }) => {
      expect(outcome(await handler.call({ org: orgB, method: 'GET', path: at(ROUTE.getNamed.path, idA) }))).toEqual(notFound);
    },
    [ROUTE.patchNamed.functionName]: async ({ orgB, idA }) => {
      const patched = await handler.call({
        org: orgB,
        method: 'PATCH',
        path: at(ROUTE.patchNamed.path, idA),
        body: { dataset_id: 'taken_over' },
      });
      expect(outcome(patched)).toEqual(notFound);
    },
    [ROUTE.deleteNamed.functionName]: async ({ orgB, idA }) => {
      expect(outcome(await handler.call({ org: orgB, method: 'DELETE', path: at(ROUTE.deleteNamed.path, idA) }))).toEqual(notFound);
    },
    [ROUTE.activate.functionName]: async ({ orgB, idA }) => {
      expect(outcome(await handler.call({ org: orgB, method: 'POST', path: at(ROUTE.activate.path, idA) }))).toEqual(notFound);
    },
    [ROUTE.audit.functionName]: async ({ orgB }) => {
      expect((await handler.call({ org: orgB, method: 'GET', path: ROUTE.audit.path })).body).toMatchObject({ events: [] });
    },
    [RESOLVER.functionName]: async ({ orgB, idA }) => {
      const request = { organization_id: orgB, caller: 'tenant-b', purpose: 'matrix' };
      expect(await resolve({ ...request, connection_id: idA })).toMatchObject({ ok: false, code: 'connection_not_found' });
      expect(await resolve(request)).toMatchObject({ ok: false, code: 'connection_not_found' });
    },
  };

  test('the matrix has an attempt for every function of the route table and the resolver, and nothing else', () => {
    expect(Object.keys(ATTEMPTS).sort()).toEqual(
      [...new Set([...ROUTES.map((route) => route.functionName), RESOLVER.functionName])].sort(),
    );
  });

  /** What A can see of its own: both connections (ETags included), its list and its history. */
  async function viewOfA(orgA: string, idA: string) {
    const [active, named, list, history] = await Promise.all([
      handler.call({ org: orgA, method: 'GET' }),
      handler.call({ org: orgA, method: 'GET', path: at(ROUTE.getNamed.path, idA) }),
      handler.call({ org: orgA, method: 'GET', path: ROUTE.list.path }),
      handler.call({ org: orgA, method: 'GET', path: ROUTE.audit.path }),
    ]);
    return {
      active: active.body!.connection,
      named: { connection: named.body!.connection, etag: named.headers.etag },
      list: list.body!.connections,
      history: history.body!.events,
    };
  }

  // One pair of organizations per provider: B's attempts run one after the other, and A's view is
  // compared after all of them (nothing B does can put back what it changed).
  test.each(Object.keys(SEED_BODIES) as ProviderName[])(
    '%s: whatever B does through any route, A’s connections are untouched',
    async (provider) => {
      const suffix = randomUUID().slice(0, 8);
      const [orgA, orgB] = [`org-a-${suffix}`, `org-b-${suffix}`];
      const body = SEED_BODIES[provider]();
      expect((await handler.call({ org: orgA, method: 'POST', body })).status).toBe(201);
      const named = await handler.call({ org: orgA, method: 'POST', path: ROUTE.createNamed.path, body: { name: 'Warehouse', ...body } });
      expect(named.status).toBe(201);
      const idA = (named.body!.connection as { id: string }).id;
      const before = await viewOfA(orgA, idA);

      // Reads first, then what would change A's state, then B's own creations.
      const creations: string[] = [ROUTE.create.functionName, ROUTE.createNamed.functionName];
      const order = Object.keys(ATTEMPTS).sort((x, y) => Number(creations.includes(x)) - Number(creations.includes(y)));
      for (const functionName of order) await ATTEMPTS[functionName]!({ orgA, orgB, idA, body });

      expect(await viewOfA(orgA, idA)).toEqual(before);
    },
  );
});
