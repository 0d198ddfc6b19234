import { describe, expect, test } from '@jest/globals';
import { bigqueryBody, SECRETS, snowflakeBody } from '../helpers/bodies.js';
import type { Transport } from '../helpers/transports.js';
import { pathFor, ROUTE } from '../../lib/routes.js';

/**
 * The end-to-end scenarios, written once and run against the local runtime (test/api) and against
 * a deployed stack (test/deployed, `npm run test:deployed`).
 */
export interface ScenarioTarget {
  /** The transports this target offers (a deployed stack has no in-process handler). */
  transportNames: readonly Transport['name'][];
  transports: () => Transport[];
  /** Two organizations the caller may act as; each call may return a fresh pair. */
  organizations: () => Promise<[string, string]>;
  /** A Postgres body the deployed or local test function can try, and the verdict it must give. */
  postgres: () => { body: Record<string, unknown>; verdict: Verdict };
  /** Snowflake and BigQuery connections the target can test against stand-ins, when it has them. */
  standIns?: () => { provider: string; body: Record<string, unknown>; verdict: Verdict }[];
  /**
   * A second address of the Postgres server, with a count of the connections that arrived there,
   * when the target's test function can reach one (the local runtime and the rehearsal).
   */
  secondPostgresAddress?: () => { host: string; port: number; arrivals: () => number };
}

type Verdict = { success: true; code: 'ok' } | { success: false; code: string };

const TEST_PATH = ROUTE.test.path;

export function connectionScenarios(target: ScenarioTarget): void {
  describe.each(target.transportNames)('through %s', (name) => {
    const transport = () => target.transports().find((candidate) => candidate.name === name)!;

    test.each([
      ['postgres', () => target.postgres().body, {}],
      ['snowflake', () => snowflakeBody(), { project_id: 'acme-analytics', dataset_id: 'PUBLIC', settings: {} }],
      [
        'bigquery',
        () => bigqueryBody(),
        { project_id: 'acme-analytics-123', dataset_id: 'levered', settings: { maximum_bytes_billed: 10485760 } },
      ],
    ])('a %s connection is created, read back without secrets, and deleted', async (provider, body, expected) => {
      const api = transport();
      const [org] = await target.organizations();

      const created = await api.call({ org, method: 'POST', body: body() });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        provider,
        ...expected,
        created_at: expect.any(String),
        meta: { request_id: expect.any(String), organization_id: org },
      });

      const read = await api.call({ org, method: 'GET' });
      expect(read.status).toBe(200);
      expect(read.body).toMatchObject({
        connection: { id: created.body!.id, provider, ...expected, status: null, last_tested_at: null },
        meta: { organization_id: org },
      });
      for (const secret of SECRETS) expect(created.rawBody + read.rawBody).not.toContain(secret);
      expect(read.rawBody).not.toMatch(/ciphertext|encrypted_data_key|password|private_key/);

      expect((await api.call({ org, method: 'DELETE' })).status).toBe(204);
      expect((await api.call({ org, method: 'GET' })).body).toMatchObject({ connection: null, meta: { organization_id: org } });
    });

    test('a second POST replaces the connection with a new id', async () => {
      const api = transport();
      const [org] = await target.organizations();
      const first = await api.call({ org, method: 'POST', body: snowflakeBody() });
      const second = await api.call({ org, method: 'POST', body: target.postgres().body });
      expect(second.status).toBe(201);
      expect(second.body!.id).not.toBe(first.body!.id);
      expect((await api.call({ org, method: 'GET' })).body!.connection).toMatchObject({ id: second.body!.id, provider: 'postgres' });
      await api.call({ org, method: 'DELETE' });
    });

    test('the test endpoint gives its verdict and records it', async () => {
      const api = transport();
      const [org] = await target.organizations();
      const { body, verdict } = target.postgres();
      await api.call({ org, method: 'POST', body });

      const tested = await api.call({ org, method: 'POST', path: TEST_PATH });
      expect(tested.status).toBe(verdict.success ? 200 : 400);
      expect(tested.body).toMatchObject({ ...verdict, latency_ms: expect.any(Number), meta: { organization_id: org } });
      expect((await api.call({ org, method: 'GET' })).body!.connection).toMatchObject({
        status: verdict.success ? 'connected' : 'failed',
        last_tested_at: expect.any(String),
      });
      await api.call({ org, method: 'DELETE' });
    });

    test('each provider with a stand-in is tested by its own driver, loaded on demand', async () => {
      const api = transport();
      const [org] = await target.organizations();
      for (const { provider, body, verdict } of target.standIns?.() ?? []) {
        expect((await api.call({ org, method: 'POST', body })).status).toBe(201);
        const tested = await api.call({ org, method: 'POST', path: TEST_PATH });
        expect({ provider, status: tested.status, body: tested.body }).toMatchObject({
          provider,
          status: verdict.success ? 200 : 400,
          body: verdict,
        });
      }
      await api.call({ org, method: 'DELETE' });
    });

    test('deleting or testing when there is no connection answers 404', async () => {
      const api = transport();
      const [org] = await target.organizations();
      await api.call({ org, method: 'DELETE' });
      for (const response of [await api.call({ org, method: 'DELETE' }), await api.call({ org, method: 'POST', path: TEST_PATH })]) {
        expect(response.status).toBe(404);
        expect(response.body).toMatchObject({ code: 'connection_not_found', meta: { organization_id: org } });
      }
    });

    test('one organization cannot read, test or delete the other’s connection', async () => {
      const api = transport();
      const [orgA, orgB] = await target.organizations();
      await api.call({ org: orgB, method: 'DELETE' });
      const created = await api.call({ org: orgA, method: 'POST', body: target.postgres().body });

      expect((await api.call({ org: orgB, method: 'GET' })).body!.connection).toBeNull();
      expect((await api.call({ org: orgB, method: 'POST', path: TEST_PATH })).status).toBe(404);
      expect((await api.call({ org: orgB, method: 'DELETE' })).status).toBe(404);
      expect((await api.call({ org: orgA, method: 'GET' })).body!.connection).toMatchObject({ id: created.body!.id });
      await api.call({ org: orgA, method: 'DELETE' });
    });

    test('an invalid body is a 400 naming the field', async () => {
      const [org] = await target.organizations();
      const response = await transport().call({
        org,
        method: 'POST',
        body: { ...target.postgres().body, credentials: { host: 'db.example.com', port: 70000 } },
      });
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({
        code: 'validation_failed',
        field: expect.stringMatching(/^credentials\./),
        error: expect.any(String),
      });
    });

    test('each organization gets its own external id for AWS roles, and the principal to trust', async () => {
      const api = transport();
      const [orgA, orgB] = await target.organizations();
      const [a, b, again] = [
        await api.call({ org: orgA, method: 'GET', path: ROUTE.awsIdentity.path }),
        await api.call({ org: orgB, method: 'GET', path: ROUTE.awsIdentity.path }),
        await api.call({ org: orgA, method: 'GET', path: ROUTE.awsIdentity.path }),
      ];
      expect(a.status).toBe(200);
      expect(a.body).toMatchObject({ external_id: expect.stringMatching(/^wc-[\w-]{32}$/), meta: { organization_id: orgA } });
      expect(b.body!.external_id).not.toBe(a.body!.external_id);
      expect(again.body!.external_id).toBe(a.body!.external_id);
      const statement = (a.body!.trust_policy as { Statement: { Condition: { StringEquals: Record<string, string> } }[] }).Statement[0]!;
      expect(statement.Condition.StringEquals['sts:ExternalId']).toBe(a.body!.external_id);
    });

    test('the collection: named connections listed by page, edited without secrets, never to a new destination, activated and deleted', async () => {
      const api = transport();
      const [org, otherOrg] = await target.organizations();
      const { body, verdict } = target.postgres();
      const at = (template: string, id: string) => pathFor(template, { connection_id: id });

      const first = await api.call({ org, method: 'POST', path: ROUTE.createNamed.path, body: { name: 'Warehouse (prod)', ...body } });
      const second = await api.call({ org, method: 'POST', path: ROUTE.createNamed.path, body: { name: 'Warehouse (staging)', ...body } });
      expect([first.status, second.status]).toEqual([201, 201]);
      const [firstId, secondId] = [(first.body!.connection as { id: string }).id, (second.body!.connection as { id: string }).id];
      expect(second.body!.connection).toMatchObject({
        name: 'Warehouse (staging)',
        active: false,
        version: 1,
        stored_secrets: ['credentials.password'],
      });
      const duplicate = await api.call({ org, method: 'POST', path: ROUTE.createNamed.path, body: { name: 'WAREHOUSE (PROD)', ...body } });
      expect({ status: duplicate.status, code: duplicate.body!.code, field: duplicate.body!.field }).toEqual({
        status: 409,
        code: 'name_taken',
        field: 'name',
      });

      // Newest first, one per page, the cursor carrying on; another organization's cursor refused.
      const page1 = await api.call({ org, method: 'GET', path: `${ROUTE.list.path}?limit=1` });
      expect(page1.body).toMatchObject({ connections: [{ id: secondId }], next_cursor: expect.any(String) });
      const cursor = encodeURIComponent(page1.body!.next_cursor as string);
      const page2 = await api.call({ org, method: 'GET', path: `${ROUTE.list.path}?limit=1&cursor=${cursor}` });
      expect(page2.body).toMatchObject({ connections: [{ id: firstId }] });
      const stolen = await api.call({ org: otherOrg, method: 'GET', path: `${ROUTE.list.path}?limit=1&cursor=${cursor}` });
      expect({ status: stolen.status, code: stolen.body!.code, field: stolen.body!.field }).toEqual({
        status: 400,
        code: 'invalid_cursor',
        field: 'query.cursor',
      });
      for (const page of [page1, page2]) expect(page.rawBody).not.toMatch(/credentials|password/);

      // A new name; then a new host without the password (refused), then with it.
      const renamed = await api.call({
        org,
        method: 'PATCH',
        path: at(ROUTE.patchNamed.path, firstId),
        body: { name: 'Warehouse (production)' },
      });
      expect(renamed.status).toBe(200);
      expect(renamed.body!.connection).toMatchObject({ name: 'Warehouse (production)', version: 2 });
      const credentials = body.credentials as Record<string, unknown>;
      const second_address = target.secondPostgresAddress?.() ?? {
        host: credentials.host as string,
        port: credentials.port as number,
        arrivals: () => 0,
      };
      const moved = { credentials: { host: second_address.host, port: second_address.port } };
      const refused = await api.call({ org, method: 'PATCH', path: at(ROUTE.patchNamed.path, firstId), body: moved });
      if (target.secondPostgresAddress) {
        expect(refused.status).toBe(400);
        expect(refused.body).toMatchObject({ code: 'secret_required', field: 'credentials.password' });
      }
      const withSecret = { credentials: { ...moved.credentials, password: credentials.password } };
      const patched = await api.call({
        org,
        method: 'PATCH',
        path: at(ROUTE.patchNamed.path, firstId),
        body: withSecret,
        headers: { 'if-match': '"2"' },
      });
      expect(patched.status).toBe(200);
      expect(patched.body!.connection).toMatchObject({ version: 3, credentials: { host: second_address.host, port: second_address.port } });
      const stale = await api.call({
        org,
        method: 'PATCH',
        path: at(ROUTE.patchNamed.path, firstId),
        body: { dataset_id: 'x' },
        headers: { 'if-match': '"2"' },
      });
      expect({ status: stale.status, code: stale.body!.code }).toEqual({ status: 412, code: 'version_mismatch' });

      // Activated, it is what the seed routes address; its test reaches the new address.
      const activated = await api.call({ org, method: 'POST', path: at(ROUTE.activate.path, firstId) });
      expect(activated.body!.connection).toMatchObject({ id: firstId, active: true });
      expect((await api.call({ org, method: 'GET' })).body!.connection).toMatchObject({ id: firstId });
      const arrivalsBefore = second_address.arrivals();
      const tested = await api.call({ org, method: 'POST', path: TEST_PATH });
      expect(tested.body).toMatchObject(verdict);
      if (target.secondPostgresAddress) expect(second_address.arrivals()).toBeGreaterThan(arrivalsBefore);
      const testedById = await api.call({ org, method: 'POST', path: at(ROUTE.test.alsoServes[0].path, secondId) });
      expect(testedById.body).toMatchObject(verdict);

      // Deleting the active one leaves none active; the other stays.
      expect((await api.call({ org, method: 'DELETE', path: at(ROUTE.deleteNamed.path, firstId) })).status).toBe(204);
      expect((await api.call({ org, method: 'GET' })).body).toMatchObject({ connection: null });
      expect((await api.call({ org, method: 'GET', path: at(ROUTE.getNamed.path, firstId) })).status).toBe(404);
      const rest = await api.call({ org, method: 'GET', path: ROUTE.list.path });
      expect(rest.body).toMatchObject({ connections: [{ id: secondId, active: false }], next_cursor: null });
      expect((await api.call({ org, method: 'DELETE', path: at(ROUTE.deleteNamed.path, secondId) })).status).toBe(204);
    });

    test('a request without an identity is refused with 401', async () => {
      for (const method of ['GET', 'POST', 'DELETE'] as const) {
        const response = await transport().call({ org: null, method });
        expect(response.status).toBe(401);
      }
    });

    test('responses are JSON and never cached', async () => {
      const [org] = await target.organizations();
      const response = await transport().call({ org, method: 'GET' });
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.headers['cache-control']).toBe('no-store');
    });
  });
}
