import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { createHash } from 'node:crypto';
import * as v from 'valibot';
import { StoredConnectionUnreadableError } from '../errors.js';

/**
 * The organization's `STATE` item: the one place that says which connections exist, which is
 * active, and which names are taken. Every write that changes one of those changes it with a
 * conditional update, so concurrent writers cannot both win (DynamoDB transactions would do the
 * same, but the embedded DynamoDB the tests run against has none; docs/decisions.md).
 *
 * - `active_connection_id`, `write_stamp`: the active connection and the stamp of the latest
 *   change of it (connection-item.ts);
 * - `live`: connection id -> the stamp of the write that sealed its secret. A connection exists
 *   only while listed here, and an item whose sealed stamp is older than its entry was put back
 *   after a newer write and is refused;
 * - `names`: a digest of each name, case folded -> the connection holding it and when it took it;
 * - `legacy_id`: the connection stored at `CONNECTION#ACTIVE` (written before named connections);
 * - `cursor_key`: the organization's key for list cursors (lib/connections/cursor.ts).
 * An organization whose state has no `live` has not written since named connections exist: its
 * connection, if any, is read the earlier way until its first write (ConnectionStore.collection).
 */
export const STATE_ATTRIBUTES = ['active_connection_id', 'write_stamp', 'live', 'names', 'legacy_id', 'cursor_key'] as const;
/** What a reader needs of the state: all but the cursor key, which only list uses. */
export const STATE_READ_ATTRIBUTES = STATE_ATTRIBUTES.filter((name) => name !== 'cursor_key');

export interface NameReservation {
  connectionId: string;
  /** The stamp of the write that took the name. */
  reservedAt: string;
}

export interface Collection {
  live: ReadonlyMap<string, string>;
  names: ReadonlyMap<string, NameReservation>;
  legacyId: string | null;
  cursorKey: Uint8Array | undefined;
}

export interface OrganizationState {
  activeConnectionId: string | null;
  writeStamp: string | undefined;
  /** Undefined until the organization's first write since named connections exist. */
  collection: Collection | undefined;
}

/** The key a name holds in `names`: case-insensitive, and of fixed length whatever the name. */
export function nameKey(name: string): string {
  return createHash('sha256').update(name.normalize('NFC').toLowerCase(), 'utf8').digest('hex');
}

const STAMP = v.pipe(v.string(), v.maxLength(64));
const CONNECTION_ID = v.pipe(v.string(), v.uuid());

const stateAttributes = v.object({
  active_connection_id: v.optional(v.union([v.object({ NULL: v.literal(true) }), v.object({ S: CONNECTION_ID })])),
  write_stamp: v.optional(v.object({ S: STAMP })),
  live: v.optional(v.object({ M: v.record(CONNECTION_ID, v.object({ S: STAMP })) })),
  names: v.optional(
    v.object({
      M: v.record(
        v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/)),
        v.object({ M: v.object({ id: v.object({ S: CONNECTION_ID }), at: v.object({ S: STAMP }) }) }),
      ),
    }),
  ),
  legacy_id: v.optional(v.object({ S: CONNECTION_ID })),
  cursor_key: v.optional(v.object({ B: v.instance(Uint8Array) })),
});

export function toState(item: Record<string, AttributeValue> | undefined): OrganizationState | undefined {
  if (!item) return undefined;
  const parsed = v.safeParse(stateAttributes, item);
  if (!parsed.success) throw new StoredConnectionUnreadableError(`state attribute ${v.getDotPath(parsed.issues[0]) ?? 'item'}`);
  const attributes = parsed.output;
  const active = attributes.active_connection_id;
  return {
    activeConnectionId: active !== undefined && 'S' in active ? active.S : null,
    writeStamp: attributes.write_stamp?.S,
    collection:
      attributes.live === undefined
        ? undefined
        : {
            live: new Map(Object.entries(attributes.live.M).map(([id, stamp]) => [id, stamp.S])),
            names: new Map(
              Object.entries(attributes.names?.M ?? {}).map(([key, entry]) => [
                key,
                { connectionId: entry.M.id.S, reservedAt: entry.M.at.S },
              ]),
            ),
            legacyId: attributes.legacy_id?.S ?? null,
            cursorKey: attributes.cursor_key?.B,
          },
  };
}

/** Whether a connection holds a name (named connections are never replaced by the seed POST). */
export function isNamed(collection: Collection, connectionId: string): boolean {
  for (const reservation of collection.names.values()) if (reservation.connectionId === connectionId) return true;
  return false;
}

/** The names a connection holds (two while a rename is under way or after one half-failed). */
export function nameKeysOf(collection: Collection, connectionId: string): string[] {
  return [...collection.names].filter(([, reservation]) => reservation.connectionId === connectionId).map(([key]) => key);
}
