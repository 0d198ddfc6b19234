import type { ProviderDefinition } from '../../schema/connection.js';
import { awsErrorFacts, classifyCommonAwsFailure, isAccessDenied, unclassifiedAwsFailure } from '../aws/failures.js';
import { accountOf, partitionOf } from '../aws/fields.js';
import type { OwnCodes } from '../pg-wire/failures.js';
import type { Endpoint } from '../transport-failures.js';
import { ProbeFailure, type FailureCode, type ProbeLimits } from '../verdict.js';

export type RedshiftDefinition = ProviderDefinition<'redshift'>;

/** Where IAM auth gets its credentials: a provisioned cluster (GetClusterCredentials) or a Serverless workgroup (GetCredentials). */
export type IamTarget =
  | { kind: 'provisioned'; roleArn: string; region: string; cluster: string; dbUser: string; autoCreate: boolean }
  | { kind: 'serverless'; roleArn: string; region: string; workgroup: string };

/** The IAM fields of a stored definition (the schema requires them together, so a gap is a broken definition). */
export function iamTargetOf(credentials: RedshiftDefinition['credentials']): IamTarget {
  const { role_arn: roleArn, region, cluster_identifier: cluster, db_user: dbUser, workgroup_name: workgroup } = credentials;
  if (roleArn === undefined || region === undefined) throw new Error('an IAM connection without role_arn or region');
  if (cluster !== undefined && dbUser !== undefined) {
    return { kind: 'provisioned', roleArn, region, cluster, dbUser, autoCreate: credentials.auto_create ?? false };
  }
  if (workgroup !== undefined) return { kind: 'serverless', roleArn, region, workgroup };
  throw new Error('an IAM connection without cluster_identifier and db_user, or workgroup_name');
}

/**
 * Redshift's reading of the login codes. Redshift answers a wrong password with 28000 (PostgreSQL
 * uses 28P01); with IAM auth, the password was just issued, so a refusal means the database user
 * does not exist (auto_create off) or may not log in.
 */
export function redshiftCodes(definition: RedshiftDefinition): OwnCodes {
  return (code, context, cause) => {
    if (code !== '28000' && code !== '28P01') return undefined;
    const { credentials } = definition;
    if (credentials.auth_method === 'password') {
      return new ProbeFailure('auth_failed', `Authentication failed for user '${context.username}'. Check the username and password.`, {
        cause,
      });
    }
    const target = iamTargetOf(credentials);
    const message =
      target.kind === 'provisioned'
        ? `Redshift refused the temporary credentials for database user '${target.dbUser}': check that the user exists in database '${credentials.database}' (or set auto_create) and may log in.`
        : `Redshift Serverless refused the temporary credentials for '${context.username}' in database '${credentials.database}'.`;
    return new ProbeFailure('auth_failed', message, { cause });
  };
}

/** The AWS calls of IAM auth. */
export type AwsCall = 'assume_role' | 'cluster_credentials' | 'serverless_credentials';

export interface AwsFailureContext {
  target: IamTarget;
  database: string;
  externalId: string;
  limits: ProbeLimits;
  endpoint: Endpoint;
}

/**
 * Maps an AWS SDK error of one IAM step to a failure code and a message the service writes: the
 * SDK's message (which may quote ARNs and policies) is never passed on, only matched by its code.
 */
export function classifyAwsFailure(error: unknown, call: AwsCall, context: AwsFailureContext): ProbeFailure {
  const { target, endpoint } = context;
  const common = classifyCommonAwsFailure(error, call === 'assume_role' ? 'assume_role' : 'as_role', {
    ...context,
    roleArn: target.roleArn,
  });
  if (common) return common;
  const facts = awsErrorFacts(error);
  const { code, status } = facts;
  const fail = (failure: FailureCode, message: string, hint?: string) =>
    new ProbeFailure(failure, message, { cause: error, ...(hint === undefined ? {} : { hint }) });
  const denied = isAccessDenied(facts);
  if (target.kind === 'provisioned' && call === 'cluster_credentials') {
    if (denied) {
      return fail(
        'permission_denied',
        `Role '${target.roleArn}' may not get database credentials for user '${target.dbUser}' on cluster '${target.cluster}' (redshift:GetClusterCredentials).`,
        clusterCredentialsHint(target, context.database),
      );
    }
    if (code === 'ClusterNotFound' || code === 'ClusterNotFoundFault' || status === 404) {
      return fail(
        'object_not_found',
        `Cluster '${target.cluster}' was not found in ${target.region} (in the account of role '${target.roleArn}').`,
      );
    }
    if (code === 'InvalidClusterState' || code === 'InvalidClusterStateFault') {
      return fail(
        'warehouse_unavailable',
        `Cluster '${target.cluster}' is paused or still starting (resuming), so it does not accept connections yet: ` +
          'resume it, or test again in a few minutes once it is available.',
      );
    }
  }
  if (target.kind === 'serverless' && call === 'serverless_credentials') {
    if (denied) {
      return fail(
        'permission_denied',
        `Role '${target.roleArn}' may not get database credentials for workgroup '${target.workgroup}' (redshift-serverless:GetCredentials).`,
        `Allow redshift-serverless:GetCredentials on workgroup '${target.workgroup}' ` +
          `(arn:${partitionOf(target.region)}:redshift-serverless:${target.region}:${accountOf(target.roleArn)}:workgroup/<workgroup id>) ` +
          `in a policy of role ${target.roleArn}.`,
      );
    }
    if (code === 'ResourceNotFoundException' || status === 404) {
      return fail(
        'object_not_found',
        `Workgroup '${target.workgroup}' was not found in ${target.region} (in the account of role '${target.roleArn}').`,
      );
    }
  }
  return unclassifiedAwsFailure(error, endpoint);
}

function clusterCredentialsHint(target: Extract<IamTarget, { kind: 'provisioned' }>, database: string): string {
  const arn = `arn:${partitionOf(target.region)}:redshift:${target.region}:${accountOf(target.roleArn)}`;
  const actions = target.autoCreate ? 'redshift:GetClusterCredentials and redshift:CreateClusterUser' : 'redshift:GetClusterCredentials';
  return (
    `Allow ${actions} on ${arn}:dbuser:${target.cluster}/${target.dbUser} and ${arn}:dbname:${target.cluster}/${database} ` +
    `in a policy of role ${target.roleArn}.`
  );
}
