import { describe, expect, test } from '@jest/globals';
import { mapError } from '../../lib/http/error-mapping.js';
import { CredentialsUnreadableError, DependencyUnavailableError, ValidationError } from '../../lib/errors.js';

/**
 * Which failures are the service's own (logged as errors) and what an unknown failure shows: the
 * one place errors become HTTP answers (lib/http/error-mapping.ts). Found by mutation testing
 * (docs/testing.md).
 */
describe('whose fault a failure is', () => {
  test.each([
    ['a validation error (400)', new ValidationError([{ field: 'provider', message: 'is required' }]), 400, false],
    ['stored credentials that do not decrypt (500)', new CredentialsUnreadableError(new Error('kms')), 500, true],
    ['a dependency outage (503)', new DependencyUnavailableError(new Error('throttled')), 503, true],
  ])('%s', (_, error, status, serverFault) => {
    const mapped = mapError(error, 'request-1');
    expect(mapped.statusCode).toBe(status);
    expect(mapped.serverFault).toBe(serverFault);
  });
});

describe('an unknown failure is a 500 that shows nothing of it, only the request id', () => {
  test.each([
    ['an Error', new TypeError('secret detail canary-mapping')],
    ['an Error with a cause', new Error('secret detail canary-mapping', { cause: new Error('inner') })],
    ['a thrown string', 'secret detail canary-mapping'],
    ['a thrown null', null],
  ])('%s', (_, error) => {
    expect(mapError(error, 'request-1')).toEqual({
      statusCode: 500,
      body: { error: 'Internal error. Quote request id request-1 when reporting it.', code: 'internal_error' },
      headers: {},
      serverFault: true,
    });
  });
});
