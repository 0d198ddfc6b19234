import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { externalIdFor } from '../../lib/aws/external-id.js';
import { sessionActions } from '../../lib/providers/athena/access.js';
import { pollDelay } from '../../lib/providers/athena/query.js';
import { loadProbe } from '../../lib/providers/probe-loaders.js';
import { runProbe } from '../../lib/providers/probe.js';
import type { ProbeLimits, StageName, Verdict } from '../../lib/providers/verdict.js';
import { parseConnectionRequest, type ProviderDefinition } from '../../lib/schema/connection.js';
import type { QueryScript } from '../fakes/athena-server.js';
import {
  ATHENA_CUSTOMER_ACCOUNT,
  ATHENA_NAMES,
  ATHENA_ROLE_ACTIONS,
  athenaWorldBody,
  startAthenaWorld,
  type AthenaWorld,
} from '../fakes/athena-world.js';
import { startBlackholeServer } from '../fakes/blackhole-server.js';
import { startTrap, type LoopbackServer } from '../fakes/loopback-server.js';
import { stagesThrough } from '../helpers/stages.js';
import { freePort } from '../setup/postgres-server.js';
import { expectNoSecrets, watchOutput } from './leak-guard.js';

/**
 * The Athena probe with the real @aws-sdk/client-athena and client-sts against loopback stand-ins
 * of STS and Athena (JSON 1.1, SigV4-verified, one IAM model: the role's policies intersected with
 * the session policy the probe asks for), with queries that succeed, fail as Athena fails them,
 * or never end.
 */
const LIMITS: ProbeLimits = { connectTimeoutMs: 2_000, statementTimeoutMs: 3_000, deadlineMs: 8_000 };
const EXTERNAL_ID = externalIdFor('org-athena-acme', 'local');
const STAGES = ['assume_role', 'query', 'schema_access'] as const;
const until = (last: StageName) => STAGES.slice(0, STAGES.indexOf(last as (typeof STAGES)[number]) + 1);
const SESSION = 'warehouse-connections-test';

let world: AthenaWorld;
let silent: LoopbackServer;

beforeAll(async () => {
  [world, silent] = await Promise.all([startAthenaWorld(), startBlackholeServer()]);
  world.putRole(EXTERNAL_ID);
});
afterAll(async () => {
  await Promise.all([world.close(), silent.close()]);
});

async function probe(body: unknown, limits: Partial<ProbeLimits> = {}): Promise<{ verdict: Verdict; output: string }> {
  const definition = await parseConnectionRequest(body);
  const athena = await loadProbe('athena');
  return watchOutput(() => runProbe(athena, definition, { ...LIMITS, ...world.limits(EXTERNAL_ID), ...limits }));
}

function expectVerdict(verdict: Verdict, expected: { code: string; error?: RegExp; hint?: string | RegExp; stages: readonly StageName[] }) {
  const success = expected.code === 'ok';
  expect(verdict).toEqual({
    success,
    code: expected.code,
    ...(success ? {} : { error: expect.stringMatching(expected.error ?? /./) }),
    ...(expected.hint === undefined
      ? {}
      : { hint: typeof expected.hint === 'string' ? expected.hint : expect.stringMatching(expected.hint) }),
    stages: stagesThrough(expected.stages, success ? 'passed' : 'failed'),
  });
}

/** The Athena calls made since `from`, as operation names. */
const operationsSince = (from: number) => world.athena.calls.slice(from).map((call) => call.operation);
const queriesSince = (before: Set<string>) => [...world.athena.queries.values()].filter((query) => !before.has(query.id));
const queryIds = () => new Set(world.athena.queries.keys());

describe('a connection that works', () => {
  test('assumes the role with the external id, runs SELECT 1 and SHOW TABLES in the workgroup as that role, and passes every stage', async () => {
    const calls = { sts: world.sts.calls.length, athena: world.athena.calls.length };
    const before = queryIds();
    const { verdict, output } = await probe(athenaWorldBody());

    expectVerdict(verdict, { code: 'ok', stages: STAGES });
    expect(world.sts.calls.slice(calls.sts)).toEqual([
      { roleArn: world.roleArn(), roleSessionName: SESSION, externalId: EXTERNAL_ID, durationSeconds: 900, policy: expect.any(String) },
    ]);
    expect(operationsSince(calls.athena)).toEqual([
      'StartQueryExecution',
      'GetQueryExecution',
      'GetQueryExecution',
      'GetQueryResults',
      'StartQueryExecution',
      'GetQueryExecution',
      'GetQueryExecution',
    ]);
    const caller = `arn:aws:sts::${ATHENA_CUSTOMER_ACCOUNT}:assumed-role/${ATHENA_NAMES.role}/${SESSION}`;
    expect(world.athena.calls.slice(calls.athena).every((call) => call.caller === caller)).toBe(true);
    expect(
      queriesSince(before).map(({ sql, workgroup, catalog, outputLocation, state }) => ({
        sql,
        workgroup,
        catalog,
        outputLocation,
        state,
      })),
    ).toEqual([
      {
        sql: 'SELECT 1',
        workgroup: ATHENA_NAMES.workgroup,
        catalog: 'AwsDataCatalog',
        outputLocation: 's3://acme-athena-results/warehouse-connections/',
        state: 'SUCCEEDED',
      },
      {
        sql: 'SHOW TABLES IN `analytics`',
        workgroup: ATHENA_NAMES.workgroup,
        catalog: 'AwsDataCatalog',
        outputLocation: 's3://acme-athena-results/warehouse-connections/',
        state: 'SUCCEEDED',
      },
    ]);
    expect(world.athena.calls.slice(calls.athena).find((call) => call.operation === 'GetQueryResults')!.input).toMatchObject({
      MaxResults: 2,
    });
    expectNoSecrets({ verdict, output }, world.secrets());
  });

  test('the session policy allows exactly the calls of the test and what Athena does with them, whatever the role allows', async () => {
    const roleArn = world.putRole(EXTERNAL_ID, {
      name: `${ATHENA_NAMES.role}-admin`,
      allows: [...ATHENA_ROLE_ACTIONS, 'athena:DeleteWorkGroup', 's3:DeleteObject', 'glue:DeleteDatabase'],
    });
    const { verdict } = await probe(athenaWorldBody({ role_arn: roleArn }));

    expectVerdict(verdict, { code: 'ok', stages: STAGES });
    expect(JSON.parse(world.sts.calls.at(-1)!.policy!)).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: [
            'athena:StartQueryExecution',
            'athena:GetQueryExecution',
            'athena:GetQueryResults',
            'athena:StopQueryExecution',
            'glue:GetDatabase',
            'glue:GetTables',
            's3:GetBucketLocation',
            's3:ListBucket',
            's3:GetObject',
            's3:PutObject',
            's3:AbortMultipartUpload',
            's3:ListMultipartUploadParts',
            'kms:GenerateDataKey',
            'kms:Decrypt',
          ],
          Resource: '*',
        },
      ],
    });
  });

  test("without output_location the workgroup's result location is used", async () => {
    const before = queryIds();
    const { verdict } = await probe(athenaWorldBody({ workgroup: 'primary', output_location: undefined }));
    expectVerdict(verdict, { code: 'ok', stages: STAGES });
    expect(queriesSince(before).map((query) => query.outputLocation)).toEqual([
      's3://acme-athena-results/primary/',
      's3://acme-athena-results/primary/',
    ]);
  });

  test('a workgroup that enforces its settings writes where it says, whatever output_location says', async () => {
    const before = queryIds();
    const { verdict } = await probe(athenaWorldBody({ workgroup: ATHENA_NAMES.enforced }));
    expectVerdict(verdict, { code: 'ok', stages: STAGES });
    expect(new Set(queriesSince(before).map((query) => query.outputLocation))).toEqual(new Set(['s3://acme-athena-results/enforced/']));
  });

  test('a database without tables is usable', async () => {
    const { verdict } = await probe(athenaWorldBody({}, { dataset_id: ATHENA_NAMES.emptyDatabase }));
    expectVerdict(verdict, { code: 'ok', stages: STAGES });
  });

  test('a query queued and running for several polls is waited for, polling with a growing delay', async () => {
    const calls = world.athena.calls.length;
    world.athena.scriptNext({ pollsBeforeEnd: 5, end: { kind: 'run' } });
    const { verdict } = await probe(athenaWorldBody());
    expectVerdict(verdict, { code: 'ok', stages: STAGES });
    expect(operationsSince(calls).slice(0, 8)).toEqual([
      'StartQueryExecution',
      ...Array<string>(6).fill('GetQueryExecution'),
      'GetQueryResults',
    ]);
  });

  test('the delay between polls doubles from 50 ms and stays at 1 s', () => {
    expect(Array.from({ length: 8 }, (_, attempt) => pollDelay(attempt))).toEqual([50, 100, 200, 400, 800, 1_000, 1_000, 1_000]);
    expect(pollDelay(10_000)).toBe(1_000);
  });
});

describe('what Athena refuses at once: a 400 naming the stage and, for a missing grant, the permission', () => {
  test.each<[string, () => object, string, RegExp, string | RegExp | undefined]>([
    [
      'a workgroup that does not exist',
      () => athenaWorldBody({ workgroup: 'no-such-workgroup' }),
      'object_not_found',
      /^Workgroup 'no-such-workgroup' was not found in us-east-1 \(in the account of role 'arn:aws:iam::222233334444:role\/athena-reader'\)\.$/,
      undefined,
    ],
    [
      'a disabled workgroup',
      () => athenaWorldBody({ workgroup: ATHENA_NAMES.disabled }),
      'warehouse_unavailable',
      /^Workgroup 'paused-team' is disabled, so no query can run in it: an administrator must enable it/,
      undefined,
    ],
    [
      'no output_location, and none in the workgroup',
      () => athenaWorldBody({ workgroup: ATHENA_NAMES.noLocation, output_location: undefined }),
      'object_not_found',
      /^Workgroup 'no-location' has no query result location and the connection sets no output_location: set output_location/,
      undefined,
    ],
    [
      'an output bucket that does not exist',
      () => athenaWorldBody({ output_location: 's3://no-such-results-bucket/athena/' }),
      'permission_denied',
      /^Athena could not use the bucket of the query result location: it does not exist, or role '.*' may not read its location \(s3:GetBucketLocation\)\.$/,
      /^Allow s3:GetBucketLocation and s3:ListBucket on arn:aws:s3:::no-such-results-bucket, and s3:GetObject, s3:PutObject, s3:AbortMultipartUpload and s3:ListMultipartUploadParts on arn:aws:s3:::no-such-results-bucket\/athena\/\* in a policy of role arn:aws:iam::222233334444:role\/athena-reader\./,
    ],
  ])('%s', async (_, body, code, error, hint) => {
    const { verdict, output } = await probe(body());
    expectVerdict(verdict, { code, error, ...(hint === undefined ? {} : { hint }), stages: until('query') });
    expectNoSecrets({ verdict, output }, world.secrets());
  });

  test('a role that may not start queries: permission_denied at query, the hint names the Athena calls on the workgroup', async () => {
    const roleArn = world.putRole(EXTERNAL_ID, {
      name: `${ATHENA_NAMES.role}-no-start`,
      allows: ATHENA_ROLE_ACTIONS.filter((action) => action !== 'athena:StartQueryExecution'),
    });
    const { verdict } = await probe(athenaWorldBody({ role_arn: roleArn }));
    expectVerdict(verdict, {
      code: 'permission_denied',
      error:
        /^Role 'arn:aws:iam::222233334444:role\/athena-reader-no-start' may not run the test in workgroup 'analysts' \(athena:StartQueryExecution\)\.$/,
      hint:
        'Allow athena:StartQueryExecution, athena:GetQueryExecution, athena:GetQueryResults, athena:StopQueryExecution on ' +
        `arn:aws:athena:us-east-1:222233334444:workgroup/analysts in a policy of role ${roleArn}.`,
      stages: until('query'),
    });
  });

  test('a role that may not read results: permission_denied naming GetQueryResults', async () => {
    const roleArn = world.putRole(EXTERNAL_ID, {
      name: `${ATHENA_NAMES.role}-no-results`,
      allows: ATHENA_ROLE_ACTIONS.filter((action) => action !== 'athena:GetQueryResults'),
    });
    const { verdict } = await probe(athenaWorldBody({ role_arn: roleArn }));
    expectVerdict(verdict, {
      code: 'permission_denied',
      error: /\(athena:GetQueryResults\)\.$/,
      hint: /^Allow athena:StartQueryExecution/,
      stages: until('query'),
    });
  });
});

describe('queries that fail as Athena fails them', () => {
  test('a role that may not write to the output location: permission_denied at query, with the S3 grant', async () => {
    const roleArn = world.putRole(EXTERNAL_ID, {
      name: `${ATHENA_NAMES.role}-no-put`,
      allows: ATHENA_ROLE_ACTIONS.filter((action) => action !== 's3:PutObject'),
    });
    const before = queryIds();
    const { verdict, output } = await probe(athenaWorldBody({ role_arn: roleArn }));
    expectVerdict(verdict, {
      code: 'permission_denied',
      error:
        /^Athena could not write the query results to the query result location: role '.*-no-put' may not write there \(s3:PutObject\) or use its KMS key\.$/,
      hint: /s3:PutObject.* on arn:aws:s3:::acme-athena-results\/warehouse-connections\/\* in a policy of role .*-no-put\. If the results are encrypted with a KMS key, allow kms:GenerateDataKey and kms:Decrypt on it too\.$/,
      stages: until('query'),
    });
    expect(queriesSince(before).map((query) => query.state)).toEqual(['FAILED']);
    // Athena's text quotes the output path and the query id: none of it reaches the verdict.
    expect(JSON.stringify(verdict)).not.toMatch(/Access denied when writing|\.csv/);
    expectNoSecrets({ verdict, output }, world.secrets());
  });

  test.each(['engine', 'hive'] as const)(
    'a database that does not exist (%s wording): object_not_found at schema_access',
    async (wording) => {
      world.athena.missingDatabaseWording = wording;
      try {
        const { verdict } = await probe(athenaWorldBody({}, { dataset_id: 'no_such_db' }));
        expectVerdict(verdict, {
          code: 'object_not_found',
          error: /^Database 'no_such_db' does not exist in catalog 'AwsDataCatalog' \(us-east-1\)\.$/,
          stages: STAGES,
        });
      } finally {
        world.athena.missingDatabaseWording = 'engine';
      }
    },
  );

  test('a catalog that does not exist: object_not_found at schema_access; the session may read another catalog', async () => {
    const { verdict } = await probe(athenaWorldBody({ catalog: 'partner_catalog' }));
    expectVerdict(verdict, {
      code: 'object_not_found',
      error: /^Catalog 'partner_catalog' was not found in us-east-1 \(in the account of role '.*athena-reader'\)\.$/,
      stages: STAGES,
    });
    expect(JSON.parse(world.sts.calls.at(-1)!.policy!).Statement[0].Action).toEqual(
      expect.arrayContaining(['athena:GetDataCatalog', 'lambda:InvokeFunction']),
    );
  });

  test('a role that may not list the tables: permission_denied at schema_access, with the Glue grant and Lake Formation', async () => {
    const roleArn = world.putRole(EXTERNAL_ID, {
      name: `${ATHENA_NAMES.role}-no-glue`,
      allows: ATHENA_ROLE_ACTIONS.filter((action) => action !== 'glue:GetTables'),
    });
    const { verdict } = await probe(athenaWorldBody({ role_arn: roleArn }));
    expectVerdict(verdict, {
      code: 'permission_denied',
      error:
        /^Role '.*-no-glue' may not list the tables of database 'analytics' in catalog 'AwsDataCatalog' \(glue:GetDatabase, glue:GetTables\)\.$/,
      hint:
        'Allow glue:GetDatabase and glue:GetTables on arn:aws:glue:us-east-1:222233334444:catalog, ' +
        'arn:aws:glue:us-east-1:222233334444:database/analytics and arn:aws:glue:us-east-1:222233334444:table/analytics/* ' +
        `in a policy of role ${roleArn}. With Lake Formation, grant the role DESCRIBE on database 'analytics'.`,
      stages: STAGES,
    });
  });

  test.each<[string, QueryScript, string, RegExp]>([
    [
      'an internal error (system category, retryable)',
      { pollsBeforeEnd: 1, end: { kind: 'fail', state: 'FAILED', category: 1, type: 100, retryable: true, message: 'Internal error' } },
      'warehouse_unavailable',
      /^Amazon Athena could not run the test query right now/,
    ],
    [
      'Athena throttling (1404)',
      { pollsBeforeEnd: 1, end: { kind: 'fail', state: 'FAILED', category: 2, type: 1404, message: 'Rate exceeded' } },
      'warehouse_unavailable',
      /test again in a moment/,
    ],
    [
      'a query cancelled by someone else',
      { pollsBeforeEnd: 2, end: { kind: 'fail', state: 'CANCELLED', message: 'Query cancelled by user' } },
      'warehouse_error',
      /^The test query was cancelled in workgroup 'analysts' before it finished/,
    ],
    [
      'an error type nobody reads',
      { pollsBeforeEnd: 1, end: { kind: 'fail', state: 'FAILED', category: 2, type: 1200, message: 'NOT_SUPPORTED: secret detail' } },
      'warehouse_error',
      /^The test query failed in workgroup 'analysts' \(Athena error type 1200\)\.$/,
    ],
  ])("%s: %s at query, in the service's words", async (_, script, code, error) => {
    world.athena.scriptNext(script);
    const { verdict } = await probe(athenaWorldBody());
    expectVerdict(verdict, { code, error, stages: until('query') });
    expect(JSON.stringify(verdict)).not.toContain(script.end.kind === 'fail' ? script.end.message : '-');
  });
});

describe('Athena busy, failing, or saying what nobody reads', () => {
  test.each<[string, { status: number; type: string; message: string; athenaErrorCode?: string }, string, RegExp]>([
    [
      'throttling (TooManyRequestsException)',
      { status: 400, type: 'TooManyRequestsException', message: 'Rate exceeded for workgroup analysts' },
      'warehouse_unavailable',
      /^Amazon Athena is busy or unavailable right now; test again in a moment\.$/,
    ],
    [
      'an internal error (500)',
      { status: 500, type: 'InternalServerException', message: 'We encountered an internal error' },
      'warehouse_unavailable',
      /^Amazon Athena is busy or unavailable right now/,
    ],
    [
      'an InvalidRequestException nobody reads',
      {
        status: 400,
        type: 'InvalidRequestException',
        message: 'Something new about s3://secret-bucket/x',
        athenaErrorCode: 'INVALID_INPUT',
      },
      'warehouse_error',
      /^Amazon Athena refused the test query \(INVALID_INPUT\)\.$/,
    ],
  ])("%s: %s at query, the service's message only", async (_, failure, code, error) => {
    world.athena.failNextCall(failure);
    const { verdict } = await probe(athenaWorldBody());
    expectVerdict(verdict, { code, error, stages: until('query') });
    expect(JSON.stringify(verdict)).not.toContain(failure.message);
  });

  test('a connection reset by Athena: network_error at query', async () => {
    await world.athena.setMode('reset');
    try {
      const { verdict } = await probe(athenaWorldBody());
      expectVerdict(verdict, { code: 'network_error', error: /\(Amazon Athena\) was closed unexpectedly\.$/, stages: until('query') });
    } finally {
      await world.athena.setMode('serve');
    }
  });

  test.each<[string, QueryScript, string, RegExp, StageName]>([
    [
      'the output bucket gone while the query ran (1306)',
      {
        pollsBeforeEnd: 1,
        end: { kind: 'fail', state: 'FAILED', category: 2, type: 1306, message: 'The specified bucket does not exist' },
      },
      'object_not_found',
      /^The bucket of the query result location of workgroup 'analysts' does not exist\.$/,
      'query',
    ],
    [
      'Lake Formation refusing the database (234)',
      {
        pollsBeforeEnd: 1,
        end: { kind: 'fail', state: 'FAILED', category: 2, type: 234, message: 'Insufficient Lake Formation permission(s) on analytics' },
      },
      'permission_denied',
      /^Role '.*athena-reader' may not list the tables of database 'analytics'/,
      'schema_access',
    ],
  ])('%s: %s', async (_, script, code, error, stage) => {
    if (stage === 'schema_access') world.athena.scriptNext({ pollsBeforeEnd: 1, end: { kind: 'run' } });
    world.athena.scriptNext(script);
    const { verdict } = await probe(athenaWorldBody());
    expectVerdict(verdict, {
      code,
      error,
      stages: until(stage),
      ...(code === 'permission_denied' ? { hint: /With Lake Formation, grant the role DESCRIBE on database 'analytics'\.$/ } : {}),
    });
  });
});

describe('a query that never ends is stopped before the test answers timeout', () => {
  test('the test query: stopped at the statement timeout (StopQueryExecution), timeout at query', async () => {
    const before = queryIds();
    const calls = world.athena.calls.length;
    world.athena.scriptNext({ pollsBeforeEnd: 1, end: { kind: 'hang' } });
    const started = performance.now();
    const { verdict } = await probe(athenaWorldBody(), { statementTimeoutMs: 800 });

    expectVerdict(verdict, {
      code: 'timeout',
      error: /^The test query did not finish within 0\.8 s in workgroup 'analysts'; the service stopped it \(StopQueryExecution\)\.$/,
      stages: until('query'),
    });
    const [query] = queriesSince(before);
    expect(query!.state).toBe('CANCELLED');
    expect(world.athena.calls.slice(calls).filter((call) => call.operation === 'StopQueryExecution')).toEqual([
      expect.objectContaining({ input: { QueryExecutionId: query!.id } }),
    ]);
    expect(performance.now() - started).toBeLessThan(LIMITS.deadlineMs);
  });

  test("with a statement timeout past the deadline: stopped before the deadline, so the verdict is the probe's, not the bare deadline", async () => {
    const before = queryIds();
    world.athena.scriptNext({ pollsBeforeEnd: 1, end: { kind: 'hang' } });
    const { verdict } = await probe(athenaWorldBody(), { statementTimeoutMs: 20_000, deadlineMs: 2_500 });
    expectVerdict(verdict, {
      code: 'timeout',
      error: /did not finish within .* the service stopped it \(StopQueryExecution\)\.$/,
      stages: until('query'),
    });
    // Stopped when the verdict came back, not after.
    expect(queriesSince(before).map((query) => query.state)).toEqual(['CANCELLED']);
  });

  test('the database check: stopped too, timeout at schema_access', async () => {
    const before = queryIds();
    world.athena.scriptNext({ pollsBeforeEnd: 1, end: { kind: 'run' } }, { pollsBeforeEnd: 1, end: { kind: 'hang' } });
    const { verdict } = await probe(athenaWorldBody(), { statementTimeoutMs: 800 });
    expectVerdict(verdict, { code: 'timeout', error: /^The database check did not finish within 0\.8 s .*stopped it/, stages: STAGES });
    expect(queriesSince(before).map((query) => [query.sql, query.state])).toEqual([
      ['SELECT 1', 'SUCCEEDED'],
      ['SHOW TABLES IN `analytics`', 'CANCELLED'],
    ]);
  });

  test('a role that may not stop queries: still timeout, saying the query may run on', async () => {
    const roleArn = world.putRole(EXTERNAL_ID, {
      name: `${ATHENA_NAMES.role}-no-stop`,
      allows: ATHENA_ROLE_ACTIONS.filter((action) => action !== 'athena:StopQueryExecution'),
    });
    const before = queryIds();
    world.athena.scriptNext({ pollsBeforeEnd: 1, end: { kind: 'hang' } });
    const { verdict } = await probe(athenaWorldBody({ role_arn: roleArn }), { statementTimeoutMs: 600 });
    expectVerdict(verdict, {
      code: 'timeout',
      error: /could not stop it \(StopQueryExecution\), so it may run until the workgroup's limits end it\.$/,
      stages: until('query'),
    });
    expect(queriesSince(before).map((query) => query.state)).toEqual(['RUNNING']);
  });
});

describe('the way in: STS, the network, the service', () => {
  test('a wrong external id is refused by STS: permission_denied at assume_role, naming the trust policy; Athena is never called', async () => {
    const calls = world.athena.calls.length;
    const other = externalIdFor('org-someone-else', 'local');
    const { verdict, output } = await probe(athenaWorldBody(), { externalId: other });
    expectVerdict(verdict, {
      code: 'permission_denied',
      error: /^The service may not assume role 'arn:aws:iam::222233334444:role\/athena-reader'.*trust policy.*sts:ExternalId/,
      hint: `In the trust policy of ${world.roleArn()}, allow sts:AssumeRole for the service's principal with the condition {"StringEquals": {"sts:ExternalId": "${other}"}}.`,
      stages: ['assume_role'],
    });
    expect(world.athena.calls.length).toBe(calls);
    expectNoSecrets({ verdict, output }, world.secrets());
  });

  test('STS that never answers: timeout at assume_role within the connect timeout', async () => {
    const started = performance.now();
    const { verdict } = await probe(athenaWorldBody(), {
      connectTimeoutMs: 500,
      awsEndpoints: { ...world.limits(EXTERNAL_ID).awsEndpoints, sts: `http://127.0.0.1:${silent.port}` },
    });
    expectVerdict(verdict, {
      code: 'timeout',
      error: /^No answer from 127\.0\.0\.1:\d+ \(AWS STS\) within 0\.5 s\.$/,
      stages: ['assume_role'],
    });
    expect(performance.now() - started).toBeLessThan(LIMITS.deadlineMs);
  });

  test('Athena that never answers: timeout at query within the connect timeout', async () => {
    const started = performance.now();
    const { verdict } = await probe(athenaWorldBody(), {
      connectTimeoutMs: 500,
      awsEndpoints: { ...world.limits(EXTERNAL_ID).awsEndpoints, athena: `http://127.0.0.1:${silent.port}` },
    });
    expectVerdict(verdict, {
      code: 'timeout',
      error: /^No answer from 127\.0\.0\.1:\d+ \(Amazon Athena\) within 0\.5 s\.$/,
      stages: until('query'),
    });
    expect(performance.now() - started).toBeLessThan(LIMITS.deadlineMs);
  });

  test('a closed Athena port: connection_refused at query', async () => {
    const port = await freePort();
    const { verdict } = await probe(athenaWorldBody(), {
      awsEndpoints: { ...world.limits(EXTERNAL_ID).awsEndpoints, athena: `http://127.0.0.1:${port}` },
    });
    expectVerdict(verdict, {
      code: 'connection_refused',
      error: new RegExp(`127\\.0\\.0\\.1:${port} \\(Amazon Athena\\)`),
      stages: until('query'),
    });
  });

  test('a redirect from Athena is not followed: nothing reaches the other host, and the test fails', async () => {
    const trap = await startTrap();
    try {
      world.athena.redirectNextTo(`${trap.origin}/`);
      const { verdict } = await probe(athenaWorldBody());
      expect(verdict).toMatchObject({ success: false, code: 'warehouse_error' });
      expect(verdict.stages.at(-1)).toMatchObject({ name: 'query', ok: false });
      expect(trap.requests).toEqual([]);
      expect(trap.accepted).toBe(0);
    } finally {
      await trap.close();
    }
  });

  test("the service's own keys refused by STS is the service's fault, not the customer's", async () => {
    const { verdict, output } = await probe(athenaWorldBody(), {
      awsCredentials: { accessKeyId: world.service.accessKeyId, secretAccessKey: 'not-the-right-canary-secret' },
    });
    expectVerdict(verdict, { code: 'warehouse_error', error: /refused the service's own AWS credentials/, stages: ['assume_role'] });
    expectNoSecrets({ verdict, output }, ['not-the-right-canary-secret']);
  });

  test('without an external id the probe calls no AWS API', async () => {
    const calls = { sts: world.sts.calls.length, athena: world.athena.calls.length };
    const { verdict } = await probe(athenaWorldBody(), { externalId: undefined });
    expect(verdict).toMatchObject({ success: false, code: 'warehouse_error' });
    expect({ sts: world.sts.calls.length, athena: world.athena.calls.length }).toEqual(calls);
  });
});

test('the session actions of a definition in the default catalog list no catalog or Lambda call', async () => {
  const definition = (await parseConnectionRequest(athenaWorldBody())) as ProviderDefinition<'athena'>;
  expect(sessionActions(definition)).not.toEqual(expect.arrayContaining(['athena:GetDataCatalog']));
  expect(sessionActions(definition)).not.toEqual(expect.arrayContaining(['lambda:InvokeFunction']));
});
