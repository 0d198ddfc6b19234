import { expect, test } from '@jest/globals';
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { decodeCursor, encodeCursor } from '../../lib/connections/cursor.js';

const key = randomBytes(32);
const position = `2026-11-26T12:00:00.000Z/${randomUUID()}`;

test('a cursor decodes to its position, for its organization and key', () => {
  expect(decodeCursor(key, 'org-a', 'connections', encodeCursor(key, 'org-a', 'connections', position))).toEqual(position);
});

test.each([
  ['another organization (same key)', (cursor: string) => decodeCursor(key, 'org-b', 'connections', cursor)],
  ['another key', (cursor: string) => decodeCursor(randomBytes(32), 'org-a', 'connections', cursor)],
  ['no key (an organization that never wrote)', (cursor: string) => decodeCursor(undefined, 'org-a', 'connections', cursor)],
  [
    'one character changed in the position',
    (cursor: string) => decodeCursor(key, 'org-a', 'connections', `${cursor[0] === 'e' ? 'f' : 'e'}${cursor.slice(1)}`),
  ],
  [
    'one character changed in the MAC',
    (cursor: string) => {
      // A character from the middle of the MAC: the last one may carry only padding bits.
      const at = cursor.length - 10;
      return decodeCursor(key, 'org-a', 'connections', `${cursor.slice(0, at)}${cursor[at] === 'A' ? 'B' : 'A'}${cursor.slice(at + 1)}`);
    },
  ],
  ['the MAC left out', (cursor: string) => decodeCursor(key, 'org-a', 'connections', cursor.split('.')[0]!)],
  ['a third part', (cursor: string) => decodeCursor(key, 'org-a', 'connections', `${cursor}.x`)],
  ['another list (an audit cursor)', (cursor: string) => decodeCursor(key, 'org-a', 'audit', cursor)],
  ['too long', (cursor: string) => decodeCursor(key, 'org-a', 'connections', cursor.padEnd(600, 'A'))],
])('refused with 400 invalid_cursor: %s', (_, decode) => {
  expect(() => decode(encodeCursor(key, 'org-a', 'connections', position))).toThrow(
    expect.objectContaining({ statusCode: 400, code: 'invalid_cursor', field: 'query.cursor' }),
  );
});

test('a validly signed cursor of another shape is refused (the MAC is not all that is checked)', () => {
  const body = Buffer.from(JSON.stringify({ f: 2, o: 'org-a', k: 'connections', p: 'x', extra: true }));
  const mac = createHmac('sha256', key).update('warehouse-connections list cursor\u0000').update(body).digest();
  expect(() => decodeCursor(key, 'org-a', 'connections', `${body.toString('base64url')}.${mac.toString('base64url')}`)).toThrow(
    expect.objectContaining({ code: 'invalid_cursor' }),
  );
});
