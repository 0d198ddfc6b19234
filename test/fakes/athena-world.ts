import { randomBytes } from 'node:crypto';
import type { ProbeLimits } from '../../lib/providers/verdict.js';
import { athenaBody } from '../helpers/bodies.js';
import { startFakeAthena, type FakeAthena } from './athena-server.js';
import { FakeAwsAccounts, type FakeIdentity, type FakeRole } from './aws-accounts.js';
import { startFakeSts, type FakeSts } from './sts-server.js';

/**
 * Athena on loopback: the STS and Athena stand-ins sharing one IAM model (aws-accounts.ts), a
 * customer account with workgroups, a Glue database, a results bucket and roles, and the service's
 * own identity (static keys: no SDK credential chain, no AWS endpoint is ever asked).
 */
export const ATHENA_REGION = 'us-east-1';
export const ATHENA_CUSTOMER_ACCOUNT = '222233334444';
const SERVICE_ACCOUNT = '111122223333';

/** What a customer's role needs for the test (docs/providers.md), as its policy would allow it. */
export const ATHENA_ROLE_ACTIONS = [
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
];

export const ATHENA_NAMES = {
  role: 'athena-reader',
  database: 'analytics',
  emptyDatabase: 'empty_db',
  bucket: 'acme-athena-results',
  workgroup: 'analysts',
  enforced: 'enforced',
  noLocation: 'no-location',
  disabled: 'paused-team',
} as const;

export interface AthenaWorld {
  accounts: FakeAwsAccounts;
  sts: FakeSts;
  athena: FakeAthena;
  service: FakeIdentity;
  roleArn(name?: string): string;
  /** Puts a role of the customer's account trusting the service under `externalId`. */
  putRole(externalId: string, options?: { name?: string; allows?: string[]; principal?: string }): string;
  /** Limits that point STS and Athena at the stand-ins, with the service's static keys. */
  limits(externalId: string): Partial<ProbeLimits>;
  /** Every secret handed out: role secrets and session tokens, the service's key. */
  secrets(): string[];
  close(): Promise<void>;
}

export async function startAthenaWorld(options: { service?: FakeIdentity } = {}): Promise<AthenaWorld> {
  const service: FakeIdentity = options.service ?? {
    roleArn: `arn:aws:iam::${SERVICE_ACCOUNT}:role/warehouse-connections-test-function`,
    accessKeyId: `AKIA${randomBytes(8).toString('hex').toUpperCase()}`,
    secretAccessKey: `service-secret-canary-${randomBytes(12).toString('base64url')}`,
  };
  const accounts = new FakeAwsAccounts(service);
  const customer = ATHENA_CUSTOMER_ACCOUNT;
  const results = `s3://${ATHENA_NAMES.bucket}`;
  const [sts, athena] = await Promise.all([
    startFakeSts(accounts),
    startFakeAthena(accounts, {
      region: ATHENA_REGION,
      workgroups: [
        { name: ATHENA_NAMES.workgroup, accountId: customer, state: 'ENABLED' },
        { name: 'primary', accountId: customer, state: 'ENABLED', outputLocation: `${results}/primary/` },
        { name: ATHENA_NAMES.enforced, accountId: customer, state: 'ENABLED', outputLocation: `${results}/enforced/`, enforce: true },
        { name: ATHENA_NAMES.noLocation, accountId: customer, state: 'ENABLED' },
        { name: ATHENA_NAMES.disabled, accountId: customer, state: 'DISABLED', outputLocation: `${results}/paused/` },
      ],
      databases: [
        { accountId: customer, name: ATHENA_NAMES.database, tables: ['orders', 'customers'] },
        { accountId: customer, name: ATHENA_NAMES.emptyDatabase, tables: [] },
      ],
      buckets: [{ name: ATHENA_NAMES.bucket, accountId: customer }],
    }),
  ]);
  const roleArn = (name: string = ATHENA_NAMES.role) => `arn:aws:iam::${customer}:role/${name}`;
  return {
    accounts,
    sts,
    athena,
    service,
    roleArn,
    putRole(externalId, put = {}) {
      const role: FakeRole = {
        arn: roleArn(put.name),
        trust: { principal: put.principal ?? service.roleArn, externalId },
        allows: put.allows ?? ATHENA_ROLE_ACTIONS,
      };
      accounts.putRole(role);
      return role.arn;
    },
    limits: (externalId) => ({
      externalId,
      awsEndpoints: { sts: sts.endpoint, athena: athena.endpoint },
      awsCredentials: { accessKeyId: service.accessKeyId, secretAccessKey: service.secretAccessKey },
    }),
    secrets: () => [service.secretAccessKey, ...accounts.issuedSecrets],
    async close() {
      await Promise.all([sts.close(), athena.close()]);
    },
  };
}

/** An Athena body for the world's customer account (the seed body's role, workgroup and database). */
export function athenaWorldBody(credentialOverrides: Record<string, unknown> = {}, overrides: Record<string, unknown> = {}) {
  return athenaBody(overrides, { role_arn: `arn:aws:iam::${ATHENA_CUSTOMER_ACCOUNT}:role/${ATHENA_NAMES.role}`, ...credentialOverrides });
}
