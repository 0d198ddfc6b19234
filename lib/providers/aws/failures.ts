import { classifyTransport, type Endpoint } from '../transport-failures.js';
import { ProbeFailure, seconds, type FailureCode, type ProbeLimits } from '../verdict.js';

/**
 * What every AWS call of a probe can fail with, read the same way for each service: the transport,
 * no answer, the service's own credentials refused, a busy service, and STS refusing to let the
 * service assume the customer's role. The SDK's message (which may quote ARNs and policies) is
 * never passed on, only matched by its code; each provider reads its own service's codes after.
 */
export interface AwsErrorFacts {
  /** The AWS error code (`AccessDeniedException`), or a Node errno for a socket error. */
  code: string;
  status: number | undefined;
}

interface AwsError {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

export function awsErrorFacts(error: unknown): AwsErrorFacts {
  const awsError = (typeof error === 'object' && error !== null ? error : {}) as AwsError;
  return { code: awsError.code ?? errnoInText(awsError.message) ?? awsError.name ?? '', status: awsError.$metadata?.httpStatusCode };
}

/** Whether an AWS answer is IAM's refusal. */
export function isAccessDenied({ code, status }: AwsErrorFacts): boolean {
  return code === 'AccessDenied' || code === 'AccessDeniedException' || status === 403;
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
const BUSY = new Set([
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ServiceUnavailable',
  'InternalServerException',
]);

export interface AwsCallContext {
  /** The customer's role: the call is STS AssumeRole of it, or a call made with its credentials. */
  roleArn: string;
  externalId: string;
  limits: ProbeLimits;
  endpoint: Endpoint;
}

/**
 * The failures any AWS call shares; undefined for an answer only its service can read. `call` says
 * whose credentials signed it: the service's own (`assume_role`) or the assumed role's.
 */
export function classifyCommonAwsFailure(
  error: unknown,
  call: 'assume_role' | 'as_role',
  context: AwsCallContext,
): ProbeFailure | undefined {
  if (error instanceof ProbeFailure) return error;
  const facts = awsErrorFacts(error);
  const { code, status } = facts;
  const { endpoint } = context;
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
        : `${endpoint.service} refused the credentials of the assumed role '${context.roleArn}'.`,
    );
  }
  if (BUSY.has(code) || status === 429 || (status !== undefined && status >= 500)) {
    return fail('warehouse_unavailable', `${endpoint.service} is busy or unavailable right now; test again in a moment.`);
  }
  if (call === 'assume_role' && isAccessDenied(facts)) {
    return fail(
      'permission_denied',
      `The service may not assume role '${context.roleArn}': check that the role exists, that its trust policy names the service's ` +
        "principal, and that the policy's sts:ExternalId condition holds your organization's external id.",
      `In the trust policy of ${context.roleArn}, allow sts:AssumeRole for the service's principal with the condition ` +
        `{"StringEquals": {"sts:ExternalId": "${context.externalId}"}}.`,
    );
  }
  return undefined;
}

/** The last word on an AWS error nobody read: the service refused, naming its error code when it is one. */
export function unclassifiedAwsFailure(error: unknown, endpoint: Endpoint): ProbeFailure {
  const { code } = awsErrorFacts(error);
  // An AWS error code is an identifier; anything else (a message, a stack) is not repeated.
  const named = /^[A-Za-z]{1,64}$/.test(code) ? ` (${code})` : '';
  return new ProbeFailure('warehouse_error', `${endpoint.service} refused the request${named}.`, { cause: error });
}

/**
 * The errno code in an error's text, for a socket error the SDK's retry layer wrapped: it keeps only
 * the text of an error that is not an `Error` of its own realm (as in a VM context). Only matched.
 */
function errnoInText(message: string | undefined): string | undefined {
  return /\b(E[A-Z]{4,}|ERR_[A-Z_]+)\b/.exec(message ?? '')?.[1];
}
