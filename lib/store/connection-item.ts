import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import * as v from 'valibot';
import type { SealedSecret } from '../crypto/envelope.js';
import { StoredConnectionUnreadableError } from '../errors.js';
import { PROVIDER_IDS } from '../providers/ids.js';
import { STAGE_NAMES, type Stage } from '../providers/verdict.js';
import type { Provider } from '../schema/connection.js';
import { TABLE_KEYS } from './table.js';

/**
 * The items of one organization, all under `pk = ORG#<id>`:
 * - `CONNECTION#<id>`: one per connection, its plain attributes (what GET shows) beside its sealed
 *   secret;
 * - `CONNECTION#ACTIVE`: the one connection of an organization that has not written since named
 *   connections exist (its whole definition sealed, formats 1 and 2); it keeps that key until it is
 *   replaced or deleted (organization-state.ts, `legacy_id`);
 * - `STATE`: which connections exist, which is active, the name reservations (organization-state.ts);
 * - `LIMIT#TEST#<window>`: the count of connection tests in one rate-limit window.
 * Organization ids are case-sensitive: `Acme` and `acme` are two organizations.
 */
export const CONNECTION_SORT_KEY_PREFIX = 'CONNECTION#';
export const LEGACY_CONNECTION_SORT_KEY = 'CONNECTION#ACTIVE';
export const STATE_SORT_KEY = 'STATE';

export type Key = Record<string, AttributeValue>;

export const partitionOf = (organizationId: string): AttributeValue => ({ S: `ORG#${organizationId}` });

/** The key of a connection's item; `legacy` for the one stored before named connections existed. */
export function connectionKey(organizationId: string, connectionId: string | 'legacy'): Key {
  const sortKey = connectionId === 'legacy' ? LEGACY_CONNECTION_SORT_KEY : `${CONNECTION_SORT_KEY_PREFIX}${connectionId}`;
  return { [TABLE_KEYS.partitionKey]: partitionOf(organizationId), [TABLE_KEYS.sortKey]: { S: sortKey } };
}

export function stateKey(organizationId: string): Key {
  return { [TABLE_KEYS.partitionKey]: partitionOf(organizationId), [TABLE_KEYS.sortKey]: { S: STATE_SORT_KEY } };
}

export function testLimitKey(organizationId: string, windowStartSeconds: number): Key {
  return { [TABLE_KEYS.partitionKey]: partitionOf(organizationId), [TABLE_KEYS.sortKey]: { S: `LIMIT#TEST#${windowStartSeconds}` } };
}

/**
 * Orders the writes of an organization: the writer's clock in milliseconds, zero-padded so the
 * strings sort as the times do, then a unique id so two writes in one millisecond still differ.
 * Conditional writes only ever move a stamp forward, so concurrent writers converge on the latest.
 * A seal binds the stamp of its write (envelope formats 2 and 3).
 */
export function newWriteStamp(now: number, unique: string): string {
  return `${String(now).padStart(15, '0')}#${unique}`;
}

/** Stands for "sealed before stamps existed" (format 1): sorts before every real stamp. */
export const UNSTAMPED = '0';

export type TestStatus = 'connected' | 'failed';

/** A connection as stored, without its sealed secret: what GET, list and PATCH read. */
export interface ConnectionRecord {
  organizationId: string;
  id: string;
  /** Null for a connection created through the seed route and never named. */
  name: string | null;
  provider: Provider;
  projectId: string | null;
  datasetId: string | null;
  /** Provider options that are not secret (BigQuery location, bytes cap). */
  settings: Record<string, unknown>;
  /** The non-secret credential fields; null for a connection sealed whole (formats 1 and 2). */
  credentials: Record<string, unknown> | null;
  /** Paths of the secret fields sealed with it; null for a connection sealed whole. */
  storedSecrets: string[] | null;
  createdAt: string;
  updatedAt: string;
  /** Counts the writes of the item: what If-Match compares. 0 for items of the earlier formats. */
  version: number;
  formatVersion: number;
  /** The stamp of the write that sealed the secret (UNSTAMPED for format 1). */
  sealedStamp: string;
  /** Whether it is the connection stored at `CONNECTION#ACTIVE` by an earlier version. */
  storedAtLegacyKey: boolean;
  status: TestStatus | null;
  lastTestedAt: string | null;
  latencyMs: number | null;
  /** The last test's stages; null until a test, or for tests recorded before stages existed. */
  lastStages: Stage[] | null;
}

export interface StoredConnection extends ConnectionRecord {
  sealed: SealedSecret;
}

/** The sealed secret's attributes: only the test function reads them. */
export const SEALED_ATTRIBUTES = ['format_version', 'key_id', 'encrypted_data_key', 'iv', 'auth_tag', 'ciphertext'] as const;
/** What the last test found (written by the test function only). */
export const STATUS_ATTRIBUTES = ['status', 'last_tested_at', 'latency_ms', 'last_stages'] as const;
/** What list shows of each connection: no credentials of any kind. */
export const LIST_ATTRIBUTES = [
  TABLE_KEYS.sortKey,
  'id',
  'name',
  'provider',
  'project_id',
  'dataset_id',
  'settings',
  'created_at',
  'updated_at',
  'version',
  'write_stamp',
  'sealed_stamp',
  'format_version',
  ...STATUS_ATTRIBUTES,
] as const;
/** Everything but the sealed secret: what GET and PATCH read. */
export const RECORD_ATTRIBUTES = [...LIST_ATTRIBUTES, 'credentials', 'stored_secrets'] as const;
/** What PATCH writes: the plain attributes, its stamps, and (when it seals anew) the sealed secret. */
export const UPDATE_ATTRIBUTES = [
  'name',
  'project_id',
  'dataset_id',
  'settings',
  'credentials',
  'stored_secrets',
  'updated_at',
  'version',
  'write_stamp',
  'sealed_stamp',
  ...SEALED_ATTRIBUTES,
  ...STATUS_ATTRIBUTES,
] as const;

export function toItem(connection: StoredConnection): Record<string, AttributeValue> {
  const { sealed } = connection;
  if (sealed.writtenAt === undefined) throw new Error('A connection is written with its write stamp sealed');
  return {
    ...connectionKey(connection.organizationId, connection.id),
    id: { S: connection.id },
    ...(connection.name === null ? {} : { name: { S: connection.name } }),
    provider: { S: connection.provider },
    project_id: nullableString(connection.projectId),
    dataset_id: nullableString(connection.datasetId),
    settings: { S: JSON.stringify(connection.settings) },
    credentials: { S: JSON.stringify(connection.credentials ?? {}) },
    stored_secrets: { S: JSON.stringify(connection.storedSecrets ?? []) },
    created_at: { S: connection.createdAt },
    updated_at: { S: connection.updatedAt },
    version: { N: String(connection.version) },
    write_stamp: { S: sealed.writtenAt },
    sealed_stamp: { S: sealed.writtenAt },
    ...sealedAttributes(sealed),
  };
}

export function sealedAttributes(sealed: SealedSecret): Record<(typeof SEALED_ATTRIBUTES)[number], AttributeValue> {
  return {
    format_version: { N: String(sealed.formatVersion) },
    key_id: { S: sealed.keyId },
    encrypted_data_key: { B: sealed.encryptedDataKey },
    iv: { B: sealed.iv },
    auth_tag: { B: sealed.tag },
    ciphertext: { B: sealed.ciphertext },
  };
}

const stage = v.strictObject({ name: v.picklist(STAGE_NAMES), ok: v.boolean(), ms: v.pipe(v.number(), v.integer(), v.minValue(0)) });
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;
const STAMP = v.pipe(v.string(), v.maxLength(64));

/**
 * The plain attributes as the service writes them. Nothing authenticates most of them (GET has no
 * key), so they are checked on every read: an item edited outside the service into something the
 * service never writes is reported as unreadable, never passed on or allowed to crash a request.
 */
const recordAttributes = v.object({
  [TABLE_KEYS.sortKey]: v.object({ S: v.string() }),
  id: v.object({ S: v.pipe(v.string(), v.uuid()) }),
  name: v.optional(v.object({ S: v.pipe(v.string(), v.minLength(1), v.maxLength(100)) })),
  provider: v.object({ S: v.picklist(PROVIDER_IDS) }),
  project_id: v.optional(nullableText(255)),
  dataset_id: v.optional(nullableText(1_024)),
  settings: v.optional(jsonObjectText(4_096)),
  credentials: v.optional(jsonObjectText(65_536)),
  stored_secrets: v.optional(v.object({ S: v.pipe(v.string(), v.maxLength(1_024), v.parseJson(), v.array(v.string())) })),
  created_at: v.object({ S: v.pipe(v.string(), v.regex(ISO_TIME)) }),
  updated_at: v.optional(v.object({ S: v.pipe(v.string(), v.regex(ISO_TIME)) })),
  version: v.optional(v.object({ N: v.pipe(v.string(), v.regex(/^\d{1,9}$/)) })),
  format_version: v.optional(v.object({ N: v.picklist(['1', '2', '3']) })),
  write_stamp: v.optional(v.object({ S: STAMP })),
  sealed_stamp: v.optional(v.object({ S: STAMP })),
  status: v.optional(v.object({ S: v.picklist(['connected', 'failed']) })),
  last_tested_at: v.optional(v.object({ S: v.pipe(v.string(), v.regex(ISO_TIME)) })),
  latency_ms: v.optional(v.object({ N: v.pipe(v.string(), v.regex(/^\d{1,9}$/)) })),
  last_stages: v.optional(v.object({ S: v.pipe(v.string(), v.maxLength(4_096), v.parseJson(), v.array(stage)) })),
});

/** `listed`: read with LIST_ATTRIBUTES, without the credential fields (they read as null). */
export function toRecord(organizationId: string, item: Record<string, AttributeValue>, listed = false): ConnectionRecord {
  const parsed = v.safeParse(recordAttributes, item);
  if (!parsed.success) throw new StoredConnectionUnreadableError(`attribute ${v.getDotPath(parsed.issues[0]) ?? 'item'}`);
  const attributes = parsed.output;
  const formatVersion = Number(attributes.format_version?.N ?? 1);
  const sealedWhole = formatVersion < 3;
  if (
    !sealedWhole &&
    (!attributes.sealed_stamp || (!listed && (attributes.credentials === undefined || attributes.stored_secrets === undefined)))
  )
    throw new StoredConnectionUnreadableError('a format 3 item without its plain credentials or sealed stamp');
  const credentialsShown = !sealedWhole && !listed;
  return {
    organizationId,
    id: attributes.id.S,
    name: attributes.name?.S ?? null,
    provider: attributes.provider.S as Provider,
    projectId: textOrNull(attributes.project_id),
    datasetId: textOrNull(attributes.dataset_id),
    settings: JSON.parse(attributes.settings?.S ?? '{}') as Record<string, unknown>,
    credentials: credentialsShown ? (JSON.parse(attributes.credentials!.S) as Record<string, unknown>) : null,
    storedSecrets: credentialsShown ? attributes.stored_secrets!.S : null,
    createdAt: attributes.created_at.S,
    updatedAt: attributes.updated_at?.S ?? attributes.created_at.S,
    version: Number(attributes.version?.N ?? 0),
    formatVersion,
    // Format 2 sealed the stamp of its write, which was then its only stamp.
    sealedStamp: attributes.sealed_stamp?.S ?? (formatVersion === 2 ? attributes.write_stamp?.S : undefined) ?? UNSTAMPED,
    storedAtLegacyKey: attributes[TABLE_KEYS.sortKey].S === LEGACY_CONNECTION_SORT_KEY,
    status: (attributes.status?.S as TestStatus | undefined) ?? null,
    lastTestedAt: attributes.last_tested_at?.S ?? null,
    latencyMs: attributes.latency_ms === undefined ? null : Number(attributes.latency_ms.N),
    lastStages: attributes.last_stages?.S ?? null,
  };
}

export function toStoredConnection(organizationId: string, item: Record<string, AttributeValue>): StoredConnection {
  const record = toRecord(organizationId, item);
  return {
    ...record,
    sealed: {
      formatVersion: record.formatVersion,
      ...(record.formatVersion >= 2 ? { writtenAt: record.sealedStamp } : {}),
      keyId: requiredString(item, 'key_id'),
      encryptedDataKey: requiredBinary(item, 'encrypted_data_key'),
      iv: requiredBinary(item, 'iv'),
      tag: requiredBinary(item, 'auth_tag'),
      ciphertext: requiredBinary(item, 'ciphertext'),
    },
  };
}

function jsonObjectText(maxLength: number) {
  return v.object({ S: v.pipe(v.string(), v.maxLength(maxLength), v.check(isJsonObject)) });
}

function nullableText(maxLength: number) {
  return v.union([v.object({ NULL: v.literal(true) }), v.object({ S: v.pipe(v.string(), v.maxLength(maxLength)) })]);
}

function textOrNull(attribute: { S: string } | { NULL: true } | undefined): string | null {
  return attribute !== undefined && 'S' in attribute ? attribute.S : null;
}

function isJsonObject(text: string): boolean {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}

export function nullableString(value: string | null): AttributeValue {
  return value === null ? { NULL: true } : { S: value };
}

function requiredString(item: Record<string, AttributeValue>, name: string): string {
  const value = item[name]?.S;
  if (value === undefined) throw new StoredConnectionUnreadableError(`attribute ${name}`);
  return value;
}

function requiredBinary(item: Record<string, AttributeValue>, name: string): Uint8Array {
  const value = item[name]?.B;
  if (value === undefined) throw new StoredConnectionUnreadableError(`attribute ${name}`);
  return value;
}
