import { DependencyUnavailableError } from '../errors.js';

/**
 * Recognises failures of AWS calls that are worth retrying later (throttling, 5xx, network, timeouts),
 * as opposed to ones that a retry will not fix.
 */
const TRANSIENT_NAMES = new Set([
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'LimitExceededException',
  'TooManyRequestsException',
  'InternalServerError',
  'InternalFailure',
  'KMSInternalException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'TransactionConflictException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'AbortError',
]);

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

interface AwsLikeError {
  name?: unknown;
  code?: unknown;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: number };
}

export function isTransientAwsFailure(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const candidate = error as AwsLikeError;
  if (candidate.$retryable) return true;
  if (typeof candidate.name === 'string' && TRANSIENT_NAMES.has(candidate.name)) return true;
  if (typeof candidate.code === 'string' && NETWORK_CODES.has(candidate.code)) return true;
  // An SDK error without an HTTP status never got an answer: the network or a timeout failed.
  if (candidate.$metadata && candidate.$metadata.httpStatusCode === undefined) return true;
  const status = candidate.$metadata?.httpStatusCode;
  return typeof status === 'number' && (status >= 500 || status === 429);
}

/** Runs one AWS call; a failure a later retry may fix becomes a DependencyUnavailableError (a 503 with Retry-After). */
export async function callAws<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (isTransientAwsFailure(error)) throw new DependencyUnavailableError(error);
    throw error;
  }
}
