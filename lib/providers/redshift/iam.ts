import { GetClusterCredentialsCommand, RedshiftClient } from '@aws-sdk/client-redshift';
import { GetCredentialsCommand, RedshiftServerlessClient } from '@aws-sdk/client-redshift-serverless';
import {
  assumeCustomerRole,
  awsEndpoint,
  boundedCall,
  clientConfig,
  DURATION_SECONDS,
  externalIdOf,
  type AwsEndpoint,
  type RoleCredentials,
} from '../aws/role-session.js';
import type { Endpoint } from '../transport-failures.js';
import { ProbeFailure, type ProbeLimits, type StageClock } from '../verdict.js';
import {
  classifyAwsFailure,
  iamTargetOf,
  type AwsCall,
  type AwsFailureContext,
  type IamTarget,
  type RedshiftDefinition,
} from './failures.js';

/**
 * IAM auth, loaded only for connections that use it (the AWS clients stay out of a password test):
 * the service assumes the customer's role with STS, presenting the organization's external id
 * (lib/providers/aws/role-session.ts), then asks Redshift (GetClusterCredentials) or Redshift
 * Serverless (GetCredentials) for a temporary database password with the role's credentials. Each
 * call is one attempt, bounded by the connect timeout and the test's deadline; every client is
 * closed after its call.
 */

/** A database login the temporary credentials allow, and who a missing grant should go to. */
export interface TemporaryLogin {
  user: string;
  password: string;
  /** The user as the database names it (provisioned: db_user; Serverless: the IAMR: user). */
  grantee: string;
}

export async function temporaryLogin(
  definition: RedshiftDefinition,
  limits: ProbeLimits,
  signal: AbortSignal,
  stages: StageClock,
): Promise<TemporaryLogin> {
  const target = iamTargetOf(definition.credentials);
  const externalId = externalIdOf(limits);
  const database = definition.credentials.database;
  const context = (endpoint: Endpoint): AwsFailureContext => ({ target, database, externalId, limits, endpoint });

  stages.begin('assume_role');
  const role = await assumeCustomerRole(
    { roleArn: target.roleArn, region: target.region, actions: sessionActions(target) },
    limits,
    signal,
  );

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
  try {
    return await boundedCall(work(), context.endpoint, context.limits, signal);
  } catch (error) {
    throw classifyAwsFailure(error, call, context);
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

/** The one call the session makes after AssumeRole. */
function sessionActions(target: IamTarget): string[] {
  return target.kind === 'serverless'
    ? ['redshift-serverless:GetCredentials']
    : ['redshift:GetClusterCredentials', ...(target.autoCreate ? ['redshift:CreateClusterUser'] : [])];
}
