import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { get } from 'node:http';
import { createServer, type Server } from 'node:net';
import { clickhouseAgent } from '../../lib/providers/clickhouse/connection.js';
import type { Lookup } from '../../lib/providers/network-guard.js';
import { DESTINATION_REFUSED } from '../../lib/providers/pinned-agent.js';
import { loadProbe } from '../../lib/providers/probe-loaders.js';
import { runProbe } from '../../lib/providers/probe.js';
import type { ProbeLimits, StageName, Verdict } from '../../lib/providers/verdict.js';
import { parseConnectionRequest, type ProviderDefinition } from '../../lib/schema/connection.js';
import { startBlackholeServer } from '../fakes/blackhole-server.js';
import { CLOUD_HOST, makeClickhouseCertificates, type ClickhouseCertificates } from '../fakes/clickhouse-certificates.js';
import { startClickhouseStandIn, type ClickhouseBehaviour, type ClickhouseStandIn } from '../fakes/clickhouse-server.js';
import { startTrap, type LoopbackServer } from '../fakes/loopback-server.js';
import { startForwarder, type Forwarder } from '../fakes/tcp-forwarder.js';
import { CANARY, clickhouseBody } from '../helpers/bodies.js';
import { stagesThrough } from '../helpers/stages.js';
import { freePort } from '../setup/postgres-server.js';
import { expectNoSecrets, watchOutput } from './leak-guard.js';

/**
 * The ClickHouse probe with the real @clickhouse/client against loopback stand-ins for ClickHouse's
 * HTTP interface (test/fakes/clickhouse-server.ts), over HTTP and HTTPS. No ClickHouse server runs
 * here: Debian's package is from 2018 (it knows neither today's error codes nor query parameters).
 */
const LIMITS: ProbeLimits = { connectTimeoutMs: 2_000, statementTimeoutMs: 2_000, deadlineMs: 5_000, allowedCidrs: ['127.0.0.0/8'] };
const WRONG_PASSWORD = 'wrong-canary-clickhouse-password-31';
const ADMIN_PASSWORD = 'ch-canary-admin-password-8c1d';
/** Loopback addresses nothing else in the suite uses: only a vetted connection can arrive there. */
const VETTED_ADDRESS = '127.0.0.5';
const CLOUD_ADDRESS = '127.0.0.6';

const USERS = {
  // readonly=1, as BI users often are: any setting sent with a query would be refused.
  wc_reader: { password: CANARY.clickhousePassword, databases: ['analytics'], readonly: true },
  // Holds privileges on every database: to it, a missing database is a 0 from EXISTS.
  wc_admin: { password: ADMIN_PASSWORD, databases: '*' as const },
  wc_lost: { password: CANARY.clickhousePassword, databases: '*' as const, defaultDatabase: 'dropped_db' },
};
const DATABASES = ['default', 'analytics', 'private_db'];

let certificates: ClickhouseCertificates;
let plain: ClickhouseStandIn;
let secure: ClickhouseStandIn;
let cloud: ClickhouseStandIn;
let silent: LoopbackServer;
let hangUp: Server;
let notHttp: Server;

const portOf = (server: Server) => (server.address() as { port: number }).port;
const listen = async (server: Server) => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

beforeAll(async () => {
  certificates = await makeClickhouseCertificates();
  const tls = { key: certificates.serverKey, cert: certificates.serverCertificate };
  [plain, secure, cloud, silent] = await Promise.all([
    startClickhouseStandIn({ users: USERS, databases: DATABASES }),
    startClickhouseStandIn({ users: USERS, databases: DATABASES, tls }),
    startClickhouseStandIn({ users: USERS, databases: DATABASES, tls, host: CLOUD_ADDRESS }),
    startBlackholeServer(),
  ]);
  hangUp = createServer((socket) => socket.destroy());
  // ClickHouse's native protocol port (9000) answers in binary: not HTTP.
  notHttp = createServer((socket) => socket.resume().end(Buffer.from([0x00, 0x0a, 0xff, 0x01, 0x02, 0x03, 0x04, 0x05])));
  await Promise.all([listen(hangUp), listen(notHttp)]);
});

afterAll(async () => {
  await Promise.all([plain.close(), secure.close(), cloud.close(), silent.close()]);
  await Promise.all([hangUp, notHttp].map((server) => new Promise((resolve) => server.close(resolve))));
});

afterEach(() => {
  for (const standIn of [plain, secure, cloud]) standIn.behave({});
});

async function probe(body: unknown, limits: Partial<ProbeLimits> = {}): Promise<Verdict> {
  return runProbe(await loadProbe('clickhouse'), await parseConnectionRequest(body), { ...LIMITS, ...limits });
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

const UNTIL_CONNECT = ['resolve', 'connect'] as const;
const UNTIL_AUTHENTICATION = ['resolve', 'connect', 'authenticate'] as const;
const UNTIL_QUERY = ['resolve', 'connect', 'authenticate', 'query'] as const;
const UNTIL_SCHEMA = ['resolve', 'connect', 'authenticate', 'query', 'schema_access'] as const;
const UNTIL_TLS = ['resolve', 'connect', 'tls'] as const;
const UNTIL_TLS_AUTHENTICATION = ['resolve', 'connect', 'tls', 'authenticate'] as const;
const WITH_TLS = ['resolve', 'connect', 'tls', 'authenticate', 'query', 'schema_access'] as const;

/** A body aimed at the plain-HTTP stand-in. */
const overHttp = (overrides: Record<string, unknown> = {}, credentials: Record<string, unknown> = {}) =>
  clickhouseBody(overrides, { port: plain.port, ...credentials });

describe('the ClickHouse probe over HTTP', () => {
  test('valid credentials pass every stage: SELECT 1, then EXISTS DATABASE, with the password (a colon, non-ASCII letters) in basic authentication', async () => {
    const before = plain.requests.length;
    expect(await probe(overHttp())).toEqual({ success: true, code: 'ok', stages: stagesThrough(UNTIL_SCHEMA, 'passed') });

    const requests = plain.requests.slice(before);
    expect(requests.map(({ method, query, authentication, user }) => ({ method, query, authentication, user }))).toEqual([
      { method: 'POST', query: 'SELECT 1 AS probe FORMAT JSONEachRow', authentication: 'basic', user: 'wc_reader' },
      { method: 'POST', query: 'EXISTS DATABASE `analytics` FORMAT JSONEachRow', authentication: 'basic', user: 'wc_reader' },
    ]);
    for (const request of requests) {
      expect(request.settings).toEqual([]); // a readonly=1 user is refused any setting
      expect(Object.keys(request.params)).toEqual(['query_id']); // no database, no user or password in the URL
      expect(request.userAgent).toMatch(/^warehouse-connections-test clickhouse-js\//);
    }
  });

  test('dataset_id defaults to ClickHouse’s default database, ssl_mode to verify-full, the port to 8123 without TLS and 8443 with it', async () => {
    const withoutTls = await parseConnectionRequest(clickhouseBody({ dataset_id: undefined }, { port: undefined }));
    const withTls = await parseConnectionRequest(clickhouseBody({}, { port: undefined, ssl_mode: undefined }));
    expect(withoutTls).toMatchObject({ dataset_id: 'default', credentials: { port: 8123, ssl_mode: 'disable' } });
    expect(withTls).toMatchObject({ credentials: { port: 8443, ssl_mode: 'verify-full' } });
    expect(await probe(overHttp({ dataset_id: undefined }))).toMatchObject({ success: false, code: 'permission_denied' });
    expect(await probe(overHttp({ dataset_id: undefined }, { username: 'wc_admin', password: ADMIN_PASSWORD }))).toMatchObject({
      success: true,
    });
  });

  test.each<[string, () => object, string, RegExp, readonly StageName[], string | undefined]>([
    [
      'a wrong password',
      () => overHttp({}, { password: WRONG_PASSWORD }),
      'auth_failed',
      /^Authentication failed for user 'wc_reader'\. Check the username and password\.$/,
      UNTIL_AUTHENTICATION,
      undefined,
    ],
    [
      'an unknown user',
      () => overHttp({}, { username: 'nobody' }),
      'auth_failed',
      /^Authentication failed for user 'nobody'\./,
      UNTIL_AUTHENTICATION,
      undefined,
    ],
    [
      'a database the user holds no privilege on (ACCESS_DENIED, 497)',
      () => overHttp({ dataset_id: 'private_db' }),
      'permission_denied',
      /user 'wc_reader' holds no privilege on database 'private_db' \(ClickHouse does not tell such a user whether it exists\)/,
      UNTIL_SCHEMA,
      'GRANT SELECT ON `private_db`.* TO `wc_reader`;',
    ],
    [
      'a database that does not exist, where the user could see it (EXISTS answers 0)',
      () => overHttp({ dataset_id: 'scratch_missing' }, { username: 'wc_admin', password: ADMIN_PASSWORD }),
      'object_not_found',
      /^Database 'scratch_missing' does not exist on 127\.0\.0\.1:\d+\.$/,
      UNTIL_SCHEMA,
      undefined,
    ],
    [
      'a user whose default database was dropped (UNKNOWN_DATABASE, 81)',
      () => overHttp({}, { username: 'wc_lost' }),
      'object_not_found',
      /^The default database of user 'wc_lost' does not exist on 127\.0\.0\.1:\d+\.$/,
      UNTIL_QUERY,
      undefined,
    ],
  ])('%s fails with a clear message, the stage it failed at and any grant to run', async (_, body, code, message, stages, hint) => {
    expectVerdict(await probe(body()), code, message, stages, hint);
  });

  test('a hint quotes names exactly, as ClickHouse reads back-quoted names, so the grant it shows can be run as it is', async () => {
    const before = plain.requests.length;
    const verdict = await probe(overHttp({ dataset_id: 'odd`name\\x' }));
    expect(verdict).toMatchObject({ code: 'permission_denied', hint: 'GRANT SELECT ON `odd\\`name\\\\x`.* TO `wc_reader`;' });
    // The stand-in unquoted the name as ClickHouse does and refused that very name.
    expect(plain.requests.slice(before).map((request) => request.query)).toEqual([
      'SELECT 1 AS probe FORMAT JSONEachRow',
      'EXISTS DATABASE `odd\\`name\\\\x` FORMAT JSONEachRow',
    ]);
  });

  test.each<[string, ClickhouseBehaviour, string, RegExp, readonly StageName[]]>([
    [
      'the server’s own time limit (TIMEOUT_EXCEEDED, 159)',
      { exception: { code: 159, name: 'TIMEOUT_EXCEEDED', on: 'select' } },
      'timeout',
      /^ClickHouse stopped the test query at a time limit of the server or of user 'wc_reader's settings profile\.$/,
      UNTIL_QUERY,
    ],
    [
      'a socket timeout on the server (SOCKET_TIMEOUT, 209)',
      { exception: { code: 209, name: 'SOCKET_TIMEOUT', on: 'select' } },
      'timeout',
      /timed out reading or writing the connection/,
      UNTIL_QUERY,
    ],
    [
      'too many queries at once (TOO_MANY_SIMULTANEOUS_QUERIES, 202)',
      { exception: { code: 202, name: 'TOO_MANY_SIMULTANEOUS_QUERIES', on: 'select' } },
      'warehouse_unavailable',
      /too busy to run the test right now \(exception code 202\)/,
      UNTIL_QUERY,
    ],
    [
      'a used-up quota (QUOTA_EXCEEDED, 201)',
      { exception: { code: 201, name: 'QUOTA_EXCEEDED', on: 'select' } },
      'warehouse_unavailable',
      /User 'wc_reader' has used up a quota/,
      UNTIL_QUERY,
    ],
    [
      'a failure after the answer began (MEMORY_LIMIT_EXCEEDED, 241, after HTTP 200)',
      { exception: { code: 241, name: 'MEMORY_LIMIT_EXCEEDED', on: 'select', midAnswer: true } },
      'warehouse_unavailable',
      /too busy .* \(exception code 241\)/,
      UNTIL_QUERY,
    ],
    [
      'the test query refused (ACCESS_DENIED, 497)',
      { exception: { code: 497, name: 'ACCESS_DENIED', on: 'select' } },
      'permission_denied',
      /^Permission denied: user 'wc_reader' may not run the test query \(SELECT 1\)\.$/,
      UNTIL_QUERY,
    ],
    [
      'an address the user may not connect from (IP_ADDRESS_NOT_ALLOWED, 195)',
      { exception: { code: 195, name: 'IP_ADDRESS_NOT_ALLOWED', on: 'select' } },
      'auth_failed',
      /may not connect from the service's address/,
      UNTIL_AUTHENTICATION,
    ],
    [
      'an exception the service does not know',
      { exception: { code: 1002, name: 'UNKNOWN_EXCEPTION', on: 'select' } },
      'warehouse_error',
      /^ClickHouse refused the test \(exception code 1002\)\.$/,
      UNTIL_QUERY,
    ],
    [
      'EXISTS DATABASE refused by an exception the service does not know',
      { exception: { code: 1002, name: 'UNKNOWN_EXCEPTION', on: 'exists' } },
      'warehouse_error',
      /^ClickHouse refused the test \(exception code 1002\)\.$/,
      UNTIL_SCHEMA,
    ],
    [
      'a proxy in front that is not ready (HTTP 503, no ClickHouse exception)',
      { status: 503 },
      'warehouse_unavailable',
      /^The ClickHouse server at 127\.0\.0\.1:\d+ is not ready \(HTTP 503\): it is starting or overloaded .* Test again in a minute\.$/,
      UNTIL_AUTHENTICATION,
    ],
    [
      'a proxy that refuses the credentials (HTTP 401)',
      { status: 401 },
      'auth_failed',
      /refused the credentials .* \(HTTP 401\)/,
      UNTIL_AUTHENTICATION,
    ],
    [
      'a proxy that limits requests (HTTP 429)',
      { status: 429 },
      'warehouse_unavailable',
      /not taking more requests .* \(HTTP 429\)/,
      UNTIL_AUTHENTICATION,
    ],
    [
      'a web server that is not ClickHouse (HTTP 404)',
      { status: 404 },
      'warehouse_error',
      /answered HTTP 404 without a ClickHouse exception\. Check that host and port are ClickHouse's HTTP interface/,
      UNTIL_AUTHENTICATION,
    ],
    [
      'a web server that answers 200 with a page',
      { status: 200 },
      'warehouse_error',
      /answered the test with something other than ClickHouse's answer/,
      UNTIL_QUERY,
    ],
  ])('%s', async (_, behaviour, code, message, stages) => {
    plain.behave(behaviour);
    expectVerdict(await probe(overHttp()), code, message, stages);
  });

  test('a closed port is refused at the connect stage', async () => {
    const port = await freePort();
    expectVerdict(
      await probe(overHttp({}, { port })),
      'connection_refused',
      new RegExp(`refused by 127\\.0\\.0\\.1:${port} `),
      UNTIL_CONNECT,
    );
  });

  test('a server that hangs up at once: closed before it answered, and maybe the port wants TLS', async () => {
    expectVerdict(
      await probe(overHttp({}, { port: portOf(hangUp) })),
      'network_error',
      /closed the connection before it answered\. If that port expects TLS \(8443\), set ssl_mode\./,
      UNTIL_AUTHENTICATION,
    );
  });

  test('a port that does not speak HTTP (the native protocol’s) is named as such', async () => {
    expectVerdict(
      await probe(overHttp({}, { port: portOf(notHttp) })),
      'network_error',
      /did not answer as an HTTP server does\. Check the port: .* \(9000 and 9440 are its native protocol/,
      UNTIL_AUTHENTICATION,
    );
  });
});

describe('ssl_mode against the stand-in serving HTTPS', () => {
  const overHttps = (credentials: Record<string, unknown>) => clickhouseBody({}, { port: secure.port, ...credentials });

  test.each<[string, () => Record<string, unknown>]>([
    ['require encrypts without verifying', () => ({ ssl_mode: 'require' })],
    [
      'verify-full with the CA and the certificate’s name',
      () => ({ ssl_mode: 'verify-full', host: 'localhost', ca_certificate: certificates.ca }),
    ],
    ['verify-ca with the CA, whatever the name', () => ({ ssl_mode: 'verify-ca', ca_certificate: certificates.ca })],
  ])('%s: passes, through the tls stage', async (_, credentials) => {
    expect(await probe(overHttps(credentials()))).toEqual({ success: true, code: 'ok', stages: stagesThrough(WITH_TLS, 'passed') });
  });

  test.each<[string, () => Record<string, unknown>]>([
    ['verify-full with an IP address the certificate does not name', () => ({ ssl_mode: 'verify-full', ca_certificate: certificates.ca })],
    ['verify-full without the private CA (the system trust store)', () => ({ ssl_mode: 'verify-full', host: 'localhost' })],
    ['verify-ca against an unrelated CA', () => ({ ssl_mode: 'verify-ca', ca_certificate: certificates.otherCa })],
  ])('%s: tls_error at the tls stage, and no request (no credential) reaches the server', async (_, credentials) => {
    const before = secure.requests.length;
    expectVerdict(await probe(overHttps(credentials())), 'tls_error', /The TLS handshake with .* failed/, UNTIL_TLS);
    expect(secure.requests.length).toBe(before);
  });

  test('require against a server that speaks plain HTTP is a tls_error before any credential is sent', async () => {
    const before = plain.requests.length;
    expectVerdict(await probe(overHttp({}, { ssl_mode: 'require' })), 'tls_error', /The TLS handshake with .* failed/, UNTIL_TLS);
    expect(plain.requests.length).toBe(before);
  });

  test('disable against a server that wants TLS: closed before it answered, with a word on ssl_mode', async () => {
    expectVerdict(
      await probe(overHttps({ ssl_mode: 'disable' })),
      'network_error',
      /closed the connection before it answered\. If that port expects TLS \(8443\), set ssl_mode\./,
      UNTIL_AUTHENTICATION,
    );
  });
});

describe('a ClickHouse Cloud service that is starting', () => {
  // The Cloud name resolves (in the test's lookup) to a loopback stand-in with a certificate for it.
  const cloudLookup =
    (address: string): Lookup =>
    async (hostname) =>
      hostname === CLOUD_HOST ? [{ address, family: 4 }] : [];
  const cloudBody = (port: number) =>
    clickhouseBody({}, { host: CLOUD_HOST, port, ssl_mode: 'verify-full', ca_certificate: certificates.ca });

  test('a running service passes, TLS verified against the Cloud name', async () => {
    const verdict = await probe(cloudBody(cloud.port), { lookup: cloudLookup(CLOUD_ADDRESS) });
    expect(verdict).toEqual({ success: true, code: 'ok', stages: stagesThrough(WITH_TLS, 'passed') });
  });

  test('an idle service holds the first request while it wakes: warehouse_unavailable saying it is starting, at the statement timeout', async () => {
    cloud.behave({ hold: 'any' });
    const before = cloud.requests.length;
    const verdict = await probe(cloudBody(cloud.port), { lookup: cloudLookup(CLOUD_ADDRESS), statementTimeoutMs: 300 });
    expectVerdict(
      verdict,
      'warehouse_unavailable',
      /^The ClickHouse Cloud service at abc123xyz\.eu-west-1\.aws\.clickhouse\.cloud:\d+ did not answer the test query within 0\.3 s: it is starting .* Test again in a minute\.$/,
      UNTIL_TLS_AUTHENTICATION,
    );
    expect(cloud.requests.length).toBe(before + 1); // the request that wakes it arrived
  });

  test('a Cloud endpoint that accepts and does not finish the TLS handshake is starting too', async () => {
    const verdict = await probe(clickhouseBody({}, { host: CLOUD_HOST, port: silent.port, ssl_mode: 'require' }), {
      lookup: cloudLookup('127.0.0.1'),
      connectTimeoutMs: 300,
    });
    expectVerdict(verdict, 'warehouse_unavailable', /did not finish the TLS handshake within 0\.3 s: it is starting/, UNTIL_TLS);
  });

  test('the same silence from a server that is not ClickHouse Cloud is a timeout', async () => {
    plain.behave({ hold: 'any' });
    const verdict = await probe(overHttp(), { statementTimeoutMs: 300 });
    expectVerdict(verdict, 'timeout', /^The test query did not finish within 0\.3 s\.$/, UNTIL_AUTHENTICATION);
  });
});

describe('every step is bounded', () => {
  test('over TLS, a server that accepts and never answers the handshake: a timeout at the tls stage, within the connect timeout', async () => {
    // The connect timeout covers TCP and TLS together; on loopback a TCP handshake cannot be made to hang.
    const verdict = await probe(clickhouseBody({}, { port: silent.port, ssl_mode: 'require' }), { connectTimeoutMs: 300 });
    expectVerdict(verdict, 'timeout', /^The TLS handshake with 127\.0\.0\.1:\d+ did not finish within 0\.3 s\.$/, UNTIL_TLS);
    expect(silent.accepted).toBeGreaterThan(0);
  });

  test('over HTTP, a server that accepts and never answers: a timeout at the authenticate stage, within the statement timeout', async () => {
    const verdict = await probe(overHttp({}, { port: silent.port }), { statementTimeoutMs: 300 });
    expectVerdict(verdict, 'timeout', /^The test query did not finish within 0\.3 s\.$/, UNTIL_AUTHENTICATION);
  });

  test('the overall deadline stops a test whose steps would each still have time', async () => {
    const verdict = await probe(overHttp({}, { port: silent.port }), {
      connectTimeoutMs: 10_000,
      statementTimeoutMs: 10_000,
      deadlineMs: 300,
    });
    expectVerdict(verdict, 'timeout', /^The warehouse did not answer within 0\.3 s\.$/, UNTIL_AUTHENTICATION);
  });

  test('EXISTS DATABASE that never returns ends in a timeout at the schema_access stage, within the statement timeout', async () => {
    plain.behave({ hold: 'exists' });
    const verdict = await probe(overHttp(), { statementTimeoutMs: 300 });
    expectVerdict(verdict, 'timeout', /^ClickHouse did not say within 0\.3 s whether database 'analytics' exists\.$/, UNTIL_SCHEMA);
  });
});

describe('the ClickHouse probe connects to the address the guard vetted, and nowhere else', () => {
  let forwarder: Forwarder;
  beforeAll(async () => {
    forwarder = await startForwarder(VETTED_ADDRESS, { host: '127.0.0.1', port: secure.port });
  });
  afterAll(async () => {
    await forwarder.close();
  });

  test('a name is resolved once, by the guard; the client connects to that address, and TLS and Host still carry the name', async () => {
    // 'localhost' resolves to 127.0.0.1 (or ::1) from the hosts file, where nothing listens on the
    // forwarder's port: a client that resolved the name again would miss the forwarder.
    const lookup: Lookup = async (hostname) => (hostname === 'localhost' ? [{ address: VETTED_ADDRESS, family: 4 }] : []);
    const before = { arrivals: forwarder.arrivals.length, requests: secure.requests.length };
    const body = clickhouseBody({}, { host: 'localhost', port: forwarder.port, ssl_mode: 'verify-full', ca_certificate: certificates.ca });

    const verdict = await probe(body, { allowedCidrs: [`${VETTED_ADDRESS}/32`], lookup });

    expect(verdict).toMatchObject({ success: true, code: 'ok' });
    expect(forwarder.arrivals.slice(before.arrivals)).toEqual([`${VETTED_ADDRESS}:${forwarder.port}`]); // one connection, kept alive for both queries
    expect(secure.requests.slice(before.requests).map((request) => request.host)).toEqual([
      `localhost:${forwarder.port}`,
      `localhost:${forwarder.port}`,
    ]);
  });

  test('an IPv6 address as host: bracketed in the URL and the Host header, matched by the pinned agent without brackets', async () => {
    const v6 = await startClickhouseStandIn({ users: USERS, databases: DATABASES, host: '::1' });
    try {
      const verdict = await probe(clickhouseBody({}, { host: '::1', port: v6.port }), { allowedCidrs: ['::1/128'] });
      expect(verdict).toEqual({ success: true, code: 'ok', stages: stagesThrough(UNTIL_SCHEMA, 'passed') });
      expect(v6.requests.map((request) => request.host)).toEqual([`[::1]:${v6.port}`, `[::1]:${v6.port}`]);
    } finally {
      await v6.close();
    }
  });

  test('an address the allow-list does not admit is refused before any socket is opened', async () => {
    const accepted = plain.accepted;
    const verdict = await probe(overHttp(), { allowedCidrs: ['127.0.0.0/8:1'] });
    expectVerdict(verdict, 'host_not_allowed', new RegExp(`on port ${plain.port}`), ['resolve']);
    expect(plain.accepted).toBe(accepted);
  });

  test('a redirect to another host is not followed: the query never reaches it', async () => {
    const trap = await startTrap();
    try {
      plain.behave({ redirectTo: trap.origin });
      const verdict = await probe(overHttp());
      expectVerdict(
        verdict,
        'host_not_allowed',
        /answered with a redirect \(HTTP 307\)\. The service follows no redirect/,
        UNTIL_AUTHENTICATION,
      );
      expect(trap.accepted).toBe(0);
    } finally {
      await trap.close();
    }
  });

  test('the agent the client is given refuses every other host and port before a socket opens', async () => {
    const trap = await startTrap();
    try {
      const definition = (await parseConnectionRequest(overHttp({}, { host: 'localhost' }))) as ProviderDefinition<'clickhouse'>;
      const { agent } = clickhouseAgent(definition.credentials, '127.0.0.1', 1_000, () => undefined);
      const attempt = (url: string) =>
        new Promise<string>((resolve) => {
          get(url, { agent }, (response) => resolve(`answered ${response.statusCode}`)).on('error', (error: NodeJS.ErrnoException) =>
            resolve(error.code ?? 'error'),
          );
        });
      expect(await attempt(`${trap.origin}/`)).toBe(DESTINATION_REFUSED);
      expect(await attempt(`http://localhost:${trap.port}/`)).toBe(DESTINATION_REFUSED);
      expect(trap.accepted).toBe(0);
      agent.destroy();
    } finally {
      await trap.close();
    }
  });
});

describe('no secret reaches the verdict, and nothing is printed', () => {
  test.each<[string, () => object, () => void]>([
    ['a success', () => overHttp(), () => undefined],
    ['a wrong password', () => overHttp({}, { password: WRONG_PASSWORD }), () => undefined],
    [
      'a TLS failure',
      () => clickhouseBody({}, { port: secure.port, ssl_mode: 'verify-full', ca_certificate: certificates.ca }),
      () => undefined,
    ],
    ['a missing privilege', () => overHttp({ dataset_id: 'private_db' }), () => undefined],
    [
      'an exception mid-answer',
      () => overHttp(),
      () => plain.behave({ exception: { code: 241, name: 'MEMORY_LIMIT_EXCEEDED', on: 'select', midAnswer: true } }),
    ],
  ])('%s', async (_, body, arrange) => {
    arrange();
    const result = await watchOutput(() => probe(body()));
    expectNoSecrets(result, [CANARY.clickhousePassword, WRONG_PASSWORD, ADMIN_PASSWORD]);
    expect(result.output).toBe(''); // the client's own logging is off: it would print ClickHouse's text
  });
});
