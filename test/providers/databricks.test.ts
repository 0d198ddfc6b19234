import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import type { Lookup } from '../../lib/providers/network-guard.js';
import { loadProbe } from '../../lib/providers/probe-loaders.js';
import { runProbe } from '../../lib/providers/probe.js';
import { PROVIDERS } from '../../lib/providers/registry.js';
import type { FailureCode, ProbeLimits, StageName, Verdict } from '../../lib/providers/verdict.js';
import { parseConnectionRequest } from '../../lib/schema/connection.js';
import { startBlackholeServer } from '../fakes/blackhole-server.js';
import { makeWorkspaceCertificates, type WorkspaceCertificates } from '../fakes/databricks-certificates.js';
import { startFakeDatabricks, type DatabricksBehaviour, type FakeDatabricks } from '../fakes/databricks-server.js';
import { startTrap, type LoopbackServer } from '../fakes/loopback-server.js';
import { stagesThrough } from '../helpers/stages.js';
import { freePort } from '../setup/postgres-server.js';
import { watchEgress } from './egress-guard.js';
import { expectNoSecrets, watchOutput } from './leak-guard.js';

/**
 * The real @databricks/sql against a loopback stand-in of a workspace (test/fakes/databricks-server.ts:
 * the driver's own TCLIService definitions over HTTPS, and the workspace's OIDC token endpoint). The
 * stand-in listens on an address of its own, 127.0.0.9, which only the injected resolver names: the
 * driver reaches it only through the address the SSRF guard vetted.
 */
const WORKSPACE = 'dbc-a1b2c3d4-e5f6.cloud.databricks.com';
/** Named by the stand-in's certificate too, but not the workspace the stand-in serves. */
const OTHER_WORKSPACE = 'dbc-99999999-0000.cloud.databricks.com';
/** Resolves to the stand-in, but its certificate does not name it. */
const UNCERTIFIED = 'dbc-55555555-5555.cloud.databricks.com';
const WAREHOUSE = '0123456789abcdef';
const STARTING_WAREHOUSE = 'fedcba9876543210';
const canary = (label: string) => `canary-databricks-${label}-${randomBytes(6).toString('hex')}`;

const ANALYST = 'analyst@example.com';
const INTERN = 'intern@example.com';
const SERVICE_PRINCIPAL = '6f1c2a3b-4d5e-4f60-8a9b-0c1d2e3f4a5b';
const OUTSIDER_PRINCIPAL = '0a0b0c0d-1111-4222-8333-944445555666';
const TOKEN = canary('token');
const INTERN_TOKEN = canary('intern-token');
const CLIENT_SECRET = canary('client-secret');
const OUTSIDER_SECRET = canary('outsider-secret');
const WRONG_SECRET = canary('wrong');

const LIMITS: ProbeLimits = { connectTimeoutMs: 2_000, statementTimeoutMs: 2_000, deadlineMs: 5_000, allowedCidrs: ['127.0.0.0/8'] };

let certificates: WorkspaceCertificates;
let fake: FakeDatabricks;
let trap: LoopbackServer & { requests: unknown[] };
let silent: LoopbackServer;
let hangUp: Server;
/** Host names the resolver below answers, as DNS would for the workspace. */
const resolved = new Map<string, string>();
const lookups: string[] = [];
const lookup: Lookup = async (hostname) => {
  lookups.push(hostname);
  const address = resolved.get(hostname);
  if (address === undefined) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
  return [{ address, family: 4 }];
};

beforeAll(async () => {
  certificates = await makeWorkspaceCertificates([WORKSPACE, OTHER_WORKSPACE]);
  fake = await startFakeDatabricks(
    {
      host: WORKSPACE,
      tokens: { [TOKEN]: ANALYST, [INTERN_TOKEN]: INTERN },
      servicePrincipals: { [SERVICE_PRINCIPAL]: CLIENT_SECRET, [OUTSIDER_PRINCIPAL]: OUTSIDER_SECRET },
      warehouses: {
        [WAREHOUSE]: { state: 'running', users: [ANALYST, SERVICE_PRINCIPAL, OUTSIDER_PRINCIPAL] },
        [STARTING_WAREHOUSE]: { state: 'starting', users: [ANALYST] },
      },
      catalogs: {
        analytics: {
          users: [ANALYST, SERVICE_PRINCIPAL],
          schemas: {
            reporting: { users: [ANALYST, SERVICE_PRINCIPAL], tables: ['orders', 'customers'] },
            'odd `name` here': { users: [ANALYST], tables: [] },
            locked: { users: [], tables: ['salaries'] },
          },
        },
        'Sales Cat': { users: [ANALYST], schemas: { 'q1 `2026`': { users: [ANALYST], tables: ['deals'] } } },
        finance: { users: [], schemas: { ledger: { users: [ANALYST], tables: ['entries'] } } },
      },
    },
    certificates,
  );
  trap = await startTrap();
  silent = await startBlackholeServer();
  hangUp = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => hangUp.listen(0, '127.0.0.1', resolve));
  for (const host of [WORKSPACE, OTHER_WORKSPACE, UNCERTIFIED]) resolved.set(host, fake.address);
});

afterAll(async () => {
  await Promise.all([fake.close(), trap.close(), silent.close(), new Promise((resolve) => hangUp.close(resolve))]);
});

afterEach(() => {
  fake.behave({});
});

function body(credentials: Record<string, unknown> = {}, top: Record<string, unknown> = {}) {
  return {
    provider: 'databricks',
    dataset_id: 'reporting',
    credentials: { host: WORKSPACE, http_path: `/sql/1.0/warehouses/${WAREHOUSE}`, catalog: 'analytics', token: TOKEN, ...credentials },
    ...top,
  };
}

const oauth = (credentials: Record<string, unknown> = {}, top: Record<string, unknown> = {}) =>
  body({ token: undefined, auth_method: 'oauth_m2m', client_id: SERVICE_PRINCIPAL, client_secret: CLIENT_SECRET, ...credentials }, top);

function limitsFor(overrides: Partial<ProbeLimits> = {}, port = fake.port, ca = certificates.caCertificate): ProbeLimits {
  return { ...LIMITS, lookup, databricksEndpoint: { port, caCertificate: ca }, ...overrides };
}

const SECRETS = [TOKEN, INTERN_TOKEN, CLIENT_SECRET, OUTSIDER_SECRET, WRONG_SECRET];

/** Runs the probe, checks that nothing secret was returned or printed and that every socket went to the stand-in's port. */
async function probe(request: unknown, limits: ProbeLimits = limitsFor()): Promise<{ verdict: Verdict; ms: number }> {
  const definition = await parseConnectionRequest(request);
  const databricks = await loadProbe('databricks');
  const started = performance.now();
  const { value: result, destinations } = await watchEgress(() => watchOutput(() => runProbe(databricks, definition, limits)));
  const ms = performance.now() - started;
  expectNoSecrets(result, [...SECRETS, ...fake.issuedTokens]);
  const port = limits.databricksEndpoint?.port;
  for (const destination of destinations) expect(destination).toMatch(new RegExp(`:${port}$`));
  return { verdict: result.verdict, ms };
}

function expectFailure(verdict: Verdict, code: FailureCode, message: RegExp, stages: readonly StageName[], hint?: string): void {
  expect(verdict).toEqual({
    success: false,
    code,
    error: expect.stringMatching(message),
    ...(hint === undefined ? {} : { hint }),
    stages: stagesThrough(stages, 'failed'),
  });
}

const UNTIL_SCHEMA = ['resolve', 'connect', 'tls', 'authenticate', 'query', 'schema_access'] as const;
const OAUTH_UNTIL_SCHEMA = ['resolve', 'connect', 'tls', 'credentials', 'authenticate', 'query', 'schema_access'] as const;
const UNTIL_SESSION = ['resolve', 'connect', 'tls', 'authenticate'] as const;
const UNTIL_TOKEN = ['resolve', 'connect', 'tls', 'credentials'] as const;
const UNTIL_QUERY = ['resolve', 'connect', 'tls', 'authenticate', 'query'] as const;
const calls = (from: number) => fake.requests.slice(from).map((request) => request.call);

describe('the Databricks probe against the workspace stand-in', () => {
  test('a personal access token: a session, SELECT 1 and the schema check, over TLS to the vetted address, then the session closed', async () => {
    const before = fake.requests.length;
    const statementsBefore = fake.statements.length;
    const { verdict } = await probe(body());

    expect(verdict).toEqual({ success: true, code: 'ok', stages: stagesThrough(UNTIL_SCHEMA, 'passed') });
    const requests = fake.requests.slice(before);
    expect(requests.map((request) => request.call)).toEqual([
      'OpenSession',
      'ExecuteStatement',
      'ExecuteStatement',
      'CloseOperation',
      'CloseSession',
    ]);
    // The URL, Host header and TLS server name are the workspace's; the socket went to the vetted address.
    for (const request of requests) {
      expect(request).toMatchObject({
        host: WORKSPACE,
        servername: WORKSPACE,
        path: `/sql/1.0/warehouses/${WAREHOUSE}`,
        authorization: 'bearer',
      });
    }
    expect(fake.statements.slice(statementsBefore)).toEqual([
      expect.objectContaining({ sql: 'SELECT 1 AS ok', principal: ANALYST }),
      expect.objectContaining({ sql: 'SHOW TABLES IN `analytics`.`reporting`', principal: ANALYST }),
    ]);
    expect(fake.openSessions).toBe(0);
  });

  test('every statement asks for inline results only (no Arrow, LZ4 or cloud fetch links), one row, and a server-side timeout', async () => {
    const statementsBefore = fake.statements.length;
    await probe(body());
    for (const statement of fake.statements.slice(statementsBefore)) {
      expect(statement).toMatchObject({
        canReadArrowResult: false,
        canDownloadResult: false,
        canDecompressLZ4Result: false,
        directResultsMaxRows: 1,
        queryTimeout: LIMITS.statementTimeoutMs / 1000,
      });
    }
  });

  test('OAuth machine-to-machine: the driver signs the service principal in at the workspace OIDC endpoint, then uses the token', async () => {
    const before = fake.requests.length;
    const { verdict } = await probe(oauth());

    expect(verdict).toEqual({ success: true, code: 'ok', stages: stagesThrough(OAUTH_UNTIL_SCHEMA, 'passed') });
    const requests = fake.requests.slice(before);
    expect(requests.slice(0, 3).map((request) => [request.method, request.path, request.authorization])).toEqual([
      ['GET', '/oidc/.well-known/oauth-authorization-server', 'none'],
      ['POST', '/oidc/v1/token', 'basic'],
      ['POST', `/sql/1.0/warehouses/${WAREHOUSE}`, 'bearer'],
    ]);
    for (const request of requests) expect(request).toMatchObject({ host: WORKSPACE, servername: WORKSPACE });
    expect(fake.statements.at(-1)).toMatchObject({ principal: SERVICE_PRINCIPAL });
    expect(fake.issuedTokens.length).toBeGreaterThan(0);
  });

  test('catalog and schema names are quoted exactly, backticks doubled', async () => {
    const statementsBefore = fake.statements.length;
    expect((await probe(body({ catalog: 'Sales Cat' }, { dataset_id: 'q1 `2026`' }))).verdict).toMatchObject({ success: true });
    expect((await probe(body({}, { dataset_id: 'odd `name` here' }))).verdict).toMatchObject({ success: true });
    expect(fake.statements.slice(statementsBefore).map((statement) => statement.sql)).toEqual([
      'SELECT 1 AS ok',
      'SHOW TABLES IN `Sales Cat`.`q1 ``2026```',
      'SELECT 1 AS ok',
      'SHOW TABLES IN `analytics`.`odd ``name`` here`',
    ]);
  });

  test('a statement still running: the driver polls GetOperationStatus, fetches with FetchResults, closes with CloseOperation', async () => {
    fake.behave({ statementDelayMs: 300 });
    const before = fake.requests.length;
    expect((await probe(body())).verdict).toMatchObject({ success: true, code: 'ok' });
    const seen = calls(before);
    for (const call of ['GetOperationStatus', 'GetResultSetMetadata', 'FetchResults', 'CloseOperation', 'CloseSession'])
      expect(seen).toContain(call);
  });

  test('dataset_id defaults to the schema named default', async () => {
    expect(await parseConnectionRequest(body({}, { dataset_id: undefined }))).toMatchObject({ dataset_id: 'default' });
  });
});

describe('the Databricks probe: every failure it reports, with its stages', () => {
  test.each<[string, () => unknown, DatabricksBehaviour, FailureCode, RegExp, readonly StageName[], string | undefined]>([
    [
      'a wrong personal access token',
      () => body({ token: WRONG_SECRET }),
      {},
      'auth_failed',
      /refused the personal access token \(HTTP 403\): it is wrong, expired or revoked/,
      UNTIL_SESSION,
      undefined,
    ],
    [
      'a token whose user may not use the warehouse',
      () => body({ token: INTERN_TOKEN }),
      {},
      'permission_denied',
      /may not use SQL warehouse '0123456789abcdef' \(HTTP 403\)/,
      UNTIL_SESSION,
      "Give the access token the CAN USE permission on SQL warehouse '0123456789abcdef' (SQL Warehouses > Permissions).",
    ],
    [
      'a wrong client secret',
      () => oauth({ client_secret: WRONG_SECRET }),
      {},
      'auth_failed',
      /refused the OAuth client id or secret of service principal '6f1c2a3b-4d5e-4f60-8a9b-0c1d2e3f4a5b'/,
      UNTIL_TOKEN,
      undefined,
    ],
    [
      'an unknown service principal',
      () => oauth({ client_id: '99999999-9999-4999-8999-999999999999' }),
      {},
      'auth_failed',
      /refused the OAuth client id or secret of service principal '99999999-/,
      UNTIL_TOKEN,
      undefined,
    ],
    [
      'a warehouse id that does not exist',
      () => body({ http_path: '/sql/1.0/warehouses/aaaaaaaaaaaaaaaa' }),
      {},
      'object_not_found',
      /No SQL warehouse answers at http_path '\/sql\/1.0\/warehouses\/aaaaaaaaaaaaaaaa'/,
      UNTIL_SESSION,
      undefined,
    ],
    [
      'a catalog that does not exist',
      () => body({ catalog: 'nowhere' }),
      {},
      'object_not_found',
      /^Catalog `nowhere` does not exist, or the access token cannot see it/,
      UNTIL_SCHEMA,
      undefined,
    ],
    [
      'a schema that does not exist',
      () => body({}, { dataset_id: 'missing' }),
      {},
      'object_not_found',
      /^Schema `analytics`.`missing` does not exist/,
      UNTIL_SCHEMA,
      undefined,
    ],
    [
      'a schema that does not exist, reported in ExecuteStatement itself',
      () => body({}, { dataset_id: 'missing' }),
      { errorsInExecuteStatus: true },
      'object_not_found',
      /^Schema `analytics`.`missing` does not exist/,
      UNTIL_SCHEMA,
      undefined,
    ],
    [
      'a schema without USE SCHEMA (token)',
      () => body({}, { dataset_id: 'locked' }),
      {},
      'permission_denied',
      /may not use schema `analytics`.`locked` \(it needs USE CATALOG and USE SCHEMA\)/,
      UNTIL_SCHEMA,
      'GRANT USE CATALOG ON CATALOG `analytics` TO <user or service principal>; GRANT USE SCHEMA ON SCHEMA `analytics`.`locked` TO <user or service principal>;',
    ],
    [
      'a catalog without USE CATALOG (service principal): the hint names it',
      () => oauth({ catalog: 'finance' }, { dataset_id: 'ledger' }),
      {},
      'permission_denied',
      /service principal '6f1c2a3b-4d5e-4f60-8a9b-0c1d2e3f4a5b' may not use schema `finance`.`ledger`/,
      OAUTH_UNTIL_SCHEMA,
      'GRANT USE CATALOG ON CATALOG `finance` TO `6f1c2a3b-4d5e-4f60-8a9b-0c1d2e3f4a5b`; GRANT USE SCHEMA ON SCHEMA `finance`.`ledger` TO `6f1c2a3b-4d5e-4f60-8a9b-0c1d2e3f4a5b`;',
    ],
    [
      'a session the warehouse refuses with an error status',
      () => body(),
      { openSessionError: { errorClass: 'TEMPORARILY_UNAVAILABLE', sqlState: '08000' } },
      'warehouse_unavailable',
      /SQL warehouse '0123456789abcdef' is starting/,
      UNTIL_SESSION,
      undefined,
    ],
    [
      'a session refused for a reason the service does not know',
      () => body(),
      { openSessionError: { errorClass: 'INTERNAL_ERROR', sqlState: 'XX000' } },
      'warehouse_error',
      /^The warehouse rejected the test \(INTERNAL_ERROR\)\.$/,
      UNTIL_SESSION,
      undefined,
    ],
    [
      'an access token that is not a JWT',
      () => oauth(),
      { accessTokenOverride: 'opaque-token-value' },
      'warehouse_error',
      /answered the OAuth sign-in with something that is not an access token|did not expect/,
      UNTIL_TOKEN,
      undefined,
    ],
  ])('%s', async (_, request, behaviour, code, message, stages, hint) => {
    fake.behave(behaviour);
    expectFailure((await probe(request())).verdict, code, message, stages, hint);
  });
});

describe('a warehouse that is starting answers warehouse_unavailable, and the driver does not retry past the deadline', () => {
  test('a stopped warehouse starting: HTTP 503 with Retry-After at OpenSession, one attempt, a message saying it is starting', async () => {
    const before = fake.requests.length;
    const { verdict, ms } = await probe(body({ http_path: `/sql/1.0/warehouses/${STARTING_WAREHOUSE}` }));

    expectFailure(
      verdict,
      'warehouse_unavailable',
      /^SQL warehouse 'fedcba9876543210' is starting .*Retry the test in about 10 s/,
      UNTIL_SESSION,
    );
    expect(calls(before)).toEqual(['OpenSession']);
    expect(ms).toBeLessThan(LIMITS.connectTimeoutMs);
  });

  test('HTTP 503 on a call the driver would retry (GetOperationStatus, Retry-After 30 s): one attempt, the verdict at once', async () => {
    fake.behave({ statementDelayMs: 5_000, unavailableMethods: ['GetOperationStatus'], retryAfterSeconds: 30 });
    const before = fake.requests.length;
    const { verdict, ms } = await probe(body());

    expectFailure(verdict, 'warehouse_unavailable', /is starting .*Retry the test in about 30 s/, UNTIL_QUERY);
    expect(calls(before).filter((call) => call === 'GetOperationStatus')).toHaveLength(1);
    expect(ms).toBeLessThan(LIMITS.statementTimeoutMs);
  });
});

describe('the Databricks probe only ever talks to the vetted workspace address', () => {
  test('the workspace name is resolved once, by the SSRF guard; nothing else resolves it', async () => {
    const before = lookups.length;
    await probe(body());
    expect(lookups.slice(before)).toEqual([WORKSPACE]);
  });

  test('a workspace name that resolves to a private address is refused before any connection', async () => {
    const before = fake.requests.length;
    resolved.set('dbc-private.cloud.databricks.com', '10.1.2.3');
    const { verdict } = await probe(body({ host: 'dbc-private.cloud.databricks.com' }), limitsFor({ allowedCidrs: [] }));
    expectFailure(verdict, 'host_not_allowed', /resolves to an address the service may not connect to on port/, ['resolve']);
    expect(fake.requests.length).toBe(before);
  });

  test('a workspace name that does not resolve is host_not_found', async () => {
    const { verdict } = await probe(body({ host: 'dbc-nowhere.cloud.databricks.com' }));
    expectFailure(verdict, 'host_not_found', /could not be resolved/, ['resolve']);
  });

  test('a Thrift call redirected (307) to another host: refused before a byte is sent there', async () => {
    fake.behave({ thriftRedirectTo: `https://127.0.0.2:${trap.port}` });
    const { verdict } = await probe(body());
    expectFailure(verdict, 'host_not_allowed', /Refused a redirect from dbc-a1b2c3d4-e5f6.cloud.databricks.com/, UNTIL_SESSION);
    expect(trap.requests).toEqual([]);
  });

  test('a Thrift call redirected to plain HTTP: refused', async () => {
    fake.behave({ thriftRedirectTo: `http://127.0.0.2:${trap.port}` });
    const { verdict } = await probe(body());
    expectFailure(verdict, 'host_not_allowed', /Refused a redirect|redirect/, UNTIL_SESSION);
    expect(trap.requests).toEqual([]);
  });

  test('OAuth metadata naming a token endpoint on another host: the client secret is never sent there', async () => {
    fake.behave({ tokenEndpoint: `https://127.0.0.2:${trap.port}/oidc/v1/token` });
    const before = fake.requests.length;
    const { verdict } = await probe(oauth());
    expectFailure(verdict, 'host_not_allowed', /the client secret only goes to dbc-a1b2c3d4-e5f6.cloud.databricks.com/, UNTIL_TOKEN);
    expect(trap.requests).toEqual([]);
    expect(calls(before)).toEqual(['discovery']);
  });

  test('the OIDC discovery redirected to another host: not followed', async () => {
    fake.behave({ oidcRedirectTo: `https://127.0.0.2:${trap.port}` });
    const { verdict } = await probe(oauth());
    expectFailure(verdict, 'host_not_allowed', /answered with a redirect \(HTTP 302\) the service does not follow/, UNTIL_TOKEN);
    expect(trap.requests).toEqual([]);
  });
});

describe('TLS, the network and the one deadline', () => {
  test('a certificate from a CA the service does not trust is tls_error', async () => {
    const { verdict } = await probe(body(), limitsFor({}, fake.port, certificates.otherCaCertificate));
    expectFailure(verdict, 'tls_error', /TLS handshake with dbc-a1b2c3d4-e5f6.cloud.databricks.com/, ['resolve', 'connect', 'tls']);
  });

  test('a certificate that does not name the workspace is tls_error, though the name resolves to the same server', async () => {
    const { verdict } = await probe(body({ host: UNCERTIFIED }));
    expectFailure(verdict, 'tls_error', /TLS handshake/, ['resolve', 'connect', 'tls']);
  });

  test('a workspace name the server does not serve (the Host header is checked): no warehouse there', async () => {
    const { verdict } = await probe(body({ host: OTHER_WORKSPACE }));
    expectFailure(verdict, 'object_not_found', /No SQL warehouse answers/, UNTIL_SESSION);
  });

  test('a closed port is connection_refused', async () => {
    const { verdict } = await probe(body(), limitsFor({}, await freePort()));
    expectFailure(verdict, 'connection_refused', /Connection refused by dbc-a1b2c3d4-e5f6.cloud.databricks.com/, ['resolve', 'connect']);
  });

  test('a server that closes the connection at once is network_error', async () => {
    resolved.set('dbc-hangup.cloud.databricks.com', '127.0.0.1');
    const port = (hangUp.address() as { port: number }).port;
    const { verdict } = await probe(body({ host: 'dbc-hangup.cloud.databricks.com' }), limitsFor({}, port));
    expect(verdict).toMatchObject({ success: false, code: expect.stringMatching(/^(network_error|tls_error)$/) });
  });

  test('a listener that never answers: timeout within the connect limit, during the TLS handshake', async () => {
    resolved.set('dbc-silent.cloud.databricks.com', '127.0.0.1');
    const { verdict, ms } = await probe(body({ host: 'dbc-silent.cloud.databricks.com' }), limitsFor({}, silent.port));
    expectFailure(verdict, 'timeout', /within 2 s/, ['resolve', 'connect', 'tls']);
    expect(ms).toBeLessThan(LIMITS.deadlineMs);
  });

  test('a listener that never answers and a deadline shorter than the steps: the deadline ends the test', async () => {
    resolved.set('dbc-silent.cloud.databricks.com', '127.0.0.1');
    const limits = limitsFor({ connectTimeoutMs: 10_000, statementTimeoutMs: 10_000, deadlineMs: 800 }, silent.port);
    const { verdict, ms } = await probe(body({ host: 'dbc-silent.cloud.databricks.com' }), limits);
    expectFailure(verdict, 'timeout', /did not answer within 0.8 s/, ['resolve', 'connect', 'tls']);
    expect(ms).toBeLessThan(3_000);
  });

  test('a session that never opens: timeout at authenticate within the connect limit', async () => {
    fake.behave({ openSessionDelayMs: 30_000 });
    const { verdict, ms } = await probe(body());
    expectFailure(verdict, 'timeout', /within 2 s/, UNTIL_SESSION);
    expect(ms).toBeLessThan(LIMITS.deadlineMs);
  });

  test('a statement that never finishes: timeout within the statement limit, and the session is closed', async () => {
    fake.behave({ statementDelayMs: 60_000 });
    const { verdict, ms } = await probe(body());
    expectFailure(verdict, 'timeout', /The test statement did not finish within 2 s/, UNTIL_QUERY);
    expect(ms).toBeLessThan(LIMITS.deadlineMs);
    expect(fake.openSessions).toBe(0);
  });
});

test('the registry lists the stages the probe reports, in order', () => {
  expect(PROVIDERS.databricks.stages).toEqual(OAUTH_UNTIL_SCHEMA);
});
