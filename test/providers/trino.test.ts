import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { get as httpsGet } from 'node:https';
import type { Lookup } from '../../lib/providers/network-guard.js';
import { loadProbe } from '../../lib/providers/probe-loaders.js';
import { runProbe } from '../../lib/providers/probe.js';
import { trinoAgents } from '../../lib/providers/trino/agents.js';
import { StageClock, type ProbeLimits, type StageName, type Verdict } from '../../lib/providers/verdict.js';
import { parseConnectionRequest } from '../../lib/schema/connection.js';
import { startBlackholeServer } from '../fakes/blackhole-server.js';
import { startTrap, type LoopbackServer, type TrappedRequest } from '../fakes/loopback-server.js';
import { startTrinoStandIn, type StandInBehaviour, type TrinoStandIn, type TrinoStandInOptions } from '../fakes/trino-server.js';
import { trinoBody } from '../helpers/bodies.js';
import { stagesThrough } from '../helpers/stages.js';
import { freePort } from '../setup/postgres-server.js';
import { TEST_TRINO, TEST_TRINO_CATALOGS, TEST_TRINO_USERS, testTrinoTls } from '../setup/trino-fixture.js';
import { expectNoSecrets, watchOutput } from './leak-guard.js';

/**
 * The Trino probe with the real trino-client (and its axios) against loopback stand-ins speaking
 * Trino's client protocol over HTTPS (test/fakes/trino-server.ts). The stand-ins live on loopback,
 * which the SSRF guard admits only when allow-listed.
 */
const LIMITS: ProbeLimits = { connectTimeoutMs: 2_000, statementTimeoutMs: 2_000, deadlineMs: 5_000, allowedCidrs: ['127.0.0.0/8'] };
/** A loopback address nothing else in the suite uses: only a connection to the vetted address arrives there. */
const VETTED_ADDRESS = '127.0.0.6';
const WRONG_PASSWORD = 'wrong-canary-trino-password-5';
const SERVER_TEXT = 'server text that must not be repeated';

const UNTIL_CONNECT = ['resolve', 'connect'] as const;
const UNTIL_TLS = ['resolve', 'connect', 'tls'] as const;
const UNTIL_AUTHENTICATION = ['resolve', 'connect', 'tls', 'authenticate'] as const;
const UNTIL_QUERY = ['resolve', 'connect', 'tls', 'authenticate', 'query'] as const;
const UNTIL_SCHEMA = ['resolve', 'connect', 'tls', 'authenticate', 'query', 'schema_access'] as const;

async function probe(body: unknown, limits: Partial<ProbeLimits> = {}): Promise<Verdict> {
  return runProbe(await loadProbe('trino'), await parseConnectionRequest(body), { ...LIMITS, ...limits });
}

function expectVerdict(verdict: Verdict, code: string, message: RegExp, stages: readonly StageName[], hint?: string): void {
  expect(verdict).toEqual({
    success: false,
    code,
    error: expect.stringMatching(message),
    ...(hint === undefined ? {} : { hint }),
    stages: stagesThrough(stages, 'failed'),
  });
}

const standIns: TrinoStandIn[] = [];
async function standIn(behaviour: StandInBehaviour = {}, options: Partial<TrinoStandInOptions> = {}): Promise<TrinoStandIn> {
  const { cert, key } = testTrinoTls();
  const started = await startTrinoStandIn({
    tls: { cert, key },
    users: TEST_TRINO_USERS,
    catalogs: TEST_TRINO_CATALOGS,
    behaviour,
    ...options,
  });
  standIns.push(started);
  return started;
}

/** The body of the seed connection, pointed at a stand-in. */
const bodyFor = (server: { port: number }, credentials: Record<string, unknown> = {}, top: Record<string, unknown> = {}) =>
  trinoBody(top, { port: server.port, ...credentials });

let server: TrinoStandIn;
let silent: LoopbackServer;
let trap: LoopbackServer & { requests: TrappedRequest[] };

beforeAll(async () => {
  [server, silent, trap] = await Promise.all([standIn(), startBlackholeServer(), startTrap()]);
});

afterAll(async () => {
  await Promise.all([...standIns.map((started) => started.close()), silent.close(), trap.close()]);
});

describe('the Trino probe against a stand-in speaking the statement protocol', () => {
  test('valid credentials pass every stage: SELECT 1, then SHOW TABLES of the catalog and schema, each walked through its nextUris', async () => {
    const before = server.received.length;
    expect(await probe(bodyFor(server))).toEqual({ success: true, code: 'ok', stages: stagesThrough(UNTIL_SCHEMA, 'passed') });

    const received = server.received.slice(before);
    expect(received.filter((request) => request.method === 'POST').map((request) => request.body)).toEqual([
      'SELECT 1',
      'SHOW TABLES FROM "lakehouse"."analytics"',
    ]);
    // Each query: POST, then the queued and executing nextUris, all authenticated as the user.
    expect(received.filter((request) => request.method === 'GET').length).toBeGreaterThanOrEqual(4);
    const post = received[0]!;
    expect(post.headers).toMatchObject({
      'x-trino-user': TEST_TRINO.username,
      'x-trino-source': 'warehouse-connections-test',
      'x-trino-session': 'query_max_run_time=2s',
      authorization: `Basic ${Buffer.from(`${TEST_TRINO.username}:${TEST_TRINO.password}`).toString('base64')}`,
    });
    // The schema check names catalog and schema in its SQL: no session catalog or schema is sent.
    expect(post.headers['x-trino-catalog']).toBeUndefined();
    expect(post.headers['x-trino-schema']).toBeUndefined();
  });

  test('ssl_mode defaults to verify-full and the port to 443 (8080 over plain HTTP)', async () => {
    const https = await parseConnectionRequest(trinoBody({}, { port: undefined, ssl_mode: undefined }));
    const http = await parseConnectionRequest(
      trinoBody({}, { port: undefined, ssl_mode: 'disable', password: undefined, ca_certificate: undefined }),
    );
    expect(https.credentials).toMatchObject({ port: 443, ssl_mode: 'verify-full' });
    expect(http.credentials).toMatchObject({ port: 8080, ssl_mode: 'disable' });
  });

  test.each<[string, () => object, string, RegExp, readonly StageName[], string | undefined]>([
    [
      'a wrong password',
      () => bodyFor(server, { password: WRONG_PASSWORD }),
      'auth_failed',
      /^Authentication failed for user 'wc_analyst'\. Check the username and password\.$/,
      UNTIL_AUTHENTICATION,
      undefined,
    ],
    [
      'an unknown user',
      () => bodyFor(server, { username: 'nobody' }),
      'auth_failed',
      /^Authentication failed for user 'nobody'\./,
      UNTIL_AUTHENTICATION,
      undefined,
    ],
    [
      'no password where the server authenticates every request',
      () => bodyFor(server, { password: undefined }),
      'auth_failed',
      /requires authentication: give the password of user 'wc_analyst'/,
      UNTIL_AUTHENTICATION,
      undefined,
    ],
    [
      'a schema the user may not list',
      () => bodyFor(server, {}, { dataset_id: TEST_TRINO.privateSchema }),
      'permission_denied',
      /user 'wc_analyst' may not list the tables of schema "lakehouse"\."finance"/,
      UNTIL_SCHEMA,
      'GRANT SELECT ON SCHEMA "lakehouse"."finance" TO USER "wc_analyst";',
    ],
    [
      'a schema that does not exist',
      () => bodyFor(server, {}, { dataset_id: TEST_TRINO.missingSchema }),
      'object_not_found',
      /^Schema 'scratch_missing' does not exist in catalog 'lakehouse' on the Trino server at localhost:\d+\.$/,
      UNTIL_SCHEMA,
      undefined,
    ],
    [
      'a catalog that does not exist',
      () => bodyFor(server, { catalog: TEST_TRINO.missingCatalog }),
      'object_not_found',
      /^Catalog 'nowhere' does not exist on the Trino server at localhost:\d+\.$/,
      UNTIL_SCHEMA,
      undefined,
    ],
  ])('%s fails with a clear message, the stage it failed at and any grant to run', async (_, body, code, message, stages, hint) => {
    expectVerdict(await probe(body()), code, message, stages, hint);
  });

  test('an empty schema is usable: listing nothing is an answer', async () => {
    expect(await probe(bodyFor(server, {}, { dataset_id: 'empty' }))).toMatchObject({ success: true, code: 'ok' });
  });

  test('names are quoted exactly (Trino folds them to lower case): the hint can be run as it is', async () => {
    const verdict = await probe(bodyFor(server, { catalog: 'Lake"House' }, { dataset_id: 'a b' }));
    expect(server.statements().at(-1)).toBe('SHOW TABLES FROM "Lake""House"."a b"');
    expect(verdict).toMatchObject({ code: 'object_not_found', error: expect.stringContaining(`Catalog 'Lake"House'`) });
    const denied = await probe(bodyFor(server, {}, { dataset_id: 'Finance' }));
    expect(denied).toMatchObject({ code: 'permission_denied', hint: 'GRANT SELECT ON SCHEMA "lakehouse"."Finance" TO USER "wc_analyst";' });
  });

  test('a long listing is read to its first page only, and the rest of the query is cancelled', async () => {
    const paged = await standIn({ pageSize: 1 });
    expect(await probe(bodyFor(paged))).toMatchObject({ success: true });
    const listing = paged.received.filter((request) => request.method === 'GET' && request.url.includes('/executing/')).at(-1)!;
    expect(listing.url).toMatch(/\/0$/); // the first page of three
    expect(paged.cancelled).toHaveLength(1);
    expect(paged.received.at(-1)).toMatchObject({ method: 'DELETE', url: `/v1/query/${paged.cancelled[0]}` });
  });
});

describe('what Trino reports, classified', () => {
  test.each<[string, StandInBehaviour, string, RegExp, readonly StageName[]]>([
    [
      'a coordinator still starting (SERVER_STARTING_UP)',
      { fail: { sql: 'select', errorName: 'SERVER_STARTING_UP', errorType: 'INTERNAL_ERROR' } },
      'warehouse_unavailable',
      /is still starting\. Try again once it has started\.$/,
      UNTIL_QUERY,
    ],
    [
      'a coordinator answering 503 while it starts',
      { statementStatus: 503 },
      'warehouse_unavailable',
      /is starting or not accepting queries yet \(HTTP 503\)/,
      UNTIL_AUTHENTICATION,
    ],
    [
      'a cluster without workers (NO_NODES_AVAILABLE)',
      { fail: { sql: 'select', errorName: 'NO_NODES_AVAILABLE', errorType: 'INTERNAL_ERROR' } },
      'warehouse_unavailable',
      /has no worker nodes available \(it may be starting or scaling up\)/,
      UNTIL_QUERY,
    ],
    [
      'a full queue (QUERY_QUEUE_FULL)',
      { fail: { sql: 'select', errorName: 'QUERY_QUEUE_FULL', errorType: 'INSUFFICIENT_RESOURCES' } },
      'warehouse_unavailable',
      /did not admit the test query/,
      UNTIL_QUERY,
    ],
    [
      'a cluster out of memory',
      { fail: { sql: 'select', errorName: 'CLUSTER_OUT_OF_MEMORY', errorType: 'INSUFFICIENT_RESOURCES' } },
      'warehouse_unavailable',
      /has not enough resources/,
      UNTIL_QUERY,
    ],
    [
      'the query run-time limit (EXCEEDED_TIME_LIMIT)',
      { fail: { sql: 'select', errorName: 'EXCEEDED_TIME_LIMIT', errorType: 'INSUFFICIENT_RESOURCES' } },
      'timeout',
      /^The test query did not finish within 2 s \(Trino stopped it\)\.$/,
      UNTIL_QUERY,
    ],
    [
      'access control refusing any query (PERMISSION_DENIED)',
      { fail: { sql: 'select', errorName: 'PERMISSION_DENIED', errorType: 'USER_ERROR' } },
      'permission_denied',
      /does not let user 'wc_analyst' run queries/,
      UNTIL_QUERY,
    ],
    [
      'an error the service does not know',
      { fail: { sql: 'show', errorName: 'HIVE_METASTORE_ERROR', errorType: 'EXTERNAL' } },
      'warehouse_error',
      /^The Trino server at localhost:\d+ failed the schema check \(HIVE_METASTORE_ERROR\)\.$/,
      UNTIL_SCHEMA,
    ],
    [
      'an error name that is not one (not repeated)',
      { fail: { sql: 'select', errorName: 'see https://evil.example/', errorType: 'EXTERNAL' } },
      'warehouse_error',
      /^The Trino server at localhost:\d+ failed the test query\.$/,
      UNTIL_QUERY,
    ],
    [
      'no statement API on this port (404)',
      { statementStatus: 404 },
      'warehouse_error',
      /has no Trino statement API \(HTTP 404 for \/v1\/statement\)/,
      UNTIL_AUTHENTICATION,
    ],
    [
      'a proxy that cannot reach the coordinator (502)',
      { statementStatus: 502 },
      'warehouse_unavailable',
      /could not reach the Trino coordinator \(HTTP 502\)/,
      UNTIL_AUTHENTICATION,
    ],
    [
      'something that is not Trino answering 200 with a web page',
      { notTrino: true },
      'warehouse_error',
      /did not answer as a Trino server does/,
      UNTIL_AUTHENTICATION,
    ],
  ])('%s', async (_, behaviour, code, message, stages) => {
    const verdict = await probe(bodyFor(await standIn(behaviour)));
    expectVerdict(verdict, code, message, stages);
    expect(JSON.stringify(verdict)).not.toContain(SERVER_TEXT);
  });
});

describe('TLS settings against the stand-in, whose certificate names localhost only', () => {
  const WITHOUT_CA = { ca_certificate: undefined };
  test.each<[string, () => Record<string, unknown>]>([
    ['verify-full with the CA and the certificate’s name', () => ({})],
    ['verify-ca with the CA, whatever the name', () => ({ ssl_mode: 'verify-ca', host: '127.0.0.1' })],
    ['require encrypts without verifying', () => ({ ssl_mode: 'require', host: '127.0.0.1', ...WITHOUT_CA })],
  ])('%s: passes, through the tls stage', async (_, credentials) => {
    expect(await probe(bodyFor(server, credentials()))).toEqual({
      success: true,
      code: 'ok',
      stages: stagesThrough(UNTIL_SCHEMA, 'passed'),
    });
  });

  test.each<[string, () => Record<string, unknown>]>([
    ['verify-full with an IP address the certificate does not name', () => ({ host: '127.0.0.1' })],
    ['verify-full without the private CA (system trust store)', () => WITHOUT_CA],
    ['verify-ca against an unrelated CA', () => ({ ssl_mode: 'verify-ca', ca_certificate: testTrinoTls().otherCa })],
  ])('%s: tls_error at the tls stage, before any credential is sent', async (_, credentials) => {
    const before = server.received.length;
    expectVerdict(await probe(bodyFor(server, credentials())), 'tls_error', /The TLS handshake with .* failed/, UNTIL_TLS);
    expect(server.received.length).toBe(before);
  });

  test('HTTPS to a server that speaks plain HTTP is a tls_error', async () => {
    const plain = await standIn({}, { tls: undefined });
    expectVerdict(await probe(bodyFor(plain, { ssl_mode: 'require', ...WITHOUT_CA })), 'tls_error', /The TLS handshake/, UNTIL_TLS);
    expect(plain.received).toEqual([]);
  });

  test('plain HTTP to a cluster without authentication: X-Trino-User alone, no Authorization header', async () => {
    const open = await standIn({}, { tls: undefined, users: null });
    const body = bodyFor(open, { ssl_mode: 'disable', password: undefined, ...WITHOUT_CA });
    expect(await probe(body)).toEqual({
      success: true,
      code: 'ok',
      stages: stagesThrough(['resolve', 'connect', 'authenticate', 'query', 'schema_access'], 'passed'),
    });
    expect(open.received.every((request) => request.headers.authorization === undefined)).toBe(true);
    expect(open.received.every((request) => request.headers['x-trino-user'] === TEST_TRINO.username)).toBe(true);
  });
});

describe('every request goes to the customer’s host and port only', () => {
  test.each<[string, (own: TrinoStandIn) => StandInBehaviour]>([
    [
      'a nextUri on another loopback address',
      () => ({ nextUriOverride: ({ ownUri }) => ownUri.replace(/\/\/localhost:\d+/, `//127.0.0.2:${trap.port}`) }),
    ],
    ['a nextUri on another port of the same host', () => ({ nextUriOverride: ({ ownUri }) => ownUri.replace(/:\d+\//, `:${trap.port}/`) })],
  ])('%s is not followed: host_not_allowed, and nothing reaches it', async (_, behaviour) => {
    const accepted = trap.accepted;
    const hostile = await standIn(behaviour(server));
    expectVerdict(
      await probe(bodyFor(hostile)),
      'host_not_allowed',
      /sent the service to another address .* only connects to localhost:\d+/,
      UNTIL_QUERY,
    );
    expect(trap.accepted).toBe(accepted);
  });

  test('a nextUri that switches to plain HTTP on the same host and port is not followed: the password never travels in clear', async () => {
    const hostile = await standIn({ nextUriOverride: ({ ownUri }) => ownUri.replace(/^https:/, 'http:') });
    expectVerdict(await probe(bodyFor(hostile)), 'host_not_allowed', /nextUri on another host, port or scheme/, UNTIL_QUERY);
    expect(hostile.arrivals).toHaveLength(1); // the TLS connection of the POST, and no other
  });

  test('HTTP(S)_PROXY in the environment is not used: requests go to the customer’s host, not to a proxy', async () => {
    const saved = { HTTPS_PROXY: process.env.HTTPS_PROXY, HTTP_PROXY: process.env.HTTP_PROXY };
    Object.assign(process.env, { HTTPS_PROXY: `http://127.0.0.2:${trap.port}`, HTTP_PROXY: `http://127.0.0.2:${trap.port}` });
    const accepted = trap.accepted;
    try {
      expect(await probe(bodyFor(server))).toMatchObject({ success: true, code: 'ok' });
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
    expect(trap.accepted).toBe(accepted);
  });

  test('a redirect to another address is not followed: host_not_allowed, and nothing reaches it', async () => {
    const accepted = trap.accepted;
    const redirecting = await standIn({ redirectTo: `https://127.0.0.2:${trap.port}/v1/statement` });
    expectVerdict(await probe(bodyFor(redirecting)), 'host_not_allowed', /sent the service to another address/, UNTIL_AUTHENTICATION);
    expect(trap.accepted).toBe(accepted);
    expect(trap.requests).toEqual([]);
  });

  test('a redirect on the same origin is not followed either', async () => {
    const redirecting = await standIn({ redirectTo: '/v2/statement' });
    expectVerdict(
      await probe(bodyFor(redirecting)),
      'warehouse_error',
      /answered with a redirect \(HTTP 307\); the service follows none/,
      UNTIL_AUTHENTICATION,
    );
    expect(redirecting.received.map((request) => request.url)).toEqual(['/v1/statement']);
  });

  describe('the connection goes to the address the guard vetted', () => {
    let vetted: TrinoStandIn;
    beforeAll(async () => {
      vetted = await standIn({}, { listenAddress: VETTED_ADDRESS });
    });

    test('a name is resolved once, by the guard; every request goes to that address and TLS checks the name given', async () => {
      // 'localhost' resolves to 127.0.0.1 (or ::1) from the hosts file, where nothing listens on this
      // port: a client that resolved the name again would miss the stand-in.
      const lookup: Lookup = async (hostname) => (hostname === 'localhost' ? [{ address: VETTED_ADDRESS, family: 4 }] : []);
      const verdict = await probe(bodyFor(vetted), { allowedCidrs: [`${VETTED_ADDRESS}/32`], lookup });

      expect(verdict).toMatchObject({ success: true, code: 'ok' });
      expect(vetted.received.length).toBeGreaterThanOrEqual(6);
      expect(new Set(vetted.arrivals)).toEqual(new Set([`${VETTED_ADDRESS}:${vetted.port}`]));
    });

    test('an address the allow-list does not admit is refused before any socket is opened', async () => {
      const arrivals = vetted.arrivals.length;
      const lookup: Lookup = async () => [{ address: VETTED_ADDRESS, family: 4 }];
      const verdict = await probe(bodyFor(vetted), { allowedCidrs: ['127.0.0.1/32'], lookup });
      expectVerdict(verdict, 'host_not_allowed', new RegExp(`on port ${vetted.port}`), ['resolve']);
      expect(vetted.arrivals).toHaveLength(arrivals);
    });
  });
});

describe('every step is bounded', () => {
  test('a server that accepts and never answers ends in a timeout at the tls stage, within the connect timeout', async () => {
    const verdict = await probe(bodyFor(silent), { connectTimeoutMs: 300 });
    expectVerdict(verdict, 'timeout', /^No answer from localhost:\d+ \(Trino\) within 0\.3 s\.$/, UNTIL_TLS);
    expect(silent.accepted).toBeGreaterThan(0);
  });

  test('the overall deadline stops a test whose steps would each still have time', async () => {
    const verdict = await probe(bodyFor(silent), { connectTimeoutMs: 10_000, deadlineMs: 300 });
    expectVerdict(verdict, 'timeout', /^The warehouse did not answer within 0\.3 s\.$/, UNTIL_TLS);
  });

  test('a statement POST that is never answered ends in a timeout after the handshake', async () => {
    const verdict = await probe(bodyFor(await standIn({ neverAnswer: true })), { connectTimeoutMs: 300 });
    expectVerdict(verdict, 'timeout', /^No answer from localhost:\d+ \(Trino\) within 0\.3 s\.$/, UNTIL_AUTHENTICATION);
  });

  test('a query that never finishes ends in a timeout at the query stage, and nothing is sent after the verdict', async () => {
    const running = await standIn({ neverFinish: 'select' });
    const verdict = await probe(bodyFor(running), { statementTimeoutMs: 300 });
    expectVerdict(verdict, 'timeout', /^The test query did not finish within 0\.3 s\.$/, UNTIL_QUERY);
    expect(running.received[0]!.headers['x-trino-session']).toBe('query_max_run_time=1s');
    // trino-client would go on polling the nextUris; the test's agents refuse once it has ended. (A
    // request written just before the end may still be read by the stand-in: let it arrive first.)
    await new Promise((resolve) => setTimeout(resolve, 100));
    const sent = running.received.length;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(running.received.length).toBe(sent);
  });

  test('once a test has ended, its agents open no connection, whatever trino-client would still send', async () => {
    const stages = new StageClock();
    const credentials = { host: 'localhost', port: server.port, username: 'u', ssl_mode: 'require', catalog: 'c' } as const;
    const agents = trinoAgents(credentials, { host: 'localhost', port: server.port }, '127.0.0.1', stages);
    const get = () =>
      new Promise<string>((resolve) => {
        httpsGet({ host: 'localhost', port: server.port, path: '/v1/info', agent: agents.httpsAgent }, (response) => {
          response.resume();
          resolve(String(response.statusCode));
        }).on('error', (error: Error) => resolve(error.message));
      });
    const arrivals = server.arrivals.length;
    expect(await get()).toBe('401'); // open: the request reaches the server (which wants a user)
    agents.close();
    expect(await get()).toBe('The connection test has ended');
    expect(server.arrivals).toHaveLength(arrivals + 1);
  });

  test('a closed port is refused at the connect stage', async () => {
    const port = await freePort();
    expectVerdict(
      await probe(bodyFor({ port })),
      'connection_refused',
      new RegExp(`refused by localhost:${port} \\(Trino\\)`),
      UNTIL_CONNECT,
    );
  });
});

describe('no secret reaches the verdict or the output', () => {
  test.each<[string, () => object]>([
    ['a success', () => bodyFor(server)],
    ['a wrong password', () => bodyFor(server, { password: WRONG_PASSWORD })],
    ['a TLS failure', () => bodyFor(server, { host: '127.0.0.1' })],
    ['a missing schema', () => bodyFor(server, {}, { dataset_id: TEST_TRINO.missingSchema })],
  ])('%s', async (_, body) => {
    const result = await watchOutput(() => probe(body()));
    expectNoSecrets(result, [TEST_TRINO.password, WRONG_PASSWORD]);
  });

  test('a nextUri refused', async () => {
    const hostile = await standIn({ nextUriOverride: ({ ownUri }) => ownUri.replace(/\/\/localhost:\d+/, `//127.0.0.2:${trap.port}`) });
    const result = await watchOutput(() => probe(bodyFor(hostile)));
    expect(result.verdict.code).toBe('host_not_allowed');
    expectNoSecrets(result, [TEST_TRINO.password]);
  });
});
