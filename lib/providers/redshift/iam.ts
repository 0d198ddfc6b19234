import { GetClusterCredentialsCommand, RedshiftClient } from '@aws-sdk/client-redshift';
import { GetCredentialsCommand, RedshiftServerlessClient } from '@aws-sdk/client-redshift-serverless';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { bounded } from '../bounded.js';
import type { Endpoint } from '../transport-failures.js';
import { ProbeFailure, seconds, type ProbeLimits, type StageClock } from '../verdict.js';
import {
  classifyAwsFailure,
  iamTargetOf,
  type AwsCall,
  type AwsFailureContext,
  type IamTarget,
  type RedshiftDefinition,
} from './failures.js';
import { partitionOf } from './schema.js';

/**
 * IAM auth, loaded only for connections that use it (the AWS clients stay out of a password test):
 * the service assumes the customer's role with STS, presenting the organization's external id, then
 * asks Redshift (GetClusterCredentials) or Redshift Serverless (GetCredentials) for a temporary
 * database password with the role's credentials. Each call is one attempt, bounded by the connect
 * timeout and the test's deadline; every client is closed after its call.
 */

/** A database login the temporary credentials allow, and who a missing grant should go to. */
export interface TemporaryLogin {
  user: string;
  password: string;
  /** The user as the database names it (provisioned: db_user; Serverless: the IAMR: user). */
  grantee: string;
}

/** The shortest lifetime AWS allows (15 minutes): a test needs seconds. */
const DURATION_SECONDS = 900;
/** Names the service's sessions in the customer's CloudTrail. */
const ROLE_SESSION_NAME = 'warehouse-connections-test';

interface RoleCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
}

export async function temporaryLogin(
  definition: RedshiftDefinition,
  limits: ProbeLimits,
  signal: AbortSignal,
  stages: StageClock,
): Promise<TemporaryLogin> {
  const target = iamTargetOf(definition.credentials);
  // Set by the test use case from the verified organization; a probe without one must not call AWS.
  const externalId = limits.externalId;
  if (externalId === undefined) throw new Error('IAM auth needs the external id of the organization');
  const database = definition.credentials.database;
  const context = (endpoint: Endpoint): AwsFailureContext => ({ target, database, externalId, limits, endpoint });

  stages.begin('assume_role');
  const sts = awsEndpoint('sts', 'AWS STS', target.region, limits.awsEndpoints?.sts);
  const role = await step('assume_role', context(sts), signal, () => assumeRole(target, externalId, limits, sts, signal));

  stages.begin('credentials');
  if (target.kind === 'provisioned') {
    const redshift = awsEndpoint('redshift', 'Amazon Redshift', target.region, limits.awsEndpoints?.redshift);
    return step('cluster_credentials', context(redshift), signal, () =>
      clusterCredentials(target, database, role, limits, redshift, signal),
    );
  }
  const serverless = awsEndpoint('redshift-serverless', 'Redshift Serverless', target.region, limits.awsEndpoints?.redshiftServerless);
  return step('serverless_credentials', context(serverless), signal, () =>
    serverlessCredentials(target, database, role, limits, serverless, signal),
  );
}

/** One AWS call: at most the connect timeout, never past the deadline, its failure classified. */
async function step<T>(call: AwsCall, context: AwsFailureContext, signal: AbortSignal, work: () => Promise<T>): Promise<T> {
  const { endpoint, limits } = context;
  try {
    return await bounded(work(), {
      ms: limits.connectTimeoutMs,
      signal,
      onTimeout: () =>
        new ProbeFailure('timeout', `No answer from ${endpoint.where} (${endpoint.service}) within ${seconds(limits.connectTimeoutMs)}.`),
    });
  } catch (error) {
    throw classifyAwsFailure(error, call, context);
  }
}

async function assumeRole(
  target: IamTarget,
  externalId: string,
  limits: ProbeLimits,
  endpoint: AwsEndpoint,
  signal: AbortSignal,
): Promise<RoleCredentials> {
  const client = new STSClient(clientConfig(target.region, endpoint, limits, limits.awsCredentials));
  try {
    const { Credentials: credentials } = await client.send(
      new AssumeRoleCommand({
        RoleArn: target.roleArn,
        RoleSessionName: ROLE_SESSION_NAME,
        ExternalId: externalId,
        DurationSeconds: DURATION_SECONDS,
        // A session policy: whatever else the role may do, this session can only fetch the database password.
        Policy: sessionPolicy(target),
      }),
      { abortSignal: signal },
    );
    if (!credentials?.AccessKeyId || !credentials.SecretAccessKey || !credentials.SessionToken) {
      throw new ProbeFailure('warehouse_error', `AWS STS returned no credentials for role '${target.roleArn}'.`);
    }
    return { accessKeyId: credentials.AccessKeyId, secretAccessKey: credentials.SecretAccessKey, sessionToken: credentials.SessionToken };
  } finally {
    client.destroy();
  }
}

async function clusterCredentials(
  target: Extract<IamTarget, { kind: 'provisioned' }>,
  database: string,
  role: RoleCredentials,
  limits: ProbeLimits,
  endpoint: AwsEndpoint,
  signal: AbortSignal,
): Promise<TemporaryLogin> {
  const client = new RedshiftClient(clientConfig(target.region, endpoint, limits, role));
  try {
    const output = await client.send(
      new GetClusterCredentialsCommand({
        ClusterIdentifier: target.cluster,
        DbUser: target.dbUser,
        DbName: database,
        DurationSeconds: DURATION_SECONDS,
        AutoCreate: target.autoCreate,
      }),
      { abortSignal: signal },
    );
    if (!output.DbUser || !output.DbPassword) {
      throw new ProbeFailure('warehouse_error', `Amazon Redshift returned no credentials for cluster '${target.cluster}'.`);
    }
    // The login name is IAM:<db_user> (IAMA: when created); inside the database the user is db_user.
    return { user: output.DbUser, password: output.DbPassword, grantee: target.dbUser };
  } finally {
    client.destroy();
  }
}

async function serverlessCredentials(
  target: Extract<IamTarget, { kind: 'serverless' }>,
  database: string,
  role: RoleCredentials,
  limits: ProbeLimits,
  endpoint: AwsEndpoint,
  signal: AbortSignal,
): Promise<TemporaryLogin> {
  const client = new RedshiftServerlessClient(clientConfig(target.region, endpoint, limits, role));
  try {
    const output = await client.send(
      new GetCredentialsCommand({ workgroupName: target.workgroup, dbName: database, durationSeconds: DURATION_SECONDS }),
      { abortSignal: signal },
    );
    if (!output.dbUser || !output.dbPassword) {
      throw new ProbeFailure('warehouse_error', `Redshift Serverless returned no credentials for workgroup '${target.workgroup}'.`);
    }
    return { user: output.dbUser, password: output.dbPassword, grantee: output.dbUser };
  } finally {
    client.destroy();
  }
}

function sessionPolicy(target: IamTarget): string {
  const actions =
    target.kind === 'serverless'
      ? ['redshift-serverless:GetCredentials']
      : ['redshift:GetClusterCredentials', ...(target.autoCreate ? ['redshift:CreateClusterUser'] : [])];
  return JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }] });
}

type AwsEndpoint = Endpoint & { url: string | undefined };

/** AWS's regional endpoint of a service, or the override the tests set (limits.awsEndpoints). */
function awsEndpoint(prefix: string, service: string, region: string, override: string | undefined): AwsEndpoint {
  if (override !== undefined) {
    const url = new URL(override);
    return { service, host: url.hostname, where: url.host, url: override };
  }
  const host = `${prefix}.${region}.amazonaws.com${partitionOf(region) === 'aws-cn' ? '.cn' : ''}`;
  return { service, host, where: `${host}:443`, url: undefined };
}

function clientConfig(region: string, endpoint: AwsEndpoint, limits: ProbeLimits, credentials: ProbeLimits['awsCredentials']) {
  return {
    region,
    ...(endpoint.url === undefined ? {} : { endpoint: endpoint.url }),
    ...(credentials === undefined ? {} : { credentials }),
    maxAttempts: 1,
    requestHandler: {
      connectionTimeout: limits.connectTimeoutMs,
      requestTimeout: limits.connectTimeoutMs,
      // Without this the SDK only warns when requestTimeout passes and keeps waiting.
      throwOnRequestTimeout: true,
    },
  };
}
