import { describe, expect, test } from '@jest/globals';
import * as v from 'valibot';
import { connectionName } from '../../lib/schema/connection-name.js';
import { MAX_LISTED_ISSUES, toFieldIssues } from '../../lib/schema/issues.js';
import { checkCases, issuesOf, MINIMAL, refused, withFields } from './schema-cases.js';

/**
 * lib/schema/issues.ts turns valibot issues into {field, message}: field names only when they look
 * like field names, messages from what was expected (never the value sent), each issue once, at
 * most MAX_LISTED_ISSUES. And the connection name's schema (lib/schema/connection-name.ts).
 */
function fieldIssuesOf(schema: v.GenericSchema, value: unknown) {
  const result = v.safeParse(schema, value);
  return result.success ? [] : toFieldIssues(result.issues);
}

const HIDDEN_UNKNOWN = 'has a field that is not known (its name is not shown)';
const pg = MINIMAL.postgres;

describe('a field name is echoed only when it looks like one: /^[a-z][a-z0-9_]{0,39}$/', () => {
  const shown = (rule: string, name: string) => refused(`${rule} (shown)`, withFields(pg, { [name]: 1 }), name, 'is not a known field');
  const hidden = (rule: string, name: string) => refused(`${rule} (hidden)`, withFields(pg, { [name]: 1 }), 'body', HIDDEN_UNKNOWN);
  checkCases([
    shown('one letter', 'a'),
    shown('40 characters', `a${'b'.repeat(39)}`),
    shown('letters, digits and underscores', 'ssl_root_cert2'),
    hidden('41 characters', `a${'b'.repeat(40)}`),
    hidden('an upper-case first letter', 'Region'),
    hidden('an upper-case letter after the first', 'sslRootCert'),
    hidden('a leading digit', '1region'),
    hidden('a leading underscore', '_region'),
    hidden('junk before a plain name', '-region'),
    hidden('junk after a plain name', 'region-'),
    hidden('a space', 'leak canary'),
    hidden('the empty name', ''),
    refused(
      'a hidden name in credentials names the credentials',
      withFields(pg, { 'credentials.LEAK_CANARY': 1 }),
      'credentials',
      HIDDEN_UNKNOWN,
    ),
    refused(
      'a BigQuery key-file field with a hidden name and a wrong type',
      withFields(MINIMAL.bigquery, { 'credentials.LEAK_CANARY': 1 }),
      'credentials',
      'has a field (its name is not shown) that must be a string',
    ),
  ]);

  test('a hidden name is missing: "that is required", at the object that holds it', () => {
    expect(fieldIssuesOf(v.object({ Secret: v.string() }), {})).toEqual([
      { field: 'body', message: 'has a field (its name is not shown) that is required' },
    ]);
  });

  test('a hidden name two objects deep is reported at the dotted path of the objects that hold it', () => {
    const schema = v.object({ outer: v.object({ inner: v.strictObject({}) }) });
    expect(fieldIssuesOf(schema, { outer: { inner: { Secret: 1 } } })).toEqual([
      { field: 'outer.inner', message: 'has a field that is not known (its name is not shown)' },
    ]);
  });

  test('a hidden name with its own message keeps the message', () => {
    const schema = v.object({ outer: v.object({ Key: v.pipe(v.string(), v.minLength(1, 'must not be empty')) }) });
    expect(fieldIssuesOf(schema, { outer: { Key: '' } })).toEqual([
      { field: 'outer', message: 'has a field (its name is not shown) that must not be empty' },
    ]);
  });

  test('an array index is not a name: the issue names the array', () => {
    expect(fieldIssuesOf(v.object({ list: v.array(v.string()) }), { list: ['a', 1] })).toEqual([
      { field: 'list', message: 'has a field (its name is not shown) that must be a string' },
    ]);
  });

  test('a nested plain path is dotted; an issue at the root is the body', () => {
    expect(fieldIssuesOf(v.object({ outer: v.object({ inner: v.string() }) }), { outer: { inner: 1 } })).toEqual([
      { field: 'outer.inner', message: 'must be a string' },
    ]);
    expect(fieldIssuesOf(v.object({}), 5)).toEqual([{ field: 'body', message: 'must be a JSON object' }]);
  });
});

describe("messages say what was expected, never the value (valibot's defaults quote it)", () => {
  test.each<[string, v.GenericSchema, Record<string, unknown>, string]>([
    ['a string', v.object({ f: v.string() }), { f: 1 }, 'must be a string'],
    ['a number', v.object({ f: v.number() }), { f: 'canary-1' }, 'must be a number'],
    ['an object', v.object({ f: v.object({}) }), { f: 'canary-1' }, 'must be a JSON object'],
    [
      'a check without a message',
      v.object({
        f: v.pipe(
          v.string(),
          v.check(() => false),
        ),
      }),
      { f: 'canary-1' },
      'must be valid',
    ],
    ['a literal', v.object({ f: v.literal('x') }), { f: 'canary-1' }, 'must be "x"'],
    ['a picklist', v.object({ f: v.picklist(['a', 'b']) }), { f: 'canary-1' }, 'must be ("a" | "b")'],
    ['never (a type issue, not an unknown field)', v.object({ f: v.never() }), { f: 'canary-1' }, 'must be never'],
    ['a missing field', v.object({ f: v.string() }), { f: undefined }, 'is required'],
    ['a message of its own', v.object({ f: v.pipe(v.string(), v.regex(/^a$/, 'must be a')) }), { f: 'canary-1' }, 'must be a'],
    [
      'provider, missing',
      v.object({ provider: v.string() }),
      { provider: undefined },
      expect.stringMatching(/^is required: one of 'postgres', /) as never,
    ],
    [
      'provider, wrong',
      v.object({ provider: v.number() }),
      { provider: 'canary' },
      expect.stringMatching(/^must be one of 'postgres', /) as never,
    ],
  ])('%s', (_, schema, value, message) => {
    const issues = fieldIssuesOf(schema, value);
    expect(issues).toEqual([{ field: Object.keys(value)[0], message }]);
    expect(JSON.stringify(issues)).not.toMatch(/canary/);
  });

  test('a strict object\'s unknown key is "not a known field"; its type issue is not', () => {
    const schema = v.strictObject({ a: v.string() });
    expect(fieldIssuesOf(schema, { a: 'x', b: 1 })).toEqual([{ field: 'b', message: 'is not a known field' }]);
    expect(fieldIssuesOf(v.object({ o: schema }), { o: 'x' })).toEqual([{ field: 'o', message: 'must be a JSON object' }]);
  });
});

describe('each issue once, at most MAX_LISTED_ISSUES', () => {
  // A strict object stops at its first unknown key; a BigQuery key file checks each of its other fields.
  const keyFileFields = (count: number, prefix = 'field_') =>
    Object.fromEntries(Array.from({ length: count }, (_, i) => [`credentials.${prefix}${i}`, i]));
  const listed = (count: number) =>
    Array.from({ length: count }, (_, i) => ({ field: `credentials.field_${i}`, message: 'must be a string' }));
  const bq = MINIMAL.bigquery;

  test('MAX_LISTED_ISSUES is 20', () => {
    expect(MAX_LISTED_ISSUES).toBe(20);
  });

  test('20 issues are all listed, with no summary', async () => {
    expect(await issuesOf(withFields(bq, keyFileFields(20)))).toEqual(listed(20));
  });

  test('21 issues: the first 20 and "has 1 more problem" (singular)', async () => {
    expect(await issuesOf(withFields(bq, keyFileFields(21)))).toEqual([
      ...listed(20),
      { field: 'body', message: 'has 1 more problem, not listed' },
    ]);
  });

  test('issues counted after identical ones are merged: 21 names and 5 hidden ones are 22 issues, 2 not listed', async () => {
    expect(await issuesOf(withFields(bq, { ...keyFileFields(21), ...keyFileFields(5, 'Hidden') }))).toEqual([
      ...listed(20),
      { field: 'body', message: 'has 2 more problems, not listed' },
    ]);
  });

  test('thousands of fields with hidden names are one issue', async () => {
    expect(await issuesOf(withFields(bq, keyFileFields(3_000, 'X')))).toEqual([
      { field: 'credentials', message: 'has a field (its name is not shown) that must be a string' },
    ]);
  });

  test('identical issues once; the same field with two messages, or two fields with one message, twice', () => {
    const issue = (key: string, message: string) =>
      ({ kind: 'validation', type: 'check', input: 'x', expected: null, received: '"x"', message, path: [{ key }] }) as never;
    expect(toFieldIssues([issue('a', 'must be b'), issue('a', 'must be b')])).toEqual([{ field: 'a', message: 'must be b' }]);
    expect(toFieldIssues([issue('a', 'must be b'), issue('a', 'must be c')])).toEqual([
      { field: 'a', message: 'must be b' },
      { field: 'a', message: 'must be c' },
    ]);
    expect(toFieldIssues([issue('a', 'must be b'), issue('c', 'must be b')])).toEqual([
      { field: 'a', message: 'must be b' },
      { field: 'c', message: 'must be b' },
    ]);
  });
});

describe('a connection name (connection-name.ts), as POST /connections/named reads it', () => {
  const named = v.looseObject({ name: connectionName });
  test.each<[string, unknown, string | undefined]>([
    ['one character', 'a', undefined],
    ['100 characters', 'n'.repeat(100), undefined],
    ['inner spaces, ~ and letters beyond ASCII', 'Sales warehouse ~ é', undefined],
    ['a no-break space inside (the first character after the C1 controls)', 'a\u00a0b', undefined],
    ['101 characters', 'n'.repeat(101), 'must be at most 100 characters'],
    ['empty', '', 'must not be empty'],
    ['a number', 42, 'must be a string'],
    ['missing', undefined, 'is required'],
    ['a NUL', 'a\u0000b', 'must not contain control characters'],
    ['U+001F', 'a\u001fb', 'must not contain control characters'],
    ['DEL', 'a\u007fb', 'must not contain control characters'],
    ['U+0080, the first C1 control', 'a\u0080b', 'must not contain control characters'],
    ['U+009F, the last C1 control', 'a\u009fb', 'must not contain control characters'],
    ['a leading space', ' sales', 'must not start or end with spaces'],
    ['a trailing space', 'sales ', 'must not start or end with spaces'],
    ['a trailing no-break space', 'sales\u00a0', 'must not start or end with spaces'],
  ])('%s', (_, name, message) => {
    const body = name === undefined ? {} : { name };
    expect(fieldIssuesOf(named, body)).toEqual(message === undefined ? [] : [{ field: 'name', message }]);
  });
});
