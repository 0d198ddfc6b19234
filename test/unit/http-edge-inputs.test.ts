import { describe, expect, test } from '@jest/globals';
import { httpEndpoint } from '../../lib/http/endpoint.js';
import { mapError } from '../../lib/http/error-mapping.js';
import { subjectOf } from '../../lib/http/identity.js';
import { parseIfMatch } from '../../lib/http/if-match.js';
import { connectionIdOf } from '../../lib/http/path-parameters.js';
import { BadRequestError, ConnectionNotFoundError } from '../../lib/errors.js';
import type { HttpApiEvent } from '../../lib/http/types.js';

/**
 * The edges of what lib/http reads from a request: the If-Match header, the path's connection id,
 * the token's subject, an event that is not one, and the shape of an error body. Found by mutation
 * testing (docs/testing.md): each test fails on a planted bug that every other test let through.
 */
const ID = '0b8f6c1e-8f0e-4c52-9a59-3c1b2d0e7f11';

describe('If-Match is read exactly', () => {
  test('whitespace around the header does not change what it admits', () => {
    expect(parseIfMatch(' * ')).toBe('*');
    expect(parseIfMatch('\t"3"  ')).toEqual([3]);
  });

  test('a version of several digits is one version', () => {
    expect(parseIfMatch('"12", "123456789"')).toEqual([12, 123_456_789]);
  });

  test.each(['"3"x', '"3""4"', '"3" junk'])('text after the entity tag %j is refused, not ignored', (header) => {
    expect(() => parseIfMatch(header)).toThrow(expect.objectContaining({ statusCode: 400, code: 'invalid_if_match' }));
  });
});

describe('the connection id in the path is a UUID and nothing more', () => {
  test.each([`x${ID}`, `${ID}x`, `../${ID}`, `${ID}/test`])('%j is a 400 naming path.connection_id', (value) => {
    expect(() => connectionIdOf({ pathParameters: { connection_id: value } })).toThrow(
      expect.objectContaining({ statusCode: 400, code: 'invalid_connection_id', field: 'path.connection_id' }),
    );
  });

  test('an upper-case UUID is the same connection, in lower case', () => {
    expect(connectionIdOf({ pathParameters: { connection_id: ID.toUpperCase() } })).toBe(ID);
  });
});

describe("the token's subject, as audit events record it", () => {
  const withSubject = (sub: string | undefined) =>
    ({
      requestContext: { requestId: 'r', authorizer: { jwt: { claims: sub === undefined ? { org_id: 'acme' } : { org_id: 'acme', sub } } } },
    }) as unknown as HttpApiEvent;

  test('no sub or an empty sub is no subject (null), never an empty name', () => {
    expect(subjectOf(withSubject(undefined))).toBeNull();
    expect(subjectOf(withSubject(''))).toBeNull();
  });

  test('a subject is kept as sent, cut to 256 characters', () => {
    expect(subjectOf(withSubject('user-1'))).toBe('user-1');
    expect(subjectOf(withSubject('s'.repeat(300)))).toBe('s'.repeat(256));
  });
});

describe('an invocation without any event is refused like any other non-event', () => {
  test('an undefined event is a 400 invalid_event, not a crash', async () => {
    const handler = httpEndpoint({ functionName: 'unit-endpoint', body: 'none' }, { orgClaim: 'org_id' }, async () => ({
      statusCode: 200,
      body: {},
    }));
    const result = (await handler(undefined as never, {} as never)) as { statusCode: number; body: string };
    expect(result.statusCode).toBe(400);
    expect(JSON.parse(result.body)).toMatchObject({ code: 'invalid_event', field: 'event', meta: { request_id: 'unknown' } });
  });
});

describe('error bodies carry only what the error has', () => {
  test('an error without a field or details has neither key (not even undefined)', () => {
    const { body } = mapError(new ConnectionNotFoundError(), 'request-1');
    expect(Object.keys(body).sort()).toEqual(['code', 'error']);
  });

  test('an error with a field names it and has no details key', () => {
    const { body } = mapError(new BadRequestError('invalid_if_match', 'headers.if-match: bad', 'headers.if-match'), 'request-1');
    expect(body).toStrictEqual({ error: 'headers.if-match: bad', code: 'invalid_if_match', field: 'headers.if-match' });
  });

  test('a thrown undefined is an internal error, not a crash of the mapping', () => {
    expect(mapError(undefined, 'request-1')).toMatchObject({ statusCode: 500, body: { code: 'internal_error' }, serverFault: true });
  });
});
