import type { ProviderDefinition } from '../../schema/connection.js';
import type { OwnCodes } from '../pg-wire/failures.js';
import { classifyTransport, type Endpoint } from '../transport-failures.js';
import { ProbeFailure, seconds, type FailureCode, type ProbeLimits } from '../verdict.js';
import { partitionOf } from './schema.js';

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

interface AwsError {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

const SERVICE_CREDENTIALS_REFUSED = new Set([
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'ExpiredTokenException',
  'UnrecognizedClientException',
  'IncompleteSignature',
  'MissingAuthenticationToken',
  'InvalidSignatureException',
  'CredentialsProviderError',
]);
const BUSY = new Set(['Throttling', 'ThrottlingException', 'RequestLimitExceeded', 'ServiceUnavailable', 'InternalServerException']);

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
  if (error instanceof ProbeFailure) return error;
  const awsError = (typeof error === 'object' && error !== null ? error : {}) as AwsError;
  const code = awsError.code ?? errnoInText(awsError.message) ?? awsError.name ?? '';
  const status = awsError.$metadata?.httpStatusCode;
  const { target, endpoint } = context;
  const fail = (failure: FailureCode, message: string, hint?: string) =>
    new ProbeFailure(failure, message, { cause: error, ...(hint === undefined ? {} : { hint }) });

  const transport = classifyTransport(code, endpoint, context.limits.connectTimeoutMs, error);
  if (transport) return transport;
  if (code === 'TimeoutError' || code === 'RequestTimeout') {
    return fail('timeout', `No answer from ${endpoint.where} (${endpoint.service}) within ${seconds(context.limits.connectTimeoutMs)}.`);
  }
  if (SERVICE_CREDENTIALS_REFUSED.has(code)) {
    return fail(
      'warehouse_error',
      call === 'assume_role'
        ? `${endpoint.service} refused the service's own AWS credentials: the operator must check the test function's role.`
        : `${endpoint.service} refused the credentials of the assumed role '${target.roleArn}'.`,
    );
  }
  if (BUSY.has(code) || status === 429 || (status !== undefined && status >= 500)) {
    return fail('warehouse_unavailable', `${endpoint.service} is busy or unavailable right now; test again in a moment.`);
  }
  const denied = code === 'AccessDenied' || code === 'AccessDeniedException' || status === 403;
  if (call === 'assume_role' && denied) {
    return fail(
      'permission_denied',
      `The service may not assume role '${target.roleArn}': check that the role exists, that its trust policy names the service's ` +
        "principal, and that the policy's sts:ExternalId condition holds your organization's external id.",
      `In the trust policy of ${target.roleArn}, allow sts:AssumeRole for the service's principal with the condition ` +
        `{"StringEquals": {"sts:ExternalId": "${context.externalId}"}}.`,
    );
  }
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
  // An AWS error code is an identifier; anything else (a message, a stack) is not repeated.
  const named = /^[A-Za-z]{1,64}$/.test(code) ? ` (${code})` : '';
  return fail('warehouse_error', `${endpoint.service} refused the request${named}.`);
}

/**
 * The errno code in an error's text, for a socket error the SDK's retry layer wrapped: it keeps only
 * the text of an error that is not an `Error` of its own realm (as in a VM context). Only matched.
 */
function errnoInText(message: string | undefined): string | undefined {
  return /\b(E[A-Z]{4,}|ERR_[A-Z_]+)\b/.exec(message ?? '')?.[1];
}

function clusterCredentialsHint(target: Extract<IamTarget, { kind: 'provisioned' }>, database: string): string {
  const arn = `arn:${partitionOf(target.region)}:redshift:${target.region}:${accountOf(target.roleArn)}`;
  const actions = target.autoCreate ? 'redshift:GetClusterCredentials and redshift:CreateClusterUser' : 'redshift:GetClusterCredentials';
  return (
    `Allow ${actions} on ${arn}:dbuser:${target.cluster}/${target.dbUser} and ${arn}:dbname:${target.cluster}/${database} ` +
    `in a policy of role ${target.roleArn}.`
  );
}

/** The account id of a role ARN (the schema checked its form). */
function accountOf(roleArn: string): string {
  return roleArn.split(':')[4] ?? '';
}
