import { createHmac, timingSafeEqual } from 'node:crypto';
import * as v from 'valibot';
import { BadRequestError } from '../errors.js';

/** Where a page of the list ends: the last connection shown, in the list's order. */
export interface ListPosition {
  createdAt: string;
  id: string;
}

const CURSOR_FORMAT = 1;
const MAX_CURSOR_LENGTH = 512;
const payload = v.strictObject({
  f: v.literal(CURSOR_FORMAT),
  o: v.string(),
  c: v.pipe(v.string(), v.maxLength(40)),
  i: v.pipe(v.string(), v.uuid()),
});

/**
 * A list cursor: the position as JSON, then an HMAC-SHA-256 of it under the organization's own
 * cursor key (a random key in its state item, lib/store/organization-state.ts). Opaque to callers
 * and tamper-evident: changed by one bit, or presented by another organization (another key, and
 * another organization id inside), it is refused.
 */
export function encodeCursor(key: Uint8Array, organizationId: string, position: ListPosition): string {
  const body = Buffer.from(JSON.stringify({ f: CURSOR_FORMAT, o: organizationId, c: position.createdAt, i: position.id }), 'utf8');
  return `${body.toString('base64url')}.${mac(key, body).toString('base64url')}`;
}

export function decodeCursor(key: Uint8Array | undefined, organizationId: string, cursor: string): ListPosition {
  const invalid = () =>
    new BadRequestError('invalid_cursor', 'query.cursor: is not a cursor this list gave out: start again without it', 'query.cursor');
  const [body, signature, extra] = cursor.length > MAX_CURSOR_LENGTH ? [] : cursor.split('.');
  if (key === undefined || body === undefined || signature === undefined || extra !== undefined) throw invalid();
  const bytes = Buffer.from(body, 'base64url');
  const expected = mac(key, bytes);
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid();
  let parsed: v.InferOutput<typeof payload>;
  try {
    parsed = v.parse(payload, JSON.parse(bytes.toString('utf8')));
  } catch {
    throw invalid();
  }
  if (parsed.o !== organizationId) throw invalid();
  return { createdAt: parsed.c, id: parsed.i };
}

function mac(key: Uint8Array, body: Buffer): Buffer {
  return createHmac('sha256', key).update('warehouse-connections list cursor\u0000').update(body).digest();
}
