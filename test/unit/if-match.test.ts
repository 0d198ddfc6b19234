import { expect, test } from '@jest/globals';
import { ifMatchAdmits, parseIfMatch } from '../../lib/http/if-match.js';

test.each([
  [undefined, undefined],
  ['*', '*'],
  ['"3"', [3]],
  [' "3" , "5"', [3, 5]],
])('If-Match %j parses as %j', (header, parsed) => {
  expect(parseIfMatch(header)).toEqual(parsed);
});

test.each(['3', 'W/"3"', '"3', '"-1"', '"1.5"', '"3",', '"9999999999"', ''])('If-Match %j is a 400 naming the header', (header) => {
  expect(() => parseIfMatch(header)).toThrow(
    expect.objectContaining({ statusCode: 400, code: 'invalid_if_match', field: 'headers.if-match' }),
  );
});

test('a version is admitted by no header, by *, and by a list that names it', () => {
  expect([undefined, '*' as const, [2, 3], [4]].map((condition) => ifMatchAdmits(condition, 3))).toEqual([true, true, true, false]);
});
