import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { bounded } from '../bounded.js';
import type { Endpoint } from '../transport-failures.js';
import { ProbeFailure, seconds, type ProbeLimits } from '../verdict.js';
import { classifyCommonAwsFailure, unclassifiedAwsFailure, type AwsCallContext } from './failures.js';
import { partitionOf } from './fields.js';

/**
 * The service in a customer's AWS account (Redshift with IAM, Athena): STS AssumeRole on the
 * customer's role, presenting the organization's external id, with a session policy that allows
 * only the calls the probe then makes. Each AWS call is one attempt, bounded by the connect timeout
 * and the test's deadline; every client is closed after its calls. Loaded only by the probes that
 * use it, so the AWS clients stay out of every other test.
 */

/** The shortest lifetime AWS allows (15 minutes): a test needs seconds. */
export const DURATION_SECONDS = 900;
/** Names the service's sessions in the customer's CloudTrail. */
export const ROLE_SESSION_NAME = 'warehouse-connections-test';

export interface RoleCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
}

export type AwsEndpoint = Endpoint & { url: string | undefined };

/** The external id of the caller's organization: set by the test use case; a probe without one must not call AWS. */
export function externalIdOf(limits: ProbeLimits): string {
  if (limits.externalId === undefined) throw new Error('assuming a customer role needs the external id of the organization');
  return limits.externalId;
}

/** AWS's regional endpoint of a service, or the override the tests set (limits.awsEndpoints). */
export function awsEndpoint(prefix: string, service: string, region: string, override: string | undefined): AwsEndpoint {
  if (override !== undefined) {
    const url = new URL(override);
    return { service, host: url.hostname, where: url.host, url: override };
  }
  const host = `${prefix}.${region}.amazonaws.com${partitionOf(region) === 'aws-cn' ? '.cn' : ''}`;
  return { service, host, where: `${host}:443`, url: undefined };
}

/** One attempt per call, bounded by the connect timeout: the SDK's own retries would outlast the test. */
export function clientConfig(region: string, endpoint: AwsEndpoint, limits: ProbeLimits, credentials: ProbeLimits['awsCredentials']) {
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

/** One AWS call: at most the connect timeout, never past the deadline. */
export function boundedCall<T>(work: Promise<T>, endpoint: Endpoint, limits: ProbeLimits, signal: AbortSignal): Promise<T> {
  return bounded(work, {
    ms: limits.connectTimeoutMs,
    signal,
    onTimeout: () =>
      new ProbeFailure('timeout', `No answer from ${endpoint.where} (${endpoint.service}) within ${seconds(limits.connectTimeoutMs)}.`),
  });
}

/** A session policy: whatever else the role may do, this session can only make `actions`. */
export function sessionPolicy(actions: readonly string[]): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }] });
}

export interface AssumeRoleRequest {
  roleArn: string;
  region: string;
  /** What the session may do (its session policy). */
  actions: readonly string[];
}

/** STS AssumeRole with the organization's external id, classified; the role's temporary credentials. */
export async function assumeCustomerRole(request: AssumeRoleRequest, limits: ProbeLimits, signal: AbortSignal): Promise<RoleCredentials> {
  const externalId = externalIdOf(limits);
  const endpoint = awsEndpoint('sts', 'AWS STS', request.region, limits.awsEndpoints?.sts);
  const context: AwsCallContext = { roleArn: request.roleArn, externalId, limits, endpoint };
  const client = new STSClient(clientConfig(request.region, endpoint, limits, limits.awsCredentials));
  try {
    const { Credentials: credentials } = await boundedCall(
      client.send(
        new AssumeRoleCommand({
          RoleArn: request.roleArn,
          RoleSessionName: ROLE_SESSION_NAME,
          ExternalId: externalId,
          DurationSeconds: DURATION_SECONDS,
          Policy: sessionPolicy(request.actions),
        }),
        { abortSignal: signal },
      ),
      endpoint,
      limits,
      signal,
    );
    if (!credentials?.AccessKeyId || !credentials.SecretAccessKey || !credentials.SessionToken) {
      throw new ProbeFailure('warehouse_error', `AWS STS returned no credentials for role '${request.roleArn}'.`);
    }
    return { accessKeyId: credentials.AccessKeyId, secretAccessKey: credentials.SecretAccessKey, sessionToken: credentials.SessionToken };
  } catch (error) {
    throw classifyCommonAwsFailure(error, 'assume_role', context) ?? unclassifiedAwsFailure(error, endpoint);
  } finally {
    client.destroy();
  }
}
