import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { loadProbe } from '../../lib/providers/probe-loaders.js';
import { runProbe } from '../../lib/providers/probe.js';
import { PROVIDERS } from '../../lib/providers/registry.js';
import { plainVerdict, stagesThrough } from '../helpers/stages.js';
import { loadSnowflakeDriver } from '../../lib/providers/snowflake/driver.js';
import type { FailureCode, ProbeLimits, Verdict } from '../../lib/providers/verdict.js';
import { parseConnectionRequest } from '../../lib/schema/connection.js';
import { ecPrivateKeyPem, pemCanaries, RsaKeyPool } from '../fakes/keys.js';
import { startTrap, type ConnectionMode } from '../fakes/loopback-server.js';
import { startFakeSnowflake, type FakeSnowflake, type FakeSnowflakeAccount, type SnowflakeBehaviour } from '../fakes/snowflake-server.js';
import { watchEgress } from './egress-guard.js';
import { expectNoSecrets, watchOutput } from './leak-guard.js';

/**
 * The real snowflake-sdk against a local stand-in that speaks Snowflake's REST protocol. The access
 * URL is read once per test file (config memoizes it), so it is set before the first probe runs.
 */

const LIMITS: ProbeLimits = { connectTimeoutMs: 2_000, statementTimeoutMs: 2_000, deadlineMs: 5_000 };
// snowflake-sdk signs with jsonwebtoken, which refuses RSA keys under 2048 bits.
const keys = new RsaKeyPool(2048);
/** How long the last runProbe took (key generation and parsing excluded). */
let lastProbeMs = 0;
/** The last probe's whole verdict, stages and hint included. */
let lastVerdict: Verdict | undefined;

const account: FakeSnowflakeAccount = {
  account: 'TESTORG-TESTACCOUNT',
  aliases: ['TENANTA'],
  users: {
    PROBE_USER: { password: 'replaced-per-test', roles: ['PUBLIC', 'PROBE_ROLE'], defaultRole: 'PUBLIC' },
    KEY_USER: { roles: ['PUBLIC', 'PROBE_ROLE'], defaultRole: 'PROBE_ROLE' },
    TENANT_A_USER: { password: 'replaced-per-test', roles: ['PUBLIC', 'PROBE_ROLE'], defaultRole: 'PROBE_ROLE' },
  },
  warehouses: { PROBE_WH: ['PROBE_ROLE'], ADMIN_WH: ['SYSADMIN'] },
  databases: {
    ANALYTICS: { roles: ['PROBE_ROLE'], schemas: { REPORTING: ['PROBE_ROLE'], 'Mixed Case': ['PROBE_ROLE'], LOCKED: ['SYSADMIN'] } },
    FINANCE: { roles: ['SYSADMIN'], schemas: { PUBLIC: ['SYSADMIN'] } },
  },
};

let fake: FakeSnowflake;

beforeAll(async () => {
  await keys.fill(10);
  fake = await startFakeSnowflake(account);
});

afterAll(async () => {
  await fake.close();
});

afterEach(async () => {
  fake.behave({});
  await fake.setMode('serve');
});

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function canary(label: string): string {
  return `canary-${label}-${randomBytes(6).toString('hex')}`;
}

const LOCATION = { account: 'testorg-testaccount', warehouse: 'probe_wh', database: 'analytics', schema: 'reporting', role: 'probe_role' };

function passwordBody(password: string, overrides: Record<string, unknown> = {}) {
  return { provider: 'snowflake', credentials: { ...LOCATION, username: 'probe_user', password, ...overrides } };
}

function keyPairBody(privateKey: string, passphrase?: string) {
  return {
    provider: 'snowflake',
    credentials: {
      ...LOCATION,
      username: 'key_user',
      auth_method: 'key_pair',
      private_key: privateKey,
      ...(passphrase === undefined ? {} : { private_key_passphrase: passphrase }),
    },
  };
}

/**
 * Sets up one scenario and returns the request body and the secrets it must not leak. With
 * `storedKey`, the connection is saved with that key in place of the body's, as an item stored
 * before create refused such keys: the probe must refuse it too.
 */
type Arrange = () => { body: unknown; secrets: string[]; storedKey?: string };

function withPassword(overrides: Record<string, unknown> = {}): Arrange {
  return () => {
    const password = canary('password');
    account.users.PROBE_USER!.password = password;
    return { body: passwordBody(password, overrides), secrets: [password] };
  };
}

function withRegisteredKey(passphrase?: string): Arrange {
  return () => {
    const phrase = passphrase && canary(passphrase);
    const pair = keys.take(phrase);
    account.users.KEY_USER!.publicKey = pair.publicKey;
    return { body: keyPairBody(pair.privateKeyPem, phrase), secrets: [...pemCanaries(pair.privateKeyPem), ...(phrase ? [phrase] : [])] };
  };
}

async function probe(arrange: Arrange, limits: Partial<ProbeLimits> = {}) {
  const { body, secrets, storedKey } = arrange();
  const definition = await parseConnectionRequest(body);
  if (storedKey !== undefined && definition.provider === 'snowflake') definition.credentials.private_key = storedKey;
  const snowflake = await loadProbe('snowflake');
  const started = performance.now();
  const { value: result, destinations } = await watchEgress(() =>
    watchOutput(() => runProbe(snowflake, definition, { ...LIMITS, snowflakeAccessUrl: fake.accessUrl, ...limits })),
  );
  lastProbeMs = performance.now() - started;
  expectNoSecrets(result, secrets);
  expect(destinations.filter((destination) => !destination.startsWith('127.0.0.1:'))).toEqual([]);
  lastVerdict = result.verdict;
  return plainVerdict(result.verdict, PROVIDERS.snowflake.stages);
}

describe('Snowflake connection test: success', () => {
  test.each([
    ['password', withPassword()],
    ['an unencrypted key pair', withRegisteredKey()],
    ['an encrypted key pair and its passphrase', withRegisteredKey('passphrase')],
    [
      'quoted and mixed-case names',
      withPassword({ warehouse: 'PROBE_WH', database: 'Analytics', schema: '"Mixed Case"', role: 'Probe_Role' }),
    ],
  ])('logs in with %s, finds the warehouse, database and schema, and logs out', async (_, arrange) => {
    const before = fake.requests.length;
    await expect(probe(arrange)).resolves.toEqual({ success: true, code: 'ok' });

    const calls = fake.requests.slice(before);
    const login = calls.find((call) => call.path === '/session/v1/login-request');
    expect(login?.query).toMatchObject({
      warehouse: expect.any(String),
      databaseName: expect.any(String),
      schemaName: expect.any(String),
      roleName: expect.any(String),
    });
    expect(calls.some((call) => call.path === '/queries/v1/query-request')).toBe(true);
    expect(calls.some((call) => call.path === '/session' && call.query.delete === 'true')).toBe(true);
    expect(fake.openSessions).toBe(0);
  });

  test('checks dataset_id as the schema when it differs from credentials.schema', async () => {
    const password = canary('password');
    account.users.PROBE_USER!.password = password;
    const body = { ...passwordBody(password), dataset_id: 'locked' };
    const verdict = await probe(() => ({ body, secrets: [password] }));
    expect(verdict).toEqual({ success: false, code: 'object_not_found', error: expect.stringContaining("Schema 'locked'") });
  });
});

interface FailureCase {
  name: string;
  arrange: Arrange;
  behaviour?: SnowflakeBehaviour;
  mode?: ConnectionMode;
  limits?: Partial<ProbeLimits>;
  code: FailureCode;
  message: RegExp;
}

const wrongPassword: Arrange = () => {
  account.users.PROBE_USER!.password = canary('right-password');
  const sent = canary('wrong-password');
  return { body: passwordBody(sent), secrets: [sent, account.users.PROBE_USER!.password] };
};

const unregisteredKey: Arrange = () => {
  account.users.KEY_USER!.publicKey = keys.take().publicKey;
  const phrase = canary('passphrase');
  const sent = keys.take(phrase);
  return { body: keyPairBody(sent.privateKeyPem, phrase), secrets: [...pemCanaries(sent.privateKeyPem), phrase] };
};

/** A key create now refuses, stored in place of a registered one. */
function storedKey(pem: string): Arrange {
  return () => {
    const { body, secrets } = withRegisteredKey()();
    return { body, secrets: [...secrets, ...pemCanaries(pem)], storedKey: pem };
  };
}

const ecKey = storedKey(ecPrivateKeyPem());
const smallKey = storedKey(
  generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
);

const FAILURES: FailureCase[] = [
  { name: 'wrong password', arrange: wrongPassword, code: 'auth_failed', message: /^Incorrect username or password for user 'probe_user'/ },
  { name: 'unknown user', arrange: withPassword({ username: 'nobody' }), code: 'auth_failed', message: /user 'nobody'/ },
  {
    name: 'key not registered on the user',
    arrange: unregisteredKey,
    code: 'auth_failed',
    message: /key-pair login of user 'key_user'.*RSA_PUBLIC_KEY/,
  },
  { name: 'stored key that cannot sign RS256', arrange: ecKey, code: 'invalid_credentials', message: /must be an RSA key/ },
  {
    name: 'stored RSA key below 2048 bits',
    arrange: smallKey,
    code: 'invalid_credentials',
    message: /^The private key in credentials\.private_key must be an RSA key of 2048 to 4096 bits with public exponent 65537/,
  },
  {
    name: 'role not granted',
    arrange: withPassword({ role: 'spare_role' }),
    code: 'permission_denied',
    message: /Role 'spare_role' is not granted to user 'probe_user'/,
  },
  {
    name: 'network policy',
    arrange: withPassword(),
    behaviour: { loginError: { code: '390422', message: 'Incoming request with IP/Token 127.0.0.1 is not allowed to access Snowflake.' } },
    code: 'permission_denied',
    message: /network policy/,
  },
  {
    name: 'HTTP 403 at login',
    arrange: withPassword(),
    behaviour: { loginHttpStatus: 403 },
    code: 'permission_denied',
    message: /HTTP 403/,
  },
  {
    name: 'locked user',
    arrange: withPassword(),
    behaviour: { loginError: { code: '390102', message: 'User temporarily locked.' } },
    code: 'auth_failed',
    message: /error 390102/,
  },
  {
    name: 'missing warehouse',
    arrange: withPassword({ warehouse: 'no_such_wh' }),
    code: 'object_not_found',
    message: /^Warehouse 'no_such_wh' does not exist, or role 'PROBE_ROLE'/,
  },
  {
    name: 'warehouse the role may not use',
    arrange: withPassword({ warehouse: 'admin_wh' }),
    code: 'object_not_found',
    message: /Warehouse 'admin_wh'/,
  },
  { name: 'missing database', arrange: withPassword({ database: 'nowhere' }), code: 'object_not_found', message: /^Database 'nowhere'/ },
  {
    name: 'database the role may not use',
    arrange: withPassword({ database: 'finance', schema: 'public' }),
    code: 'object_not_found',
    message: /^Database 'finance'/,
  },
  {
    name: 'missing schema',
    arrange: withPassword({ schema: 'nothing_here' }),
    code: 'object_not_found',
    message: /^Schema 'nothing_here' in database 'analytics'/,
  },
  {
    name: 'schema the role may not use',
    arrange: withPassword({ schema: 'locked' }),
    code: 'object_not_found',
    message: /^Schema 'locked'.*role 'PROBE_ROLE'/,
  },
  {
    name: 'insufficient privileges',
    arrange: withPassword(),
    behaviour: {
      queryError: {
        code: '003001',
        message: "SQL access control error: Insufficient privileges to operate on schema 'REPORTING'",
        sqlState: '42501',
      },
    },
    code: 'permission_denied',
    message: /lacks a privilege/,
  },
  {
    name: 'Snowflake unavailable at login',
    arrange: withPassword(),
    behaviour: { loginHttpStatus: 503 },
    code: 'warehouse_unavailable',
    message: /HTTP 503/,
  },
  {
    name: 'statement timeout on the server',
    arrange: withPassword(),
    behaviour: {
      queryError: {
        code: '000630',
        message: 'Statement reached its statement or warehouse timeout of 2 second(s) and was canceled.',
        sqlState: '57014',
      },
    },
    code: 'timeout',
    message: /cancelled the test query/,
  },
  {
    name: 'unexpected SQL error',
    arrange: withPassword(),
    behaviour: {
      queryError: {
        code: '000603',
        message: 'SQL execution internal error: Processing aborted due to error 300010:391167117',
        sqlState: 'XX000',
      },
    },
    code: 'warehouse_error',
    message: /error 000603/,
  },
  {
    name: 'slow login',
    arrange: withPassword(),
    behaviour: { loginDelayMs: 1_500 },
    limits: { connectTimeoutMs: 500 },
    code: 'timeout',
    message: /^Logging in to Snowflake at 127\.0\.0\.1:\d+ did not finish within 0\.5 s/,
  },
  {
    name: 'slow query',
    arrange: withPassword(),
    behaviour: { queryDelayMs: 1_200 },
    limits: { statementTimeoutMs: 500 },
    code: 'timeout',
    message: /^The test query did not finish within 0\.5 s/,
  },
  {
    name: 'blackholed login',
    arrange: withPassword(),
    mode: 'blackhole',
    limits: { connectTimeoutMs: 500 },
    code: 'timeout',
    message: /did not finish within 0\.5 s/,
  },
  {
    name: 'refused connection',
    arrange: withPassword(),
    mode: 'refuse',
    code: 'connection_refused',
    message: /^Connection refused by 127\.0\.0\.1:\d+/,
  },
  { name: 'connection reset', arrange: withPassword(), mode: 'reset', code: 'network_error', message: /closed unexpectedly/ },
];

describe('Snowflake connection test: failures', () => {
  test.each(FAILURES)('$name -> $code', async ({ arrange, behaviour, mode, limits, code, message }) => {
    fake.behave(behaviour ?? {});
    await fake.setMode(mode ?? 'serve');
    const verdict = await probe(arrange, limits);
    expect(verdict).toEqual({ success: false, code, error: expect.stringMatching(message) });
  });

  test('a statement the probe stopped waiting for is left to finish, then the session is logged out', async () => {
    fake.behave({ queryDelayMs: 800 });
    const before = fake.requests.length;
    const verdict = await probe(withPassword(), { statementTimeoutMs: 300 });
    expect(verdict).toMatchObject({ success: false, code: 'timeout' });

    await waitFor(() => fake.openSessions === 0, 3_000);
    const queries = fake.requests.slice(before).filter((call) => call.path === '/queries/v1/query-request');
    expect(queries).toHaveLength(1); // cutting its socket would have made the driver re-send it
  });

  test('the deadline holds against a server that never answers', async () => {
    await fake.setMode('blackhole');
    const verdict = await probe(withPassword(), { connectTimeoutMs: 10_000, statementTimeoutMs: 10_000, deadlineMs: 1_500 });
    expect(verdict).toEqual({ success: false, code: 'timeout', error: 'The warehouse did not answer within 1.5 s.' });
    expect(lastProbeMs).toBeGreaterThanOrEqual(1_450);
    expect(lastProbeMs).toBeLessThan(2_500); // well short of the 10 s step limits; the tight figure is a benchmark
  });
});

describe('Snowflake requests never leave the account host', () => {
  test('a login answered with 307 to another host is not followed: the password never reaches it', async () => {
    const trap = await startTrap();
    try {
      fake.behave({ redirectTo: trap.origin });
      const verdict = await probe(withPassword());
      expect(verdict).toEqual({ success: false, code: 'host_not_allowed', error: expect.stringMatching(/redirect/) });
      expect(trap.accepted).toBe(0);
      expect(trap.requests).toEqual([]);
    } finally {
      await trap.close();
    }
  });
});

describe('two tenants in one warm process', () => {
  const OCSP_CACHE_URL = 'SF_OCSP_RESPONSE_CACHE_SERVER_URL';
  /** Tenant A: a privatelink account (its own user, so it can run beside tenant B's probes). */
  const privatelinkTenant: Arrange = () => {
    const password = canary('tenant-a-password');
    account.users.TENANT_A_USER!.password = password;
    return { body: passwordBody(password, { account: 'tenanta.us-east-1.privatelink', username: 'tenant_a_user' }), secrets: [password] };
  };
  const tenantAParameters = [
    { name: 'SERVICE_NAME', value: 'tenant-a-service' },
    { name: 'CLIENT_SESSION_KEEP_ALIVE', value: true },
  ];

  test("a privatelink tenant's probe sets no OCSP cache URL for the process, not even while it runs", async () => {
    await loadSnowflakeDriver(); // what loading sets is the service's own configuration, the same for everyone
    const before = { ...process.env };
    const seenAtLogin: (string | undefined)[] = [];
    fake.behave({ onLogin: () => seenAtLogin.push(process.env[OCSP_CACHE_URL]) });

    await expect(probe(privatelinkTenant)).resolves.toEqual({ success: true, code: 'ok' });

    expect(seenAtLogin).toEqual([undefined]);
    expect(process.env).toEqual(before);
  });

  test("one tenant's session parameters never travel in another tenant's requests, one after the other or at once", async () => {
    fake.behave({ loginParameters: tenantAParameters });
    await expect(probe(privatelinkTenant)).resolves.toEqual({ success: true, code: 'ok' });

    fake.behave({});
    const before = fake.requests.length;
    await expect(probe(withPassword())).resolves.toEqual({ success: true, code: 'ok' });
    const tenantB = fake.requests.slice(before);
    expect(tenantB.length).toBeGreaterThan(0);
    expect(tenantB.filter((request) => request.headers['x-snowflake-service'] !== undefined)).toEqual([]);

    // At once: A's login answers with its parameters while B's session is open.
    fake.behave({ loginParameters: tenantAParameters });
    const concurrentStart = fake.requests.length;
    const verdicts = await Promise.all([probe(privatelinkTenant), probe(withPassword())]);
    expect(verdicts).toEqual([
      { success: true, code: 'ok' },
      { success: true, code: 'ok' },
    ]);
    expect(fake.requests.slice(concurrentStart).filter((request) => request.headers['x-snowflake-service'] !== undefined)).toEqual([]);
  });
});

describe('Snowflake verdicts show how far the test got', () => {
  test('a passing test: signed in, queried, the session objects usable', async () => {
    await probe(withPassword());
    expect(lastVerdict).toEqual({ success: true, code: 'ok', stages: stagesThrough(['sign_in', 'query', 'schema_access'], 'passed') });
  });

  test('a refused login stops at sign_in, with no grant to suggest', async () => {
    await probe(wrongPassword);
    expect(lastVerdict).toMatchObject({ code: 'auth_failed', stages: stagesThrough(['sign_in'], 'failed') });
    expect(lastVerdict).not.toHaveProperty('hint');
  });

  test('a statement that does not finish stops at query', async () => {
    fake.behave({ queryDelayMs: 1_200 });
    await probe(withPassword(), { statementTimeoutMs: 500 });
    expect(lastVerdict).toMatchObject({ code: 'timeout', stages: stagesThrough(['sign_in', 'query'], 'failed') });
  });

  test.each([
    ['warehouse', { warehouse: 'admin_wh' }, 'GRANT USAGE ON WAREHOUSE admin_wh TO ROLE PROBE_ROLE;'],
    ['database', { database: 'finance', schema: 'public' }, 'GRANT USAGE ON DATABASE finance TO ROLE PROBE_ROLE;'],
    ['schema', { schema: 'locked' }, 'GRANT USAGE ON SCHEMA analytics.locked TO ROLE PROBE_ROLE;'],
  ])('a %s the role may not use stops at schema_access with the grant to run', async (_, overrides, hint) => {
    await probe(withPassword(overrides));
    expect(lastVerdict).toMatchObject({
      code: 'object_not_found',
      hint,
      stages: stagesThrough(['sign_in', 'query', 'schema_access'], 'failed'),
    });
  });
});
