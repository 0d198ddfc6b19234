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
 * - `CONNECTION#ACTIVE`: the active connection, plain attributes for GET beside the sealed definition;
 * - `STATE`: the organization's latest write (`write_stamp`) and which connection it left active,
 *   so an older connection item put back in place (after a replace or a delete) is recognised;
 * - `LIMIT#TEST#<window>`: the count of connection tests in one rate-limit window.
 * Organization ids are case-sensitive: `Acme` and `acme` are two organizations.
 */
export const ACTIVE_CONNECTION_SORT_KEY = 'CONNECTION#ACTIVE';
export const STATE_SORT_KEY = 'STATE';

type Key = Record<string, AttributeValue>;

const partition = (organizationId: string): AttributeValue => ({ S: `ORG#${organizationId}` });

export function itemKey(organizationId: string): Key {
  return { [TABLE_KEYS.partitionKey]: partition(organizationId), [TABLE_KEYS.sortKey]: { S: ACTIVE_CONNECTION_SORT_KEY } };
}

export function stateKey(organizationId: string): Key {
  return { [TABLE_KEYS.partitionKey]: partition(organizationId), [TABLE_KEYS.sortKey]: { S: STATE_SORT_KEY } };
}

export function testLimitKey(organizationId: string, windowStartSeconds: number): Key {
  return { [TABLE_KEYS.partitionKey]: partition(organizationId), [TABLE_KEYS.sortKey]: { S: `LIMIT#TEST#${windowStartSeconds}` } };
}

/**
 * Orders every write of an organization: the writer's clock in milliseconds, zero-padded so the
 * strings sort as the times do, then a unique id so two writes in one millisecond still differ.
 * Writes only ever move an item's stamp forward (conditional writes), so concurrent writers
 * converge on the latest, and the stamp is sealed with the connection (envelope format 2).
 */
export function newWriteStamp(now: number, unique: string): string {
  return `${String(now).padStart(15, '0')}#${unique}`;
}

export type TestStatus = 'connected' | 'failed';

export interface ConnectionSummary {
  organizationId: string;
  id: string;
  provider: Provider;
  projectId: string | null;
  datasetId: string | null;
  /** Provider options that are not secret (BigQuery location, bytes cap). */
  settings: Record<string, unknown>;
  createdAt: string;
  status: TestStatus | null;
  lastTestedAt: string | null;
  latencyMs: number | null;
  /** The last test's stages; null until a test, or for tests recorded before stages existed. */
  lastStages: Stage[] | null;
  /** Absent on items written before write stamps existed. */
  writeStamp: string | undefined;
}

export interface StoredConnection extends ConnectionSummary {
  sealed: SealedSecret;
}

export interface OrganizationState {
  activeConnectionId: string | null;
  writeStamp: string;
}

/** Attributes GET reads: everything but the sealed secret, plus what the state item holds. */
export const SUMMARY_ATTRIBUTES = [
  'id',
  'provider',
  'project_id',
  'dataset_id',
  'settings',
  'created_at',
  'status',
  'last_tested_at',
  'latency_ms',
  'last_stages',
  'write_stamp',
  'active_connection_id',
] as const;
/** Attributes a write of the state item touches (IAM limits the writers to them). */
export const STATE_ATTRIBUTES = ['active_connection_id', 'write_stamp'] as const;

export function toItem(connection: StoredConnection): Record<string, AttributeValue> {
  const { sealed } = connection;
  if (sealed.writtenAt === undefined) throw new Error('A connection is written with its write stamp sealed');
  return {
    ...itemKey(connection.organizationId),
    id: { S: connection.id },
    provider: { S: connection.provider },
    project_id: nullableString(connection.projectId),
    dataset_id: nullableString(connection.datasetId),
    settings: { S: JSON.stringify(connection.settings) },
    created_at: { S: connection.createdAt },
    write_stamp: { S: sealed.writtenAt },
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

/**
 * The plain attributes as the service writes them. Nothing authenticates them (GET has no key),
 * so they are checked on every read: an item edited outside the service into something the service
 * never writes is reported as unreadable, never passed on or allowed to crash a request.
 */
const summaryAttributes = v.object({
  id: v.object({ S: v.pipe(v.string(), v.uuid()) }),
  provider: v.object({ S: v.picklist(PROVIDER_IDS) }),
  project_id: v.optional(nullableText(255)),
  dataset_id: v.optional(nullableText(1_024)),
  settings: v.optional(v.object({ S: v.pipe(v.string(), v.maxLength(4_096), v.check(isJsonObject)) })),
  created_at: v.object({ S: v.pipe(v.string(), v.regex(ISO_TIME)) }),
  status: v.optional(v.object({ S: v.picklist(['connected', 'failed']) })),
  last_tested_at: v.optional(v.object({ S: v.pipe(v.string(), v.regex(ISO_TIME)) })),
  latency_ms: v.optional(v.object({ N: v.pipe(v.string(), v.regex(/^\d{1,9}$/)) })),
  last_stages: v.optional(v.object({ S: v.pipe(v.string(), v.maxLength(4_096), v.parseJson(), v.array(stage)) })),
  write_stamp: v.optional(v.object({ S: v.pipe(v.string(), v.maxLength(64)) })),
});

export function toSummary(organizationId: string, item: Record<string, AttributeValue>): ConnectionSummary {
  const parsed = v.safeParse(summaryAttributes, item);
  if (!parsed.success) throw new StoredConnectionUnreadableError(`attribute ${v.getDotPath(parsed.issues[0]) ?? 'item'}`);
  const attributes = parsed.output;
  return {
    organizationId,
    id: attributes.id.S,
    provider: attributes.provider.S as Provider,
    projectId: textOrNull(attributes.project_id),
    datasetId: textOrNull(attributes.dataset_id),
    settings: JSON.parse(attributes.settings?.S ?? '{}') as Record<string, unknown>,
    createdAt: attributes.created_at.S,
    status: (attributes.status?.S as TestStatus | undefined) ?? null,
    lastTestedAt: attributes.last_tested_at?.S ?? null,
    latencyMs: attributes.latency_ms === undefined ? null : Number(attributes.latency_ms.N),
    lastStages: attributes.last_stages?.S ?? null,
    writeStamp: attributes.write_stamp?.S,
  };
}

export function toStoredConnection(organizationId: string, item: Record<string, AttributeValue>): StoredConnection {
  const summary = toSummary(organizationId, item);
  const formatVersion = Number(item.format_version?.N);
  return {
    ...summary,
    sealed: {
      formatVersion,
      ...(formatVersion >= 2 && summary.writeStamp !== undefined ? { writtenAt: summary.writeStamp } : {}),
      keyId: requiredString(item, 'key_id'),
      encryptedDataKey: requiredBinary(item, 'encrypted_data_key'),
      iv: requiredBinary(item, 'iv'),
      tag: requiredBinary(item, 'auth_tag'),
      ciphertext: requiredBinary(item, 'ciphertext'),
    },
  };
}

export function toState(item: Record<string, AttributeValue> | undefined): OrganizationState | undefined {
  const writeStamp = item?.write_stamp?.S;
  if (!item || writeStamp === undefined) return undefined;
  return { activeConnectionId: item.active_connection_id?.S ?? null, writeStamp };
}

/**
 * Whether the connection item is the organization's current one: written no earlier than the
 * organization's latest recorded write. Older means it was replaced or deleted since and has been
 * put back; an item of the format before write stamps counts only until the first stamped write.
 * The state may lag behind the item (a write whose second step failed), never the other way round.
 */
export function currentness(connection: ConnectionSummary, state: OrganizationState | undefined): 'current' | 'deleted' | 'replaced' {
  if (!state) return 'current';
  if (connection.writeStamp !== undefined && connection.writeStamp >= state.writeStamp) return 'current';
  return state.activeConnectionId === null ? 'deleted' : 'replaced';
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

function nullableString(value: string | null): AttributeValue {
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
