import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createServer, type Server } from 'node:net';
import type { Lookup } from '../../lib/providers/network-guard.js';
import { loadProbe } from '../../lib/providers/probe-loaders.js';
import { runProbe } from '../../lib/providers/probe.js';
import type { ProbeLimits, StageName, Verdict } from '../../lib/providers/verdict.js';
import { parseConnectionRequest } from '../../lib/schema/connection.js';
import { startBlackholeServer } from '../fakes/blackhole-server.js';
import type { LoopbackServer } from '../fakes/loopback-server.js';
import {
  CLIENT,
  clientCapabilities,
  REQUESTED_FILE,
  sentPackets,
  startMysqlStandIn,
  type MysqlStandIn,
  type StandInBehaviour,
} from '../fakes/mysql-server.js';
import { startForwarder, type Forwarder } from '../fakes/tcp-forwarder.js';
import { mysqlBody } from '../helpers/bodies.js';
import { stagesThrough } from '../helpers/stages.js';
import { freePort } from '../setup/postgres-server.js';
import { TEST_MYSQL, testMysqlAddress, testMysqlCertificateAuthorities } from '../setup/test-mysql-fixture.js';
import { expectNoSecrets, watchOutput } from './leak-guard.js';

/**
 * The MySQL probe with the real mysql2 against the real MariaDB server of the test setup (TLS on),
 * and against loopback stand-ins for what that server cannot be made to do on demand. The test
 * servers live on loopback, which the SSRF guard admits only when allow-listed.
 */
const LIMITS: ProbeLimits = { connectTimeoutMs: 2_000, statementTimeoutMs: 2_000, deadlineMs: 5_000, allowedCidrs: ['127.0.0.0/8'] };
/** A loopback address nothing else in the suite uses: only a vetted connection can arrive there. */
const VETTED_ADDRESS = '127.0.0.5';
const WRONG_PASSWORD = 'wrong-canary-mysql-password-17';

async function probe(body: unknown, limits: Partial<ProbeLimits> = {}): Promise<Verdict> {
  return runProbe(await loadProbe('mysql'), await parseConnectionRequest(body), { ...LIMITS, ...limits });
}

/** The verdict as the API reports it: code, message, hint, and the stages through the one that failed. */
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

let hangUp: Server;
let hangUpPort: number;
let silent: LoopbackServer;

beforeAll(async () => {
  hangUp = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => hangUp.listen(0, '127.0.0.1', resolve));
  hangUpPort = (hangUp.address() as { port: number }).port;
  silent = await startBlackholeServer();
});

afterAll(async () => {
  await Promise.all([new Promise((resolve) => hangUp.close(resolve)), silent.close()]);
});

describe('the MySQL probe against a real MariaDB server', () => {
  test('valid credentials pass every stage, without TLS when ssl_mode is disable', async () => {
    expect(await probe(mysqlBody())).toEqual({ success: true, code: 'ok', stages: stagesThrough(UNTIL_SCHEMA, 'passed') });
  });

  test('dataset_id defaults to the database connected to, port to 3306 and ssl_mode to require', async () => {
    const connection = await parseConnectionRequest(mysqlBody({ dataset_id: undefined }, { port: undefined, ssl_mode: undefined }));
    expect(connection).toMatchObject({ dataset_id: TEST_MYSQL.database, credentials: { port: 3306, ssl_mode: 'require' } });
    expect(await probe(mysqlBody({ dataset_id: undefined }))).toMatchObject({ success: true });
  });

  test.each<[string, () => object, string, RegExp, readonly StageName[], string | undefined]>([
    [
      'a wrong password',
      () => mysqlBody({}, { password: WRONG_PASSWORD }),
      'auth_failed',
      /^Authentication failed for user 'wc_tester'\. Check the username and password\.$/,
      UNTIL_AUTHENTICATION,
      undefined,
    ],
    [
      // MariaDB answers an unknown user with an authentication method picked from the name (so that
      // names cannot be probed): here one mysql2 speaks, with ed25519 in use a name may get that.
      'an unknown user',
      () => mysqlBody({}, { username: 'nobody0' }),
      'auth_failed',
      /^Authentication failed for user 'nobody0'\./,
      UNTIL_AUTHENTICATION,
      undefined,
    ],
    [
      'an account of an authentication method the driver does not speak (MariaDB ed25519)',
      () => mysqlBody({}, { username: TEST_MYSQL.ed25519Username }),
      'auth_failed',
      /authentication method the service does not use.*Check the username.*mysql_native_password or caching_sha2_password/,
      UNTIL_AUTHENTICATION,
      undefined,
    ],
    [
      'a database that does not exist, where the user could see it',
      () => mysqlBody({}, { database: TEST_MYSQL.missingSchema }),
      'object_not_found',
      /^Database 'scratch_missing' does not exist on 127\.0\.0\.1:\d+\.$/,
      UNTIL_AUTHENTICATION,
      undefined,
    ],
    [
      'a database the user holds no privilege on',
      () => mysqlBody({ dataset_id: null }, { database: TEST_MYSQL.privateSchema }),
      'permission_denied',
      /user 'wc_tester' may not use database 'private_db'/,
      UNTIL_AUTHENTICATION,
      "GRANT SELECT ON `private_db`.* TO 'wc_tester'@'%';",
    ],
    [
      'a schema in dataset_id that does not exist',
      () => mysqlBody({ dataset_id: TEST_MYSQL.missingSchema }),
      'object_not_found',
      /^Schema 'scratch_missing' does not exist on 127\.0\.0\.1:\d+\.$/,
      UNTIL_SCHEMA,
      undefined,
    ],
    [
      'a schema in dataset_id the user holds no privilege on',
      () => mysqlBody({ dataset_id: TEST_MYSQL.privateSchema }),
      'permission_denied',
      /user 'wc_tester' has no privilege on schema 'private_db'/,
      UNTIL_SCHEMA,
      "GRANT SELECT ON `private_db`.* TO 'wc_tester'@'%';",
    ],
    [
      'a user over its connection limit',
      () => mysqlBody({}, { username: TEST_MYSQL.limitedUsername }),
      'warehouse_unavailable',
      /not accepting connections for user 'wc_limited' right now/,
      UNTIL_AUTHENTICATION,
      undefined,
    ],
    [
      'a schema name the server refuses (a trailing space)',
      () => mysqlBody({ dataset_id: `${TEST_MYSQL.schema} ` }),
      'warehouse_error',
      /^The server rejected the test \(MySQL error 1102\)\.$/,
      UNTIL_SCHEMA,
      undefined,
    ],
  ])('%s fails with a clear message, the stage it failed at and any grant to run', async (_, body, code, message, stages, hint) => {
    expectVerdict(await probe(body()), code, message, stages, hint);
  });

  test('a hint quotes names exactly, so the grant it shows can be run as it is', async () => {
    const verdict = await probe(mysqlBody({ dataset_id: "it's`odd" }));
    expect(verdict).toMatchObject({ code: 'permission_denied', hint: "GRANT SELECT ON `it's``odd`.* TO 'wc_tester'@'%';" });
  });

  test('a closed port is refused at the connect stage', async () => {
    const port = await freePort();
    expectVerdict(
      await probe(mysqlBody({}, { port })),
      'connection_refused',
      new RegExp(`refused by 127\\.0\\.0\\.1:${port}\\.`),
      UNTIL_CONNECT,
    );
  });

  test('a server that hangs up at once is a network error at the connect stage', async () => {
    expectVerdict(await probe(mysqlBody({}, { port: hangUpPort })), 'network_error', /closed unexpectedly/, UNTIL_CONNECT);
  });
});

describe('ssl_mode against the real server with TLS on', () => {
  const { ca, otherCa } = testMysqlCertificateAuthorities();
  const WITH_TLS = ['resolve', 'connect', 'tls', 'authenticate', 'query', 'schema_access'] as const;

  test.each<[string, Record<string, unknown>]>([
    ['require encrypts without verifying', { ssl_mode: 'require' }],
    ['verify-full with the CA and the certificate’s name', { ssl_mode: 'verify-full', host: 'localhost', ca_certificate: ca }],
    ['verify-ca with the CA, whatever the name', { ssl_mode: 'verify-ca', ca_certificate: ca }],
  ])('%s: passes, through the tls stage', async (_, credentials) => {
    expect(await probe(mysqlBody({}, credentials))).toEqual({ success: true, code: 'ok', stages: stagesThrough(WITH_TLS, 'passed') });
  });

  test.each<[string, () => Record<string, unknown>]>([
    [
      'verify-full with an IP address the certificate does not name (mysql2 alone would check it against "localhost")',
      () => ({ ssl_mode: 'verify-full', host: '127.0.0.1', ca_certificate: ca }),
    ],
    ['verify-full without the private CA (system trust store)', () => ({ ssl_mode: 'verify-full', host: 'localhost' })],
    ['verify-ca against an unrelated CA', () => ({ ssl_mode: 'verify-ca', ca_certificate: otherCa })],
  ])('%s: tls_error at the tls stage', async (_, credentials) => {
    expectVerdict(await probe(mysqlBody({}, credentials())), 'tls_error', /The TLS handshake with .* failed/, UNTIL_TLS);
  });
});

describe('what the real server cannot be made to do on demand, from a stand-in speaking the protocol', () => {
  const standIns: MysqlStandIn[] = [];
  const standIn = async (behaviour: StandInBehaviour) => {
    const started = await startMysqlStandIn(behaviour);
    standIns.push(started);
    return started;
  };
  afterAll(async () => {
    await Promise.all(standIns.map((started) => started.close()));
  });

  test('require against a server that offers no TLS is a tls_error before any credential is sent', async () => {
    const server = await standIn({ afterLogin: 'never-answer' });
    const verdict = await probe(mysqlBody({}, { port: server.port, ssl_mode: 'require' }));
    expectVerdict(verdict, 'tls_error', /does not offer TLS, which ssl_mode requires/, UNTIL_TLS);
    expect(server.received.join('')).toBe('');
  });

  test.each<[string, number, string, string, RegExp]>([
    ['too many connections', 1040, '08004', 'warehouse_unavailable', /is not accepting connections .* right now/],
    ['a server shutting down', 1053, '08S01', 'warehouse_unavailable', /is shutting down/],
    ['a server that blocks the address after connection errors', 1129, 'HY000', 'warehouse_unavailable', /FLUSH HOSTS/],
    ['no account for the service’s address', 1130, 'HY000', 'auth_failed', /no account that may connect from the service's address/],
  ])('%s, in place of the greeting, fails the connect stage', async (_, errno, sqlState, code, message) => {
    const server = await standIn({ refuse: { errno, sqlState } });
    expectVerdict(await probe(mysqlBody({}, { port: server.port })), code, message, UNTIL_CONNECT);
  });

  test.each<[string, number, string, string, RegExp, string | undefined]>([
    [
      'a missing table privilege',
      1142,
      '42000',
      'permission_denied',
      /lacks a privilege the test needs in 'warehouse'/,
      "GRANT SELECT ON `warehouse`.* TO 'wc_tester'@'%';",
    ],
    ['the server’s statement timeout (MariaDB)', 1969, '70100', 'timeout', /The test query did not finish within 2 s/, undefined],
    [
      'an error the service does not know',
      1105,
      'HY000',
      'warehouse_error',
      /^The server rejected the test \(MySQL error 1105\)\.$/,
      undefined,
    ],
  ])('%s, answering the test query, fails the query stage', async (_, errno, sqlState, code, message, hint) => {
    const server = await standIn({ afterLogin: { errno, sqlState } });
    expectVerdict(await probe(mysqlBody({}, { port: server.port })), code, message, UNTIL_QUERY, hint);
  });

  test('a server that asks for the password in clear text gets none', async () => {
    const server = await standIn({ askForClearPassword: true });
    const verdict = await probe(mysqlBody({}, { port: server.port }));
    expectVerdict(verdict, 'auth_failed', /never sends a password in clear text/, UNTIL_AUTHENTICATION);
    const sent = Buffer.concat(server.received);
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.includes(Buffer.from(TEST_MYSQL.password))).toBe(false);
  });

  test('LOCAL INFILE and multiple statements are not offered, and a server that asks for a file anyway gets an empty reply', async () => {
    const server = await standIn({ afterLogin: 'ask-for-local-file' });
    const verdict = await probe(mysqlBody({}, { port: server.port }));

    expectVerdict(
      verdict,
      'warehouse_error',
      /asked for a file from the service \(LOAD DATA LOCAL INFILE\); the service never sends files/,
      UNTIL_QUERY,
    );
    const [login, query, fileReply] = sentPackets(server.received[0]!);
    expect(clientCapabilities(login!.payload) & CLIENT.LOCAL_FILES).toBe(0);
    expect(clientCapabilities(login!.payload) & CLIENT.MULTI_STATEMENTS).toBe(0);
    expect(query!.payload.subarray(1).toString()).toBe('SELECT 1');
    expect(fileReply).toEqual({ sequence: 2, payload: Buffer.alloc(0) });
    expect(server.received[0]!.includes(Buffer.from(REQUESTED_FILE))).toBe(false);
  });
});

describe('every step is bounded', () => {
  test('a server that accepts and never greets ends in a timeout at the connect stage, within the connect timeout', async () => {
    const verdict = await probe(mysqlBody({}, { port: silent.port }), { connectTimeoutMs: 300 });
    expectVerdict(verdict, 'timeout', /^No answer from 127\.0\.0\.1:\d+ within 0\.3 s\.$/, UNTIL_CONNECT);
    expect(silent.accepted).toBeGreaterThan(0);
  });

  test('the overall deadline stops a test whose steps would each still have time', async () => {
    const verdict = await probe(mysqlBody({}, { port: silent.port }), { connectTimeoutMs: 10_000, deadlineMs: 300 });
    expectVerdict(verdict, 'timeout', /^The warehouse did not answer within 0\.3 s\.$/, UNTIL_CONNECT);
  });

  test('a query that never returns ends in a timeout at the query stage, within the statement timeout', async () => {
    const server = await startMysqlStandIn({ afterLogin: 'never-answer' });
    try {
      const verdict = await probe(mysqlBody({}, { port: server.port }), { statementTimeoutMs: 300 });
      expectVerdict(verdict, 'timeout', /^The test query did not finish within 0\.3 s\.$/, UNTIL_QUERY);
    } finally {
      await server.close();
    }
  });
});

describe('the MySQL probe connects to the address the guard vetted', () => {
  let forwarder: Forwarder;
  beforeAll(async () => {
    forwarder = await startForwarder(VETTED_ADDRESS, testMysqlAddress());
  });
  afterAll(async () => {
    await forwarder.close();
  });

  test('a name is resolved once, by the guard; mysql2 connects to that address and TLS still checks the name given', async () => {
    // 'localhost' resolves to 127.0.0.1 (or ::1) from the hosts file, where nothing listens on the
    // forwarder's port: a driver that resolved the name again would miss the forwarder.
    const lookup: Lookup = async (hostname) => (hostname === 'localhost' ? [{ address: VETTED_ADDRESS, family: 4 }] : []);
    const before = forwarder.arrivals.length;
    const body = mysqlBody(
      {},
      { host: 'localhost', port: forwarder.port, ssl_mode: 'verify-full', ca_certificate: testMysqlCertificateAuthorities().ca },
    );

    const verdict = await probe(body, { allowedCidrs: [`${VETTED_ADDRESS}/32`], lookup });

    expect(verdict).toMatchObject({ success: true, code: 'ok' });
    expect(forwarder.arrivals.slice(before)).toEqual([`${VETTED_ADDRESS}:${forwarder.port}`]);
  });

  test('an address the allow-list does not admit is refused before any socket is opened', async () => {
    const { port } = testMysqlAddress();
    const accepted = silent.accepted;
    const verdict = await probe(mysqlBody({}, { port: silent.port }), { allowedCidrs: [`127.0.0.0/8:${port}`] });
    expectVerdict(verdict, 'host_not_allowed', new RegExp(`on port ${silent.port}`), ['resolve']);
    expect(silent.accepted).toBe(accepted);
  });
});

describe('no secret reaches the verdict or the output', () => {
  test.each<[string, () => object]>([
    ['a success', () => mysqlBody()],
    ['a wrong password', () => mysqlBody({}, { password: WRONG_PASSWORD })],
    [
      'a TLS failure',
      () => mysqlBody({}, { ssl_mode: 'verify-full', host: '127.0.0.1', ca_certificate: testMysqlCertificateAuthorities().ca }),
    ],
    ['a missing schema', () => mysqlBody({ dataset_id: TEST_MYSQL.missingSchema })],
  ])('%s', async (_, body) => {
    const result = await watchOutput(() => probe(body()));
    expectNoSecrets(result, [TEST_MYSQL.password, WRONG_PASSWORD]);
  });
});
