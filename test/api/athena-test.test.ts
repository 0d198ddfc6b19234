import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomBytes, randomUUID } from 'node:crypto';
import { externalIdFor } from '../../lib/aws/external-id.js';
import type { StageName } from '../../lib/providers/verdict.js';
import { ROUTE } from '../../lib/routes.js';
import { ATHENA_NAMES, athenaWorldBody, startAthenaWorld, type AthenaWorld } from '../fakes/athena-world.js';
import { capturedLogLines } from '../helpers/logs.js';
import { stagesThrough } from '../helpers/stages.js';
import { useTestApi, type Transport } from '../helpers/transports.js';

/**
 * An Athena connection created and tested through the API (handler, Lambda Invoke, HTTP), as the
 * test function runs it: its configuration names no AWS endpoint, so the AWS SDK goes where the
 * standard AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL_ATHENA variables say (the loopback stand-ins
 * here; unset in production) and signs with the function's own credentials (the local ones the
 * test setup exports). The external id presented is the caller's organization's.
 */
const { api, transport } = useTestApi();
const handler = transport('handler');
const TEST_PATH = ROUTE.test.path;
const DEPLOYMENT = 'local';
const STAGES: readonly StageName[] = ['assume_role', 'query', 'schema_access'];

let world: AthenaWorld;
const saved: Record<string, string | undefined> = {};
const verdicts: string[] = [];

beforeAll(async () => {
  // The test function's own identity is the process's: the keys the test setup exported.
  world = await startAthenaWorld({
    service: {
      roleArn: 'arn:aws:iam::111122223333:role/warehouse-connections-test-function',
      accessKeyId: process.env.AWS_ACCESS_KEY_ID!,
      secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY!,
    },
  });
  for (const [name, value] of Object.entries({
    AWS_ENDPOINT_URL_STS: world.sts.endpoint,
    AWS_ENDPOINT_URL_ATHENA: world.athena.endpoint,
  })) {
    saved[name] = process.env[name];
    process.env[name] = value;
  }
});
afterAll(async () => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  await world.close();
});

/** An organization whose own role trusts the service with its own external id. */
function newOrganization() {
  const org = `org-${randomUUID().slice(0, 8)}`;
  const roleArn = world.putRole(externalIdFor(org, DEPLOYMENT), { name: `athena-reader-${randomBytes(4).toString('hex')}` });
  return { org, roleArn };
}

async function createAndTest(through: Transport, org: string, body: unknown) {
  const created = await through.call({ org, method: 'POST', body });
  expect(created.status).toBe(201);
  const tested = await through.call({ org, method: 'POST', path: TEST_PATH });
  verdicts.push(tested.rawBody);
  return { created, tested };
}

describe('testing an Athena connection through the API', () => {
  test.each(['handler', 'invoke', 'http'] as const)(
    'through %s: the role is assumed with the organization external id, both queries run, GET shows the stages',
    async (name) => {
      const through = api().transports.find((candidate) => candidate.name === name)!;
      const { org, roleArn } = newOrganization();
      const { created, tested } = await createAndTest(through, org, athenaWorldBody({ role_arn: roleArn }));

      expect(created.body).toMatchObject({ provider: 'athena', dataset_id: ATHENA_NAMES.database, settings: {} });
      expect(tested.status).toBe(200);
      expect(tested.body).toEqual({
        success: true,
        code: 'ok',
        stages: stagesThrough(STAGES, 'passed'),
        latency_ms: expect.any(Number),
        meta: { request_id: expect.any(String), organization_id: org },
      });
      expect(world.sts.calls.at(-1)).toMatchObject({ roleArn, externalId: externalIdFor(org, DEPLOYMENT) });
      const read = await through.call({ org, method: 'GET' });
      expect(read.body!.connection).toMatchObject({ provider: 'athena', status: 'connected', stages: stagesThrough(STAGES, 'passed') });
    },
  );

  test.each<[string, Record<string, unknown>, Record<string, unknown>, string, RegExp, readonly StageName[]]>([
    [
      'a database that does not exist',
      {},
      { dataset_id: 'no_such_db' },
      'object_not_found',
      /^Database 'no_such_db' does not exist in catalog 'AwsDataCatalog' \(us-east-1\)\.$/,
      STAGES,
    ],
    [
      'a disabled workgroup',
      { workgroup: ATHENA_NAMES.disabled },
      {},
      'warehouse_unavailable',
      /^Workgroup 'paused-team' is disabled/,
      ['assume_role', 'query'],
    ],
  ])('%s is a 400 with the code and the stage it failed at; GET shows it failed', async (_, credentials, top, code, error, stages) => {
    const { org, roleArn } = newOrganization();
    const { tested } = await createAndTest(handler, org, athenaWorldBody({ role_arn: roleArn, ...credentials }, top));
    expect(tested.status).toBe(400);
    expect(tested.body).toEqual({
      success: false,
      code,
      error: expect.stringMatching(error),
      stages: stagesThrough(stages, 'failed'),
      latency_ms: expect.any(Number),
      meta: { request_id: expect.any(String), organization_id: org },
    });
    const read = await handler.call({ org, method: 'GET' });
    expect(read.body!.connection).toMatchObject({ status: 'failed', stages: stagesThrough(stages, 'failed') });
  });

  test("another organization storing the same role_arn is refused by STS, with its own external id in the hint, never the role's organization's", async () => {
    const owner = newOrganization();
    const intruder = `org-${randomUUID().slice(0, 8)}`;
    const calls = world.athena.calls.length;
    const { tested } = await createAndTest(handler, intruder, athenaWorldBody({ role_arn: owner.roleArn }));

    expect(tested.status).toBe(400);
    expect(tested.body).toMatchObject({
      code: 'permission_denied',
      hint: expect.stringContaining(externalIdFor(intruder, DEPLOYMENT)),
      stages: stagesThrough(['assume_role'], 'failed'),
    });
    expect(tested.rawBody).not.toContain(externalIdFor(owner.org, DEPLOYMENT));
    expect(world.athena.calls.length).toBe(calls);
  });

  test('a new workgroup needs no secret (there is none): PATCH moves the connection, and the test runs there', async () => {
    const { org, roleArn } = newOrganization();
    await createAndTest(handler, org, athenaWorldBody({ role_arn: roleArn }));
    const moved = await handler.call({ org, method: 'PATCH', body: { credentials: { workgroup: 'primary', output_location: null } } });
    expect(moved.status).toBe(200);
    const tested = await handler.call({ org, method: 'POST', path: TEST_PATH });
    verdicts.push(tested.rawBody);
    expect(tested.body).toMatchObject({ success: true, code: 'ok' });
    const last = [...world.athena.queries.values()].at(-1)!;
    expect({ workgroup: last.workgroup, outputLocation: last.outputLocation }).toEqual({
      workgroup: 'primary',
      outputLocation: 's3://acme-athena-results/primary/',
    });
  });

  test('no secret handed out by STS (role keys, session tokens) reached a response or a log line', () => {
    expect(verdicts.length).toBeGreaterThanOrEqual(6);
    const seen = [...verdicts, ...capturedLogLines()].join('\n');
    expect(seen).toContain('"provider":"athena"');
    const secrets = world.accounts.issuedSecrets;
    expect(secrets.length).toBeGreaterThan(10);
    for (const secret of secrets) expect(seen).not.toContain(secret);
  });
});

describe('resolving an Athena connection (the resolve function, as workers call it)', () => {
  test("the answer holds the customer's role's temporary credentials, assumed with the organization's external id, and the query context", async () => {
    const { org, roleArn } = newOrganization();
    const created = await handler.call({ org, method: 'POST', body: athenaWorldBody({ role_arn: roleArn }) });
    expect(created.status).toBe(201);
    // Imported now: its configuration is read at load, after the stand-ins' endpoints are set.
    const { handler: resolve } = (await import('../../functions/resolve-connection.js')) as {
      handler: (event: unknown) => Promise<Record<string, unknown>>;
    };
    const answer = await resolve({ organization_id: org, caller: 'athena-worker', purpose: 'the resolve test' });
    expect(answer).toMatchObject({
      ok: true,
      driver: '@aws-sdk/client-athena',
      options: {
        credentials: { accessKeyId: expect.any(String), secretAccessKey: expect.any(String), sessionToken: expect.any(String) },
        query: { WorkGroup: expect.any(String), QueryExecutionContext: { Database: expect.any(String) } },
      },
      address: null,
      expiresAt: expect.any(String),
    });
    const other = newOrganization();
    const intruder = await handler.call({ org: other.org, method: 'POST', body: athenaWorldBody({ role_arn: roleArn }) });
    expect(intruder.status).toBe(201);
    // Another organization naming the same role presents its own external id: the role refuses it.
    expect(await resolve({ organization_id: other.org, caller: 'athena-worker', purpose: 'the resolve test' })).toMatchObject({
      ok: false,
      code: expect.stringMatching(/^(auth_failed|permission_denied)$/),
    });
  });
});
