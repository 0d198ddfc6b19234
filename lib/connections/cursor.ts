import { createHmac, timingSafeEqual } from 'node:crypto';
import * as v from 'valibot';
import { BadRequestError } from '../errors.js';

/** Which list a cursor belongs to: a connections cursor is no audit cursor. */
export type CursorKind = 'connections' | 'audit';

const CURSOR_FORMAT = 2;
const MAX_CURSOR_LENGTH = 512;
const payload = v.strictObject({
  f: v.literal(CURSOR_FORMAT),
  o: v.string(),
  k: v.picklist(['connections', 'audit']),
  p: v.pipe(v.string(), v.maxLength(200)),
});

/**
 * A list cursor: the position where a page ended (as the list writes it) in JSON with the
 * organization and the list's kind, then an HMAC-SHA-256 of it under the organization's own cursor
 * key (a random key in its state item, lib/store/organization-state.ts). Opaque to callers and
 * tamper-evident: changed by one bit, presented by another organization (another key, another
 * organization id inside) or to another list, it is refused.
 */
export function encodeCursor(key: Uint8Array, organizationId: string, kind: CursorKind, position: string): string {
  const body = Buffer.from(JSON.stringify({ f: CURSOR_FORMAT, o: organizationId, k: kind, p: position }), 'utf8');
  return `${body.toString('base64url')}.${mac(key, body).toString('base64url')}`;
}

/** The position a cursor holds; a 400 naming `query.cursor` for anything this list did not give out. */
export function decodeCursor(key: Uint8Array | undefined, organizationId: string, kind: CursorKind, cursor: string): string {
  const [body, signature, extra] = cursor.length > MAX_CURSOR_LENGTH ? [] : cursor.split('.');
  if (key === undefined || body === undefined || signature === undefined || extra !== undefined) throw invalidCursor();
  const bytes = Buffer.from(body, 'base64url');
  const expected = mac(key, bytes);
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalidCursor();
  let parsed: v.InferOutput<typeof payload>;
  try {
    parsed = v.parse(payload, JSON.parse(bytes.toString('utf8')));
  } catch {
    throw invalidCursor();
  }
  if (parsed.o !== organizationId || parsed.k !== kind) throw invalidCursor();
  return parsed.p;
}

export function invalidCursor(): BadRequestError {
  return new BadRequestError('invalid_cursor', 'query.cursor: is not a cursor this list gave out: start again without it', 'query.cursor');
}

function mac(key: Uint8Array, body: Buffer): Buffer {
  return createHmac('sha256', key).update('warehouse-connections list cursor\u0000').update(body).digest();
}
