import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import { loadProbe } from '../../lib/providers/probe-loaders.js';
import { runProbe } from '../../lib/providers/probe.js';
import { PROVIDERS } from '../../lib/providers/registry.js';
import { plainVerdict, stagesThrough } from '../helpers/stages.js';
import type { FailureCode, ProbeLimits, Verdict } from '../../lib/providers/verdict.js';
import { parseConnectionRequest } from '../../lib/schema/connection.js';
import {
  startFakeBigQuery,
  type BigQueryBehaviour,
  type FakeBigQuery,
  type FakeBigQueryProject,
  type FakeServiceAccount,
} from '../fakes/bigquery-server.js';
import { ecPrivateKeyPem, pemCanaries, RsaKeyPool } from '../fakes/keys.js';
import { startTrap, type ConnectionMode } from '../fakes/loopback-server.js';
import { watchEgress } from './egress-guard.js';
import { expectNoSecrets, watchOutput } from './leak-guard.js';

/**
 * The real @google-cloud/bigquery and google-auth-library against a local stand-in for the BigQuery
 * REST API. The endpoint is read once per test file (config memoizes it), so it is set before the
 * first probe runs.
 */

const LIMITS: ProbeLimits = { connectTimeoutMs: 2_000, statementTimeoutMs: 2_000, deadlineMs: 5_000 };
// Google takes 2048- to 4096-bit keys, and so does the service (lib/providers/private-key.ts).
const keys = new RsaKeyPool(2048);
/** How long the last runProbe took (key generation and parsing excluded). */
let lastProbeMs = 0;
/** The last probe's whole verdict, stages and hint included. */
let lastVerdict: Verdict | undefined;
const PROJECT = 'probe-project-1';
const EMAIL = `probe-sa@${PROJECT}.iam.gserviceaccount.com`;
const KEY_ID = 'a1b2c3d4e5f6';

const serviceAccount: FakeServiceAccount = { email: EMAIL, publicKey: keys.take().publicKey, keyId: KEY_ID }; // replaced per test

const projects: FakeBigQueryProject[] = [
  {
    projectId: PROJECT,
    apiEnabled: true,
    jobUsers: [EMAIL],
    datasets: { analytics: { readers: [EMAIL], location: 'EU' }, locked: { readers: [], location: 'EU' } },
  },
  { projectId: 'jobless-project', apiEnabled: true, jobUsers: [], datasets: {} },
  { projectId: 'disabled-project', apiEnabled: false, jobUsers: [EMAIL], datasets: {} },
];

let fake: FakeBigQuery;

beforeAll(async () => {
  await keys.fill(24);
  fake = await startFakeBigQuery(projects, [serviceAccount]);
});

afterAll(async () => {
  await fake.close();
});

afterEach(async () => {
  fake.behave({});
  await fake.setMode('serve');
});

/** A key file as Google issues it; token_uri points at the fake, which records any call to it. */
function body(privateKey: string, overrides: Record<string, unknown> = {}, credentials: Record<string, unknown> = {}) {
  return {
    provider: 'bigquery',
    project_id: PROJECT,
    dataset_id: 'analytics',
    location: 'EU',
    maximum_bytes_billed: 1_048_576,
    credentials: {
      type: 'service_account',
      project_id: PROJECT,
      private_key_id: KEY_ID,
      private_key: privateKey,
      client_email: EMAIL,
      client_id: '109876543210987654321',
      auth_uri: 'https://accounts.google.com/o/oauth2/auth',
      token_uri: `${fake.apiEndpoint}/token`,
      ...credentials,
    },
    ...overrides,
  };
}

/** With `storedKey`, the connection is saved with that key in place of the body's (stored before create refused it). */
type Arrange = () => { body: unknown; secrets: string[]; storedKey?: string };

/** A fresh key per test, registered on the service account: each one is a canary. */
function registeredKey(overrides: Record<string, unknown> = {}, credentials: Record<string, unknown> = {}): Arrange {
  return () => {
    const pair = keys.take();
    serviceAccount.publicKey = pair.publicKey;
    return { body: body(pair.privateKeyPem, overrides, credentials), secrets: pemCanaries(pair.privateKeyPem) };
  };
}

async function probe(arrange: Arrange, limits: Partial<ProbeLimits> = {}) {
  const { body: request, secrets, storedKey } = arrange();
  const definition = await parseConnectionRequest(request);
  if (storedKey !== undefined && definition.provider === 'bigquery') definition.credentials.private_key = storedKey;
  const bigquery = await loadProbe('bigquery');
  const started = performance.now();
  const { value: result, destinations } = await watchEgress(() =>
    watchOutput(() => runProbe(bigquery, definition, { ...LIMITS, bigqueryApiEndpoint: fake.apiEndpoint, ...limits })),
  );
  lastProbeMs = performance.now() - started;
  expectNoSecrets(result, secrets);
  expect(destinations.filter((destination) => !destination.startsWith('127.0.0.1:'))).toEqual([]);
  lastVerdict = result.verdict;
  return plainVerdict(result.verdict, PROVIDERS.bigquery.stages);
}

describe('BigQuery connection test: success', () => {
  test('runs SELECT 1 with the byte cap and location, reads the dataset, and calls nothing else', async () => {
    const before = fake.calls.length;
    await expect(probe(registeredKey())).resolves.toEqual({ success: true, code: 'ok' });

    const calls = fake.calls.slice(before);
    expect(calls.map((call) => `${call.method} ${call.path}`)).toEqual([
      `POST /bigquery/v2/projects/${PROJECT}/queries`,
      `GET /bigquery/v2/projects/${PROJECT}/datasets/analytics`,
    ]);
    expect(calls[0]!.body).toMatchObject({
      query: 'SELECT 1 AS probe',
      useLegacySql: false,
      maximumBytesBilled: '1048576',
      location: 'EU',
      timeoutMs: LIMITS.statementTimeoutMs,
    });
  });

  test('works without a location and with the default byte cap', async () => {
    const before = fake.calls.length;
    const arrange = registeredKey();
    const verdict = await probe(() => {
      const arranged = arrange();
      const request = arranged.body as Record<string, unknown>;
      delete request.location;
      delete request.maximum_bytes_billed;
      return arranged;
    });
    expect(verdict).toEqual({ success: true, code: 'ok' });
    expect(fake.calls[before]!.body).toMatchObject({ maximumBytesBilled: String(10 * 1024 * 1024) });
    expect(fake.calls[before]!.body.location).toBeUndefined();
  });

  test('never follows token_uri: the JWT is self-signed', async () => {
    await probe(registeredKey());
    expect(fake.calls.some((call) => call.path === '/token')).toBe(false);
  });
});

interface FailureCase {
  name: string;
  arrange: Arrange;
  behaviour?: BigQueryBehaviour;
  mode?: ConnectionMode;
  limits?: Partial<ProbeLimits>;
  code: FailureCode;
  message: RegExp;
}

const unregisteredKey: Arrange = () => {
  serviceAccount.publicKey = keys.take().publicKey;
  const sent = keys.take();
  return { body: body(sent.privateKeyPem), secrets: pemCanaries(sent.privateKeyPem) };
};

/** A key create now refuses, stored in place of a registered one. */
function storedKey(pem: string): Arrange {
  return () => {
    const { body: request, secrets } = registeredKey()();
    return { body: request, secrets: [...secrets, ...pemCanaries(pem)], storedKey: pem };
  };
}

const ecKey = storedKey(ecPrivateKeyPem());
const smallKey = storedKey(
  generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
);

const FAILURES: FailureCase[] = [
  {
    name: 'key not registered on the service account',
    arrange: unregisteredKey,
    code: 'auth_failed',
    message: new RegExp(`credentials of service account '${EMAIL}'`),
  },
  {
    name: 'unknown service account',
    arrange: registeredKey({}, { client_email: `ghost@${PROJECT}.iam.gserviceaccount.com` }),
    code: 'auth_failed',
    message: /service account 'ghost@/,
  },
  { name: 'unknown key id', arrange: registeredKey({}, { private_key_id: 'deleted0key' }), code: 'auth_failed', message: /key is active/ },
  { name: 'stored key that cannot sign RS256', arrange: ecKey, code: 'invalid_credentials', message: /must be an RSA key/ },
  {
    name: 'stored RSA key below 2048 bits',
    arrange: smallKey,
    code: 'invalid_credentials',
    message: /^The private key in credentials\.private_key must be an RSA key of 2048 to 4096 bits with public exponent 65537/,
  },
  {
    name: 'dataset not readable',
    arrange: registeredKey({ dataset_id: 'locked' }),
    code: 'permission_denied',
    message: /^Permission denied for dataset 'locked'/,
  },
  {
    name: 'no permission to run jobs',
    arrange: registeredKey({ project_id: 'jobless-project' }),
    code: 'permission_denied',
    message: /may not run queries in project 'jobless-project'.*jobUser/,
  },
  {
    name: 'API not enabled',
    arrange: registeredKey({ project_id: 'disabled-project' }),
    code: 'permission_denied',
    message: /BigQuery API is not enabled in project 'disabled-project'/,
  },
  {
    name: 'missing dataset',
    arrange: registeredKey({ dataset_id: 'nothing_here' }),
    code: 'object_not_found',
    message: /^Dataset 'nothing_here' not found in project 'probe-project-1'\.$/,
  },
  {
    name: 'missing project',
    arrange: registeredKey({ project_id: 'no-such-project' }),
    code: 'object_not_found',
    message: /^Project 'no-such-project' not found/,
  },
  {
    name: 'BigQuery unavailable',
    arrange: registeredKey(),
    behaviour: { failWith: { status: 503, reason: 'backendError' } },
    code: 'warehouse_unavailable',
    message: /HTTP 503/,
  },
  {
    name: 'rate limited',
    arrange: registeredKey(),
    behaviour: { failWith: { status: 429, reason: 'rateLimitExceeded' } },
    code: 'warehouse_unavailable',
    message: /rate limits or quotas/,
  },
  {
    name: 'request rejected',
    arrange: registeredKey(),
    behaviour: { failWith: { status: 400, reason: 'invalid' } },
    code: 'warehouse_error',
    message: /HTTP 400, reason invalid/,
  },
  {
    name: 'query still running at timeoutMs',
    arrange: registeredKey(),
    behaviour: { queryRunsMs: 5_000 },
    limits: { statementTimeoutMs: 300 },
    code: 'timeout',
    message: /^The test query did not finish within 0\.3 s/,
  },
  {
    name: 'slow API',
    arrange: registeredKey(),
    behaviour: { delayMs: 1_500 },
    limits: { connectTimeoutMs: 300, statementTimeoutMs: 300 },
    code: 'timeout',
    message: /within 0\.6 s/,
  },
  {
    name: 'dataset request that hangs',
    arrange: registeredKey(),
    behaviour: { datasetDelayMs: 5_000 },
    limits: { connectTimeoutMs: 300, deadlineMs: 4_000 },
    code: 'timeout',
    message: /^BigQuery did not return dataset 'analytics' within 0\.3 s\.$/,
  },
  {
    name: 'blackholed API',
    arrange: registeredKey(),
    mode: 'blackhole',
    limits: { connectTimeoutMs: 300, statementTimeoutMs: 300 },
    code: 'timeout',
    message: /within 0\.6 s/,
  },
  {
    name: 'refused connection',
    arrange: registeredKey(),
    mode: 'refuse',
    code: 'connection_refused',
    message: /^Connection refused by 127\.0\.0\.1:\d+ \(the BigQuery API\)/,
  },
  { name: 'connection reset', arrange: registeredKey(), mode: 'reset', code: 'network_error', message: /closed unexpectedly/ },
];

describe('BigQuery connection test: failures', () => {
  test.each(FAILURES)('$name -> $code', async ({ arrange, behaviour, mode, limits, code, message }) => {
    fake.behave(behaviour ?? {});
    await fake.setMode(mode ?? 'serve');
    const verdict = await probe(arrange, limits);
    expect(verdict).toEqual({ success: false, code, error: expect.stringMatching(message) });
  });

  test('the deadline holds against an API that never answers', async () => {
    await fake.setMode('blackhole');
    const verdict = await probe(registeredKey(), { connectTimeoutMs: 10_000, statementTimeoutMs: 10_000, deadlineMs: 1_500 });
    expect(verdict).toEqual({ success: false, code: 'timeout', error: 'The warehouse did not answer within 1.5 s.' });
    expect(lastProbeMs).toBeGreaterThanOrEqual(1_450);
    expect(lastProbeMs).toBeLessThan(2_500); // well short of the 10 s step limits; the tight figure is a benchmark
  });
});

describe('BigQuery requests never leave the API host', () => {
  test('a query answered with 307 to another host is refused at the agent: the query never reaches it', async () => {
    const trap = await startTrap();
    try {
      fake.behave({ redirectTo: trap.origin });
      const verdict = await probe(registeredKey());
      expect(verdict).toEqual({
        success: false,
        code: 'host_not_allowed',
        error: expect.stringMatching(/^Refused a redirect from 127\.0\.0\.1:\d+ \(the BigQuery API\) to another host/),
      });
      expect(trap.accepted).toBe(0);
      expect(trap.requests).toEqual([]);
    } finally {
      await trap.close();
    }
  });
});

describe('BigQuery verdicts show how far the test got', () => {
  test('a passing test: signed in, queried, the dataset readable', async () => {
    await probe(registeredKey());
    expect(lastVerdict).toEqual({ success: true, code: 'ok', stages: stagesThrough(['sign_in', 'query', 'dataset_access'], 'passed') });
  });

  test('a dataset the account may not read stops at dataset_access with the role to grant', async () => {
    const failure = FAILURES.find((candidate) => candidate.name === 'dataset not readable')!;
    await probe(failure.arrange);
    expect(lastVerdict).toMatchObject({
      code: 'permission_denied',
      hint: expect.stringMatching(/^Grant roles\/bigquery\.dataViewer on dataset [\w-]+:\w+ to serviceAccount:\S+@\S+$/),
      stages: stagesThrough(['sign_in', 'query', 'dataset_access'], 'failed'),
    });
  });

  test('an account that may not run jobs stops at query with the role to grant', async () => {
    const failure = FAILURES.find((candidate) => candidate.name === 'no permission to run jobs')!;
    await probe(failure.arrange);
    expect(lastVerdict).toMatchObject({
      code: 'permission_denied',
      hint: expect.stringMatching(/^Grant roles\/bigquery\.jobUser on project [\w-]+ to serviceAccount:\S+$/),
      stages: stagesThrough(['sign_in', 'query'], 'failed'),
    });
  });

  test('a key Google does not accept fails at query (the first call that checks it), without a hint', async () => {
    const failure = FAILURES.find((candidate) => candidate.name === 'unknown service account')!;
    await probe(failure.arrange);
    expect(lastVerdict).toMatchObject({ code: 'auth_failed', stages: stagesThrough(['sign_in', 'query'], 'failed') });
    expect(lastVerdict).not.toHaveProperty('hint');
  });
});
