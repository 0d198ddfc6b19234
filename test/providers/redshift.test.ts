import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { externalIdFor } from '../../lib/aws/external-id.js';
import { loadProbe } from '../../lib/providers/probe-loaders.js';
import { runProbe } from '../../lib/providers/probe.js';
import type { ProbeLimits, StageName, Verdict } from '../../lib/providers/verdict.js';
import { parseConnectionRequest } from '../../lib/schema/connection.js';
import { startBlackholeServer } from '../fakes/blackhole-server.js';
import type { LoopbackServer } from '../fakes/loopback-server.js';
import { redshiftBody, SECRETS } from '../helpers/bodies.js';
import { CUSTOMER_ACCOUNT, redshiftIamBody, REGION, startRedshiftIamWorld, type RedshiftIamWorld } from '../helpers/redshift-iam.js';
import { stagesThrough } from '../helpers/stages.js';
import { freePort } from '../setup/postgres-server.js';
import { TEST_POSTGRES } from '../setup/test-postgres-fixture.js';
import { expectNoSecrets, watchOutput } from './leak-guard.js';

/**
 * The Redshift probe with the real `pg` driver against the real test PostgreSQL (Redshift speaks
 * its wire protocol), and for IAM auth the real @aws-sdk clients against loopback stand-ins of STS,
 * Redshift and Redshift Serverless that issue passwords the test PostgreSQL accepts.
 */
const LIMITS: ProbeLimits = { connectTimeoutMs: 2_000, statementTimeoutMs: 2_000, deadlineMs: 6_000, allowedCidrs: ['127.0.0.0/8'] };
const ORGANIZATION = 'org-redshift-acme';
const EXTERNAL_ID = externalIdFor(ORGANIZATION, 'local');
const PASSWORD_STAGES = ['resolve', 'connect', 'tls', 'authenticate', 'query', 'schema_access'] as const;
const IAM_STAGES = ['resolve', 'assume_role', 'credentials', 'connect', 'tls', 'authenticate', 'query', 'schema_access'] as const;
const until = (stages: readonly StageName[], last: StageName) => stages.slice(0, stages.indexOf(last) + 1);

let world: RedshiftIamWorld;
let silent: LoopbackServer;

beforeAll(async () => {
  [world, silent] = await Promise.all([startRedshiftIamWorld(), startBlackholeServer()]);
  world.putRole(EXTERNAL_ID);
});
afterAll(async () => {
  await Promise.all([world.close(), silent.close()]);
});

async function probe(body: unknown, limits: Partial<ProbeLimits> = {}): Promise<{ verdict: Verdict; output: string }> {
  const definition = await parseConnectionRequest(body);
  const redshift = await loadProbe('redshift');
  return watchOutput(() => runProbe(redshift, definition, { ...LIMITS, ...world.limits(EXTERNAL_ID), ...limits }));
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

describe('Redshift with a password, over the PostgreSQL wire protocol', () => {
  test('valid credentials pass every stage, TLS included (ssl_mode require by default)', async () => {
    const { verdict, output } = await probe(redshiftBody({}, { ssl_mode: undefined }));
    expectVerdict(verdict, { code: 'ok', stages: PASSWORD_STAGES });
    expectNoSecrets({ verdict, output }, SECRETS);
  });

  test.each<[string, () => object, string, RegExp, StageName, string | undefined]>([
    [
      'a wrong password',
      () => redshiftBody({}, { password: 'wrong-canary-password-5439' }),
      'auth_failed',
      /^Authentication failed for user 'wc_tester'\. Check the username and password\.$/,
      'authenticate',
      undefined,
    ],
    [
      'a missing database',
      () => redshiftBody({}, { database: 'no_such_db' }),
      'object_not_found',
      /Database 'no_such_db' does not exist/,
      'authenticate',
      undefined,
    ],
    [
      'a missing schema',
      () => redshiftBody({ dataset_id: 'no_such_schema' }),
      'object_not_found',
      /Schema 'no_such_schema' does not exist in database 'warehouse'/,
      'schema_access',
      undefined,
    ],
    [
      'a schema without USAGE',
      () => redshiftBody({ dataset_id: TEST_POSTGRES.lockedSchema }),
      'permission_denied',
      /Permission denied for schema 'locked'/,
      'schema_access',
      `GRANT USAGE ON SCHEMA "locked" TO "${TEST_POSTGRES.username}";`,
    ],
    [
      'a database without CONNECT',
      () => redshiftBody({}, { database: TEST_POSTGRES.privateDatabase }),
      'permission_denied',
      /CONNECT on database 'private_db'/,
      'authenticate',
      `GRANT CONNECT ON DATABASE "private_db" TO "${TEST_POSTGRES.username}";`,
    ],
  ])('%s: a clear message, the stage it failed at and the grant to run', async (_, body, code, error, failedAt, hint) => {
    const { verdict, output } = await probe(body());
    expectVerdict(verdict, { code, error, ...(hint === undefined ? {} : { hint }), stages: until(PASSWORD_STAGES, failedAt) });
    expectNoSecrets({ verdict, output }, [...SECRETS, 'wrong-canary-password-5439']);
  });

  test('a closed port is refused at connect', async () => {
    const port = await freePort();
    const { verdict } = await probe(redshiftBody({}, { port }));
    expectVerdict(verdict, { code: 'connection_refused', error: new RegExp(`127\\.0\\.0\\.1:${port}`), stages: ['resolve', 'connect'] });
  });

  test('a server that never answers is a timeout within the connect budget', async () => {
    const { verdict } = await probe(redshiftBody({}, { port: silent.port }), { connectTimeoutMs: 500 });
    expect(verdict).toMatchObject({ success: false, code: 'timeout' });
  });

  test('a loopback host is refused by the SSRF guard unless allow-listed, before any AWS call', async () => {
    const calls = world.sts.calls.length;
    const { verdict } = await probe(redshiftIamBody(world, 'provisioned'), { allowedCidrs: [] });
    expectVerdict(verdict, { code: 'host_not_allowed', error: /may not connect to/, stages: ['resolve'] });
    expect(world.sts.calls.length).toBe(calls);
  });
});

describe('Redshift with an IAM role: STS AssumeRole with the external id, then temporary database credentials', () => {
  test('a provisioned cluster: GetClusterCredentials, then a login with the temporary password', async () => {
    const before = { sts: world.sts.calls.length, redshift: world.redshift.calls.length };
    const { verdict, output } = await probe(redshiftIamBody(world, 'provisioned'));

    expectVerdict(verdict, { code: 'ok', stages: IAM_STAGES });
    expect(world.sts.calls.slice(before.sts)).toEqual([
      {
        roleArn: world.roleArn(),
        roleSessionName: 'warehouse-connections-test',
        externalId: EXTERNAL_ID,
        durationSeconds: 900,
        policy: expect.any(String),
      },
    ]);
    // The session can do nothing but fetch the database password.
    expect(JSON.parse(world.sts.calls.at(-1)!.policy!)).toEqual({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['redshift:GetClusterCredentials'], Resource: '*' }],
    });
    expect(world.redshift.calls.slice(before.redshift)).toEqual([
      {
        clusterIdentifier: world.names.cluster,
        dbUser: world.names.dbUser,
        dbName: TEST_POSTGRES.database,
        durationSeconds: 900,
        autoCreate: false,
        caller: `arn:aws:sts::${CUSTOMER_ACCOUNT}:assumed-role/${world.names.roleName}/warehouse-connections-test`,
      },
    ]);
    expectNoSecrets({ verdict, output }, [...world.secrets(), ...SECRETS]);
  });

  test("Redshift Serverless: GetCredentials for the workgroup, then a login as the role's database user", async () => {
    const before = world.serverless.calls.length;
    const { verdict, output } = await probe(redshiftIamBody(world, 'serverless'));

    expectVerdict(verdict, { code: 'ok', stages: IAM_STAGES });
    expect(world.serverless.calls.slice(before)).toEqual([
      {
        workgroupName: world.names.workgroup,
        dbName: TEST_POSTGRES.database,
        durationSeconds: 900,
        caller: expect.stringContaining(world.names.roleName),
      },
    ]);
    expectNoSecrets({ verdict, output }, [...world.secrets(), ...SECRETS]);
  });

  test('auto_create asks for redshift:CreateClusterUser too, and logs in as the new IAMA: user', async () => {
    const { verdict } = await probe(redshiftIamBody(world, 'provisioned', { db_user: `${world.names.dbUser}_auto`, auto_create: true }));
    expectVerdict(verdict, { code: 'ok', stages: IAM_STAGES });
    expect(JSON.parse(world.sts.calls.at(-1)!.policy!).Statement[0].Action).toEqual([
      'redshift:GetClusterCredentials',
      'redshift:CreateClusterUser',
    ]);
  });

  test('a wrong external id is refused by STS: permission_denied at assume_role, naming the trust policy and the id to put there', async () => {
    const redshiftCalls = world.redshift.calls.length;
    const { verdict, output } = await probe(redshiftIamBody(world, 'provisioned'), {
      externalId: externalIdFor('org-someone-else', 'local'),
    });

    expectVerdict(verdict, {
      code: 'permission_denied',
      error: /may not assume role 'arn:aws:iam::222233334444:role\/warehouse-reader-[0-9a-f]+'.*trust policy.*sts:ExternalId/,
      hint: new RegExp(`sts:AssumeRole.*"sts:ExternalId": "${externalIdFor('org-someone-else', 'local')}"`),
      stages: ['resolve', 'assume_role'],
    });
    expect(world.redshift.calls.length).toBe(redshiftCalls);
    expectNoSecrets({ verdict, output }, world.secrets());
  });

  test('a role whose trust policy names another principal is refused the same way', async () => {
    const roleArn = world.putRole(EXTERNAL_ID, {
      name: `${world.names.roleName}-other`,
      principal: 'arn:aws:iam::999988887777:role/someone-else',
    });
    const { verdict } = await probe(redshiftIamBody(world, 'provisioned', { role_arn: roleArn }));
    expectVerdict(verdict, {
      code: 'permission_denied',
      error: /trust policy/,
      hint: /sts:ExternalId/,
      stages: ['resolve', 'assume_role'],
    });
  });

  test('a role that does not exist is refused (STS does not tell it apart from an untrusted one)', async () => {
    const { verdict } = await probe(redshiftIamBody(world, 'provisioned', { role_arn: world.roleArn('no-such-role') }));
    expectVerdict(verdict, {
      code: 'permission_denied',
      error: /check that the role exists/,
      hint: /sts:AssumeRole/,
      stages: ['resolve', 'assume_role'],
    });
  });

  test('a role without redshift:GetClusterCredentials: permission_denied at credentials, the hint names the permission and its resources', async () => {
    const roleArn = world.putRole(EXTERNAL_ID, { name: `${world.names.roleName}-bare`, allows: ['redshift-serverless:GetCredentials'] });
    const { verdict } = await probe(redshiftIamBody(world, 'provisioned', { role_arn: roleArn }));
    const dbUserArn = `arn:aws:redshift:${REGION}:${CUSTOMER_ACCOUNT}:dbuser:${world.names.cluster}/${world.names.dbUser}`;
    const dbNameArn = `arn:aws:redshift:${REGION}:${CUSTOMER_ACCOUNT}:dbname:${world.names.cluster}/${TEST_POSTGRES.database}`;
    expectVerdict(verdict, {
      code: 'permission_denied',
      error:
        /may not get database credentials for user 'wc_iam_[0-9a-f]+' on cluster 'analytics-[0-9a-f]+' \(redshift:GetClusterCredentials\)/,
      hint: `Allow redshift:GetClusterCredentials on ${dbUserArn} and ${dbNameArn} in a policy of role ${roleArn}.`,
      stages: ['resolve', 'assume_role', 'credentials'],
    });
  });

  test('a role without redshift-serverless:GetCredentials: permission_denied at credentials, naming the permission', async () => {
    const roleArn = world.putRole(EXTERNAL_ID, { name: `${world.names.roleName}-nosls`, allows: ['redshift:GetClusterCredentials'] });
    const { verdict } = await probe(redshiftIamBody(world, 'serverless', { role_arn: roleArn }));
    expectVerdict(verdict, {
      code: 'permission_denied',
      error: /\(redshift-serverless:GetCredentials\)/,
      hint: /^Allow redshift-serverless:GetCredentials on workgroup 'reporting-[0-9a-f]+'/,
      stages: ['resolve', 'assume_role', 'credentials'],
    });
  });

  test.each(['paused', 'resuming'] as const)(
    'a %s cluster is warehouse_unavailable, saying it is starting, not that the credentials are wrong',
    async (state) => {
      world.redshift.setState(world.names.cluster, state);
      try {
        const { verdict } = await probe(redshiftIamBody(world, 'provisioned'));
        expectVerdict(verdict, {
          code: 'warehouse_unavailable',
          error: /is paused or still starting \(resuming\).*test again in a few minutes/,
          stages: ['resolve', 'assume_role', 'credentials'],
        });
      } finally {
        world.redshift.setState(world.names.cluster, 'available');
      }
    },
  );

  test.each<[string, Record<string, unknown>, 'provisioned' | 'serverless', RegExp]>([
    [
      'an unknown cluster',
      { cluster_identifier: 'no-such-cluster' },
      'provisioned',
      /^Cluster 'no-such-cluster' was not found in us-east-1/,
    ],
    [
      'an unknown workgroup',
      { workgroup_name: 'no-such-workgroup' },
      'serverless',
      /^Workgroup 'no-such-workgroup' was not found in us-east-1/,
    ],
  ])('%s is object_not_found at credentials', async (_, overrides, kind, error) => {
    const { verdict } = await probe(redshiftIamBody(world, kind, overrides));
    expectVerdict(verdict, { code: 'object_not_found', error, stages: ['resolve', 'assume_role', 'credentials'] });
  });

  test('a database user that does not exist (auto_create off) is refused at login, saying so', async () => {
    const { verdict } = await probe(redshiftIamBody(world, 'provisioned', { db_user: 'nobody_here' }));
    expectVerdict(verdict, {
      code: 'auth_failed',
      error:
        /temporary credentials for database user 'nobody_here': check that the user exists in database 'warehouse' \(or set auto_create\)/,
      stages: until(IAM_STAGES, 'authenticate'),
    });
  });

  test('a schema the database user may not use: the hint grants it to the database user', async () => {
    const { verdict } = await probe(redshiftIamBody(world, 'provisioned', {}, { dataset_id: TEST_POSTGRES.lockedSchema }));
    expectVerdict(verdict, {
      code: 'permission_denied',
      error: /Permission denied for schema 'locked'/,
      hint: `GRANT USAGE ON SCHEMA "locked" TO "${world.names.dbUser}";`,
      stages: IAM_STAGES,
    });
  });

  test('STS that never answers is a timeout at assume_role within the connect budget', async () => {
    const started = performance.now();
    const { verdict } = await probe(redshiftIamBody(world, 'provisioned'), {
      connectTimeoutMs: 500,
      awsEndpoints: { ...world.limits(EXTERNAL_ID).awsEndpoints, sts: `http://127.0.0.1:${silent.port}` },
    });
    expectVerdict(verdict, { code: 'timeout', error: /within 0\.5 s/, stages: ['resolve', 'assume_role'] });
    expect(performance.now() - started).toBeLessThan(LIMITS.deadlineMs);
  });

  test('a closed Redshift API port is connection_refused at credentials', async () => {
    const port = await freePort();
    const { verdict } = await probe(redshiftIamBody(world, 'provisioned'), {
      awsEndpoints: { ...world.limits(EXTERNAL_ID).awsEndpoints, redshift: `http://127.0.0.1:${port}` },
    });
    expectVerdict(verdict, {
      code: 'connection_refused',
      error: new RegExp(`127\\.0\\.0\\.1:${port} \\(Amazon Redshift\\)`),
      stages: ['resolve', 'assume_role', 'credentials'],
    });
  });

  test("the service's own keys refused by STS (a bad signature) is the service's fault, not the customer's", async () => {
    const { verdict, output } = await probe(redshiftIamBody(world, 'provisioned'), {
      awsCredentials: { accessKeyId: world.service.accessKeyId, secretAccessKey: 'not-the-right-canary-secret' },
    });
    expectVerdict(verdict, {
      code: 'warehouse_error',
      error: /refused the service's own AWS credentials/,
      stages: ['resolve', 'assume_role'],
    });
    expectNoSecrets({ verdict, output }, ['not-the-right-canary-secret']);
  });

  test('without an external id the probe calls no AWS API', async () => {
    const calls = world.sts.calls.length;
    const { verdict } = await probe(redshiftIamBody(world, 'provisioned'), { externalId: undefined });
    expect(verdict).toMatchObject({ success: false, code: 'warehouse_error' });
    expect(world.sts.calls.length).toBe(calls);
  });
});
