import * as v from 'valibot';
import { BadRequestError } from '../errors.js';
import type { ConnectionRecord } from '../store/connection-item.js';
import { decodeCursor, encodeCursor, invalidCursor } from './cursor.js';
import type { ConnectionRepository } from './ports.js';
import { listedConnection } from './view.js';

export const DEFAULT_PAGE_SIZE = 25;
export const MAX_PAGE_SIZE = 100;

const limit = v.pipe(v.string(), v.regex(/^\d{1,3}$/), v.transform(Number), v.minValue(1), v.maxValue(MAX_PAGE_SIZE));

/** Where a page ends: the last connection shown, in the list's order. */
interface ListPosition {
  createdAt: string;
  id: string;
}
const position = v.pipe(
  v.string(),
  v.regex(/^\d{4}-\d{2}-\d{2}T[\d:.]+Z\/[0-9a-f-]{36}$/),
  v.transform((text) => ({ createdAt: text.slice(0, text.indexOf('/')), id: text.slice(text.indexOf('/') + 1) })),
);

/** `?limit=`: 1 to MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE when absent; a 400 naming the field otherwise. */
export function pageSizeOf(query: Record<string, string | undefined>): number {
  if (query.limit === undefined) return DEFAULT_PAGE_SIZE;
  const parsed = v.safeParse(limit, query.limit);
  if (!parsed.success)
    throw new BadRequestError('invalid_limit', `query.limit: must be an integer from 1 to ${MAX_PAGE_SIZE}`, 'query.limit');
  return parsed.output;
}

/**
 * The organization's connections, newest first (by creation, then id), a page at a time; the active
 * one flagged. Never credentials. DynamoDB: the state, then one query of the organization's items.
 */
export async function listConnections(store: ConnectionRepository, organizationId: string, query: Record<string, string | undefined>) {
  const size = pageSizeOf(query);

  const { records, activeId, cursorKey } = await store.list(organizationId);
  const after = query.cursor === undefined ? undefined : positionOf(decodeCursor(cursorKey, organizationId, 'connections', query.cursor));
  const remaining = after ? records.filter((record) => comesAfter(record, after)) : records;
  const page = remaining.slice(0, size);
  const last = page.at(-1);
  const more = remaining.length > page.length && last !== undefined && cursorKey !== undefined;
  return {
    connections: page.map((record) => listedConnection(record, activeId)),
    next_cursor: more ? encodeCursor(cursorKey, organizationId, 'connections', `${last.createdAt}/${last.id}`) : null,
  };
}

/** Whether the record is listed after the position (newest first; ids break ties, descending). */
function comesAfter(record: ConnectionRecord, position: ListPosition): boolean {
  return record.createdAt < position.createdAt || (record.createdAt === position.createdAt && record.id < position.id);
}

function positionOf(text: string): ListPosition {
  const parsed = v.safeParse(position, text);
  if (!parsed.success) throw invalidCursor();
  return parsed.output;
}
