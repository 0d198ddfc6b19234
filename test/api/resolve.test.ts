import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomBytes, randomUUID } from 'node:crypto';
import { ResolveRefusedError, resolveConnection } from '../../lib/client/resolve-client.js';
import { FUNCTIONS, ROUTE, RESOLVER } from '../../lib/routes.js';
import { AuditLog } from '../../lib/store/audit-log.js';
import { loadFunctions, startLocalApi, type LocalApi } from '../../local/api-gateway.js';
import { localIssuer } from '../../local/jwt.js';
import { runExampleWorker } from '../../scripts/example-worker.js';
import { PROVIDERS } from '../../lib/providers/registry.js';
import { postgresBody, SECRETS, SEED_BODIES } from '../helpers/bodies.js';
import { putRawItem, rawActiveItem } from '../helpers/stored-items.js';
import { useTestApi } from '../helpers/transports.js';

/**
 * The resolve function through the local Lambda Invoke API, as a worker reaches it: with a
 * consumer's credentials (the deployed function's resource policy names consumer principals;
 * locally, WAREHOUSE_CONSUMER_PRINCIPALS names access keys). Connections are made through the API.
 */
const { transport } = useTestApi();
const api = transport('handler');
const newOrg = () => `org-${randomUUID().slice(0, 8)}`;

const secret = randomBytes(24).toString('base64url');
const operator = { accessKeyId: 'operator-key', secretAccessKey: secret };
const worker = { accessKeyId: 'worker-key', secretAccessKey: secret };
let gateway: LocalApi;
let asWorker: LambdaClient;
let asOperator: LambdaClient;
const auditLog = new AuditLog(new DynamoDBClient({}), process.env.AUDIT_TABLE_NAME!, 1);

beforeAll(async () => {
  const issuer = await localIssuer();
  gateway = await startLocalApi({
    functions: await loadFunctions(FUNCTIONS),
    verifier: issuer.verifier(),
    invokeCredentials: [operator, worker],
    consumers: [worker.accessKeyId],
  });
  const client = (credentials: typeof worker) =>
    new LambdaClient({ endpoint: gateway.url, region: 'us-east-1', credentials, maxAttempts: 1 });
  [asWorker, asOperator] = [client(worker), client(operator)];
});
afterAll(async () => {
  asWorker.destroy();
  asOperator.destroy();
  await gateway.close();
});

const invoke = async (client: LambdaClient, functionName: string, request: unknown) => {
  const output = await client.send(new InvokeCommand({ FunctionName: functionName, Payload: Buffer.from(JSON.stringify(request)) }));
  return JSON.parse(Buffer.from(output.Payload!).toString('utf8')) as Record<string, unknown>;
};
const resolveRequest = (organizationId: string, extra: Record<string, unknown> = {}) => ({
  organization_id: organizationId,
  caller: 'worker-7',
  purpose: 'dashboard refresh 42',
  ...extra,
});
const auditOf = async (org: string) =>
  (await auditLog.page(org, 100, undefined)).records.filter((record) => record.event === 'connection.resolved');

describe('a worker resolves a connection and uses it', () => {
  test('the example worker connects to the real PostgreSQL with what it resolved and runs SELECT 1', async () => {
    const org = newOrg();
    const created = await api.call({ org, method: 'POST', body: postgresBody() });
    const { connectionId, result } = await runExampleWorker({ lambda: asWorker, functionName: RESOLVER.functionName, organizationId: org });
    expect({ connectionId, result }).toEqual({ connectionId: created.body!.id, result: 1 });
  });

  test('the answer: versioned, the connection, pg options to the vetted address, the TLS mode, never more than asked', async () => {
    const org = newOrg();
    await api.call({ org, method: 'POST', body: postgresBody() });
    const named = await api.call({
      org,
      method: 'POST',
      path: ROUTE.createNamed.path,
      body: { name: 'Reporting', ...postgresBody({}, { ssl_mode: 'require' }) },
    });
    const id = (named.body!.connection as { id: string }).id;
    const answer = await invoke(asWorker, RESOLVER.functionName, resolveRequest(org, { connection_id: id }));
    const { host, port, database, username, password } = postgresBody().credentials;
    expect(answer).toEqual({
      version: 1,
      ok: true,
      organization_id: org,
      connection: { id, name: 'Reporting', provider: 'postgres', project_id: null, dataset_id: postgresBody().dataset_id, settings: {} },
      driver: 'pg',
      options: { host, port, database, user: username, password, ssl: { rejectUnauthorized: false } },
      tls: { mode: 'require', servername: null },
      address: { host, port, vetted: host },
      expiresAt: null,
      resolved_at: expect.any(String),
    });
  });
});

// Athena resolves to the customer's role's temporary credentials: test/api/athena-test.test.ts, with its AWS stand-ins.
const RESOLVED_HERE = Object.keys(SEED_BODIES).filter((provider) => provider !== 'athena') as (keyof typeof SEED_BODIES)[];

describe.each(RESOLVED_HERE)("%s resolves to its driver's options", (provider) => {
  test('the driver the registry names, the connection without secrets, the secrets only inside options', async () => {
    const org = newOrg();
    const body = SEED_BODIES[provider]() as { dataset_id?: string; credentials: Record<string, unknown> };
    const created = await api.call({ org, method: 'POST', body });
    expect(created.status).toBe(201);
    const answer = await invoke(asWorker, RESOLVER.functionName, resolveRequest(org));
    expect(answer).toMatchObject({ version: 1, ok: true, driver: PROVIDERS[provider].driver, connection: { provider } });
    const { options, connection, ...rest } = answer as { options: unknown; connection: unknown };
    const secretsGiven = PROVIDERS[provider].secretFields
      .map((field) => body.credentials[field.replace(/^credentials\./, '')])
      .filter((value): value is string => typeof value === 'string');
    expect(secretsGiven.length).toBeGreaterThan(0);
    for (const value of secretsGiven) {
      expect(JSON.stringify(options)).toContain(JSON.stringify(value).slice(1, -1));
      expect(JSON.stringify({ connection, rest })).not.toContain(JSON.stringify(value).slice(1, -1));
    }
  });
});

describe('what is refused, with the codes a test gives', () => {
  test('another organization cannot resolve a connection by its id', async () => {
    const [owner, other] = [newOrg(), newOrg()];
    const named = await api.call({
      org: owner,
      method: 'POST',
      path: ROUTE.createNamed.path,
      body: { name: 'Private', ...postgresBody() },
    });
    const id = (named.body!.connection as { id: string }).id;
    expect(await invoke(asWorker, RESOLVER.functionName, resolveRequest(other, { connection_id: id }))).toMatchObject({
      ok: false,
      code: 'connection_not_found',
    });
  });

  test("a ciphertext copied into another organization's item never decrypts", async () => {
    const [thief, victim] = [newOrg(), newOrg()];
    await api.call({ org: thief, method: 'POST', body: postgresBody() });
    await api.call({ org: victim, method: 'POST', body: postgresBody({}, { password: 'victim-canary-password' }) });
    const stolen = await rawActiveItem(victim);
    const own = await rawActiveItem(thief);
    const sealedNames = ['key_id', 'encrypted_data_key', 'iv', 'auth_tag', 'ciphertext'] as const;
    await putRawItem({ ...own, ...Object.fromEntries(sealedNames.map((name) => [name, stolen[name]!])) });
    const answer = await invoke(asWorker, RESOLVER.functionName, resolveRequest(thief));
    expect(answer).toEqual({ version: 1, ok: false, code: 'credentials_unreadable', error: expect.any(String) });
  });

  test('a destination the SSRF guard refuses is refused, before any connection', async () => {
    const org = newOrg();
    await api.call({ org, method: 'POST', body: postgresBody({}, { host: '10.0.0.1' }) });
    expect(await invoke(asWorker, RESOLVER.functionName, resolveRequest(org))).toEqual({
      version: 1,
      ok: false,
      code: 'host_not_allowed',
      error: expect.stringContaining("'10.0.0.1'"),
    });
  });

  test.each([
    ['no caller', { caller: undefined }, 'caller'],
    ['no purpose', { purpose: undefined }, 'purpose'],
    ['a connection id that is not one', { connection_id: 'x' }, 'connection_id'],
    ['an unknown field', { password: 'p' }, 'password'],
    ['an organization id that is not one', { organization_id: '../other' }, 'organization_id'],
  ])('%s: invalid_request naming the field', async (_, extra, field) => {
    expect(await invoke(asWorker, RESOLVER.functionName, resolveRequest(newOrg(), extra))).toMatchObject({
      ok: false,
      code: 'invalid_request',
      field,
    });
  });

  test('the typed client throws the refusal with its code', async () => {
    await expect(
      resolveConnection(asWorker, RESOLVER.functionName, { organizationId: newOrg(), caller: 'worker-7', purpose: 'nothing there' }),
    ).rejects.toEqual(expect.objectContaining({ name: 'ResolveRefusedError', code: 'connection_not_found' }));
    expect(ResolveRefusedError).toBeDefined();
  });
});

describe('who may invoke', () => {
  test('a principal that is not a consumer may not resolve; a consumer may invoke nothing else', async () => {
    await expect(invoke(asOperator, RESOLVER.functionName, resolveRequest(newOrg()))).rejects.toMatchObject({
      name: 'AccessDeniedException',
    });
    await expect(invoke(asWorker, ROUTE.get.functionName, {})).rejects.toMatchObject({ name: 'AccessDeniedException' });
  });
});

describe('audit', () => {
  test('every resolve that names an organization leaves exactly one record: who, why, which connection, the outcome', async () => {
    const org = newOrg();
    const created = await api.call({ org, method: 'POST', body: postgresBody() });
    await invoke(asWorker, RESOLVER.functionName, resolveRequest(org));
    await invoke(asWorker, RESOLVER.functionName, resolveRequest(org, { connection_id: randomUUID() }));
    const records = await auditOf(org);
    expect(records.map(({ connectionId, actor, purpose, outcome }) => ({ connectionId, actor, purpose, outcome })).reverse()).toEqual([
      { connectionId: created.body!.id, actor: 'worker-7', purpose: 'dashboard refresh 42', outcome: 'ok' },
      { connectionId: expect.any(String), actor: 'worker-7', purpose: 'dashboard refresh 42', outcome: 'connection_not_found' },
    ]);
    for (const record of records) for (const value of SECRETS) expect(JSON.stringify(record)).not.toContain(value);
  });

  test('GET /connections/audit shows the organization its history, newest first, a page at a time, and no one else', async () => {
    const org = newOrg();
    const created = await api.call({ org, method: 'POST', body: postgresBody() });
    await api.call({ org, method: 'PATCH', body: { dataset_id: 'public' } });
    await api.call({ org, method: 'POST', path: ROUTE.test.path });
    await invoke(asWorker, RESOLVER.functionName, resolveRequest(org));
    await api.call({ org, method: 'DELETE' });

    const first = await api.call({ org, method: 'GET', path: `${ROUTE.audit.path}?limit=3` });
    expect(first.status).toBe(200);
    const second = await api.call({
      org,
      method: 'GET',
      path: `${ROUTE.audit.path}?limit=3&cursor=${encodeURIComponent(first.body!.next_cursor as string)}`,
    });
    const events = [...(first.body!.events as { event: string }[]), ...(second.body!.events as { event: string }[])];
    expect(events.map((entry) => entry.event)).toEqual([
      'connection.deleted',
      'connection.resolved',
      'connection.tested',
      'connection.updated',
      'connection.saved',
    ]);
    expect(events).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          event: 'connection.updated',
          actor: 'user-1',
          changed_fields: ['dataset_id'],
          connection_id: created.body!.id,
        }),
        expect.objectContaining({ event: 'connection.resolved', actor: 'worker-7', purpose: 'dashboard refresh 42', outcome: 'ok' }),
        expect.objectContaining({ event: 'connection.tested', outcome: 'ok' }),
      ]),
    );
    expect((await api.call({ org: newOrg(), method: 'GET', path: ROUTE.audit.path })).body).toMatchObject({
      events: [],
      next_cursor: null,
    });
    const stolen = await api.call({
      org: newOrg(),
      method: 'GET',
      path: `${ROUTE.audit.path}?cursor=${encodeURIComponent(first.body!.next_cursor as string)}`,
    });
    expect({ status: stolen.status, code: stolen.body!.code }).toEqual({ status: 400, code: 'invalid_cursor' });
  });
});
