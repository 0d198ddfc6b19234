import { randomBytes } from 'node:crypto';
import type { ProbeLimits } from '../../lib/providers/verdict.js';
import { FakeAwsAccounts, type FakeIdentity, type FakeRole } from '../fakes/aws-accounts.js';
import { startFakeRedshiftServerless, type FakeRedshiftServerless } from '../fakes/redshift-serverless-server.js';
import { startFakeRedshift, type FakeRedshift } from '../fakes/redshift-server.js';
import { startFakeSts, type FakeSts } from '../fakes/sts-server.js';
import { connectTemporaryDbUsers, type TemporaryDbUsers } from '../fakes/temporary-db-users.js';
import { TEST_POSTGRES, testPostgresAddress } from '../setup/test-postgres-fixture.js';

/**
 * The AWS side of Redshift IAM auth on loopback: STS, Redshift and Redshift Serverless stand-ins
 * sharing one IAM model, with a customer account holding a cluster, a workgroup and roles, and
 * the service's own identity (static keys: no SDK credential chain, no AWS endpoint is ever asked).
 * Names carry a random suffix, so test files running at once never share a database user.
 */
export const REGION = 'us-east-1';
export const CUSTOMER_ACCOUNT = '222233334444';
const SERVICE_ACCOUNT = '111122223333';

export interface RedshiftIamWorld {
  accounts: FakeAwsAccounts;
  sts: FakeSts;
  redshift: FakeRedshift;
  serverless: FakeRedshiftServerless;
  users: TemporaryDbUsers;
  service: FakeIdentity;
  names: { cluster: string; workgroup: string; dbUser: string; roleName: string };
  roleArn(name?: string): string;
  /** Puts a role of the customer's account trusting the service under `externalId`. */
  putRole(externalId: string, options?: { name?: string; allows?: string[]; principal?: string }): string;
  /** Limits that point every AWS client at the stand-ins, with the service's static keys. */
  limits(externalId: string): Partial<ProbeLimits>;
  /** Everything secret handed out so far: temporary passwords, role secrets and session tokens, the service's key. */
  secrets(): string[];
  close(): Promise<void>;
}

export const ALL_REDSHIFT_ACTIONS = ['redshift:GetClusterCredentials', 'redshift:CreateClusterUser', 'redshift-serverless:GetCredentials'];

export async function startRedshiftIamWorld(): Promise<RedshiftIamWorld> {
  const suffix = randomBytes(4).toString('hex');
  const names = {
    cluster: `analytics-${suffix}`,
    workgroup: `reporting-${suffix}`,
    dbUser: `wc_iam_${suffix}`,
    roleName: `warehouse-reader-${suffix}`,
  };
  const service: FakeIdentity = {
    roleArn: `arn:aws:iam::${SERVICE_ACCOUNT}:role/warehouse-connections-test-function`,
    accessKeyId: `AKIA${randomBytes(8).toString('hex').toUpperCase()}`,
    secretAccessKey: `service-secret-canary-${randomBytes(12).toString('base64url')}`,
  };
  const accounts = new FakeAwsAccounts(service);
  const users = await connectTemporaryDbUsers();
  // The customer's administrator created the database user the provisioned cluster hands out.
  await users.create(`IAM:${names.dbUser}`);
  const [sts, redshift, serverless] = await Promise.all([
    startFakeSts(accounts),
    startFakeRedshift(accounts, users, {
      region: REGION,
      clusters: [{ identifier: names.cluster, accountId: CUSTOMER_ACCOUNT, state: 'available' }],
    }),
    startFakeRedshiftServerless(accounts, users, { region: REGION, workgroups: [{ name: names.workgroup, accountId: CUSTOMER_ACCOUNT }] }),
  ]);
  const roleArn = (name = names.roleName) => `arn:aws:iam::${CUSTOMER_ACCOUNT}:role/${name}`;

  return {
    accounts,
    sts,
    redshift,
    serverless,
    users,
    service,
    names,
    roleArn,
    putRole(externalId, options = {}) {
      const role: FakeRole = {
        arn: roleArn(options.name),
        trust: { principal: options.principal ?? service.roleArn, externalId },
        allows: options.allows ?? ALL_REDSHIFT_ACTIONS,
      };
      accounts.putRole(role);
      return role.arn;
    },
    limits: (externalId) => ({
      externalId,
      awsEndpoints: { sts: sts.endpoint, redshift: redshift.endpoint, redshiftServerless: serverless.endpoint },
      awsCredentials: { accessKeyId: service.accessKeyId, secretAccessKey: service.secretAccessKey },
    }),
    secrets: () => [service.secretAccessKey, ...accounts.issuedSecrets, ...users.issuedPasswords],
    async close() {
      await Promise.all([sts.close(), redshift.close(), serverless.close()]);
      await users.close();
    },
  };
}

/** A Redshift IAM body against the test PostgreSQL: a provisioned cluster, or with `serverless` a workgroup. */
export function redshiftIamBody(
  world: Pick<RedshiftIamWorld, 'names' | 'roleArn'>,
  kind: 'provisioned' | 'serverless',
  credentialOverrides: Record<string, unknown> = {},
  overrides: Record<string, unknown> = {},
) {
  const { host, port } = testPostgresAddress();
  const target =
    kind === 'provisioned'
      ? { cluster_identifier: world.names.cluster, db_user: world.names.dbUser }
      : { workgroup_name: world.names.workgroup };
  return {
    provider: 'redshift',
    dataset_id: TEST_POSTGRES.schema,
    credentials: {
      host,
      port,
      database: TEST_POSTGRES.database,
      auth_method: 'iam',
      role_arn: world.roleArn(),
      region: REGION,
      ...target,
      ssl_mode: 'require',
      ...credentialOverrides,
    },
    ...overrides,
  };
}
