import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { randomBytes } from 'node:crypto';
import { callAws } from '../aws/failures.js';
import { DEFAULTS } from '../config.js';
import type { ConnectionRepository, ConnectionTarget, RecordChanges } from '../connections/ports.js';
import {
  ConnectionLimitError,
  ConnectionNameTakenError,
  DependencyUnavailableError,
  StoredConnectionUnreadableError,
  VersionMismatchError,
} from '../errors.js';
import { errorFields, log } from '../log.js';
import type { Stage } from '../providers/verdict.js';
import {
  CONNECTION_SORT_KEY_PREFIX,
  connectionKey,
  LEGACY_CONNECTION_SORT_KEY,
  LIST_ATTRIBUTES,
  nullableString,
  partitionOf,
  RECORD_ATTRIBUTES,
  sealedAttributes,
  stateKey,
  STATUS_ATTRIBUTES,
  testLimitKey,
  toItem,
  toRecord,
  toStoredConnection,
  UNSTAMPED,
  type ConnectionRecord,
  type Key,
  type StoredConnection,
  type TestStatus,
} from './connection-item.js';
import { ExpressionParts, projection } from './expressions.js';
import {
  isNamed,
  nameKey,
  nameKeysOf,
  STATE_ATTRIBUTES,
  STATE_READ_ATTRIBUTES,
  toState,
  type Collection,
  type NameReservation,
  type OrganizationState,
} from './organization-state.js';
import { TABLE_KEYS } from './table.js';

export interface TestOutcome {
  status: TestStatus;
  testedAt: string;
  latencyMs: number;
  /** The test's stages (lib/providers/verdict.ts), shown by GET as the last test's. */
  stages: readonly Stage[];
}

/** At most `tests` connection tests per organization in each window of `windowSeconds`. */
export interface TestLimit {
  tests: number;
  windowSeconds: number;
}

export type TestAdmission = { admitted: true } | { admitted: false; retryAfterSeconds: number };

export interface StoreOptions {
  /** Connections an organization may keep. */
  maxConnections: number;
}

/** A name reservation older than this whose holder does not carry the name was left by a failed rename. */
const STALE_RESERVATION_MS = 60_000;
/** Conditional writes retried after another writer changed the state first. */
const STATE_ATTEMPTS = 12;

type Initialized = OrganizationState & { collection: Collection };

/**
 * DynamoDB adapter. The state item (organization-state.ts) says which connections exist, which is
 * active and which names are taken; each connection's item holds its attributes and sealed secret.
 * Order of writes: a new item first, then the state lists it, so a failure between the two leaves
 * at worst an unlisted item, which nothing reads. A remove deletes the item first (that conditional
 * delete is the version check), then the state drops it: a failure between those two leaves a
 * listing without its item, read as none (with a warning) and counted toward the limit until a
 * remove of it completes.
 */
export class ConnectionStore implements ConnectionRepository {
  private readonly options: StoreOptions;

  constructor(
    private readonly dynamoDb: DynamoDBClient,
    private readonly tableName: string,
    options: Partial<StoreOptions> = {},
  ) {
    this.options = { maxConnections: DEFAULTS.maxConnections, ...options };
  }

  // Reads

  /** The connection (the active one without a target) without its sealed secret, or null. */
  async getSummary(organizationId: string, target?: ConnectionTarget): Promise<ConnectionRecord | null> {
    const found = await this.find(organizationId, target, RECORD_ATTRIBUTES);
    return found && toRecord(organizationId, found.item);
  }

  /** The connection without its sealed secret and the id of the organization's active connection. */
  async getDetail(
    organizationId: string,
    target?: ConnectionTarget,
  ): Promise<{ record: ConnectionRecord; activeId: string | null } | null> {
    const found = await this.find(organizationId, target, RECORD_ATTRIBUTES);
    return found && { record: toRecord(organizationId, found.item), activeId: found.activeId };
  }

  async getWithSecret(organizationId: string, target?: ConnectionTarget): Promise<StoredConnection | null> {
    const found = await this.find(organizationId, target, undefined);
    return found && toStoredConnection(organizationId, found.item);
  }

  /** Every connection of the organization, newest first, and which one is active. */
  async list(organizationId: string): Promise<{ records: ConnectionRecord[]; activeId: string | null; cursorKey: Uint8Array | undefined }> {
    const state = await this.readState(organizationId, STATE_ATTRIBUTES);
    if (!state?.collection) {
      const legacy = await this.find(organizationId, undefined, LIST_ATTRIBUTES, state ?? null);
      const records = legacy ? [toRecord(organizationId, legacy.item, true)] : [];
      return { records, activeId: records[0]?.id ?? null, cursorKey: undefined };
    }
    const { live, legacyId } = state.collection;
    const records: ConnectionRecord[] = [];
    const parts = new ExpressionParts();
    const request = {
      TableName: this.tableName,
      KeyConditionExpression: `${parts.path(TABLE_KEYS.partitionKey)} = ${parts.value(partitionOf(organizationId))} AND begins_with(${parts.path(TABLE_KEYS.sortKey)}, ${parts.value({ S: CONNECTION_SORT_KEY_PREFIX })})`,
      ProjectionExpression: LIST_ATTRIBUTES.map((name) => parts.path(name)).join(', '),
      ConsistentRead: true,
      ...parts.request(),
    };
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await callAws(() => this.dynamoDb.send(new QueryCommand({ ...request, ExclusiveStartKey: startKey })));
      for (const item of page.Items ?? []) {
        const id = item.id?.S;
        if (id === undefined || !live.has(id)) continue;
        const atLegacyKey = item[TABLE_KEYS.sortKey]?.S === LEGACY_CONNECTION_SORT_KEY;
        if (atLegacyKey !== (id === legacyId)) continue;
        const record = this.recordOrNull(organizationId, item);
        if (record && this.isCurrent(record, live)) records.push(record);
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    records.sort((a, b) => (a.createdAt === b.createdAt ? (a.id < b.id ? 1 : -1) : a.createdAt < b.createdAt ? 1 : -1));
    return { records, activeId: state.activeConnectionId, cursorKey: state.collection.cursorKey };
  }

  /**
   * The organization's cursor key (organization-state.ts), made on first use by an organization
   * that has none yet (one conditional write; concurrent callers get the same key).
   */
  async cursorKey(organizationId: string): Promise<Uint8Array> {
    const existing = (await this.getItem(stateKey(organizationId), [TABLE_KEYS.partitionKey, 'cursor_key']))?.cursor_key?.B;
    if (existing) return existing;
    const parts = new ExpressionParts();
    const key = parts.path('cursor_key');
    const result = await callAws(() =>
      this.dynamoDb.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: stateKey(organizationId),
          UpdateExpression: `SET ${key} = if_not_exists(${key}, ${parts.value({ B: randomBytes(32) })})`,
          ReturnValues: 'UPDATED_NEW',
          ...parts.request(),
        }),
      ),
    );
    const made = result.Attributes?.cursor_key?.B;
    if (!made) throw new DependencyUnavailableError(new Error('The cursor key was not stored'));
    return made;
  }

  // Writes

  /**
   * Writes a new connection and makes it the active one, replacing the previous active connection
   * if it has no name (the seed POST: a named connection stays, no longer active). Concurrent
   * creates converge on the newest stamp; false when a newer write had already replaced this one
   * (its item is then removed, as if replaced at once).
   */
  async insertActive(connection: StoredConnection): Promise<boolean> {
    const organizationId = connection.organizationId;
    const stamp = connection.sealed.writtenAt!;
    let state: OrganizationState = await this.collection(organizationId);
    await this.putNew(connection);
    for (let attempt = 0; attempt < STATE_ATTEMPTS; attempt += 1) {
      const collection = state.collection!;
      if (state.writeStamp !== undefined && state.writeStamp >= stamp) {
        await this.deleteItemQuietly(organizationId, connection.id, 'superseded');
        return false;
      }
      const previous = state.activeConnectionId;
      const replacesPrevious = previous !== null && collection.live.has(previous) && !isNamed(collection, previous);
      if (!replacesPrevious && collection.live.size >= this.options.maxConnections) {
        await this.deleteItemQuietly(organizationId, connection.id, 'limit');
        throw new ConnectionLimitError(this.options.maxConnections);
      }
      const parts = new ExpressionParts();
      const set = [
        `${parts.path('active_connection_id')} = ${parts.value({ S: connection.id })}`,
        `${parts.path('write_stamp')} = ${parts.value({ S: stamp })}`,
        `${parts.path(`live.${connection.id}`)} = ${parts.value({ S: stamp })}`,
      ];
      const remove = replacesPrevious ? [parts.path(`live.${previous}`)] : [];
      if (replacesPrevious && previous === collection.legacyId) remove.push(parts.path('legacy_id'));
      const conditions = [
        `attribute_exists(${parts.path('live')})`,
        olderStampCondition(parts, stamp),
        activeIsCondition(parts, previous),
        replacesPrevious
          ? `attribute_exists(${parts.path(`live.${previous}`)})`
          : `size(${parts.path('live')}) < ${parts.value({ N: String(this.options.maxConnections) })}`,
      ];
      const updated = await this.updateState(organizationId, parts, set, remove, conditions).catch(async (error: unknown) => {
        // The state never listed the new item: nothing reads it, and it goes.
        await this.deleteItemQuietly(organizationId, connection.id, 'not_listed');
        throw error;
      });
      if (updated) {
        if (replacesPrevious)
          await this.deleteItemQuietly(organizationId, previous === collection.legacyId ? 'legacy' : previous, 'replaced');
        return true;
      }
      state = await this.initializedState(organizationId);
    }
    await this.deleteItemQuietly(organizationId, connection.id, 'contention');
    throw new DependencyUnavailableError(new Error('The state item changed on every attempt'));
  }

  /** Writes a new named connection; the active connection stays as it is. */
  async insertNamed(connection: StoredConnection & { name: string }, now: number): Promise<void> {
    const organizationId = connection.organizationId;
    await this.collection(organizationId);
    await this.putNew(connection);
    const stamp = connection.sealed.writtenAt!;
    try {
      await this.reserveName(organizationId, connection.id, connection.name, stamp, now, stamp);
    } catch (error) {
      await this.deleteItemQuietly(organizationId, connection.id, 'refused');
      throw error;
    }
  }

  /**
   * Applies an edit to a connection's item, conditioned on the version it was read at, then records
   * in the state what the edit changed there (a new name, a new seal). A rename takes the new name
   * first, so two connections never hold one name.
   */
  async update(before: ConnectionRecord, changes: RecordChanges, now: number): Promise<void> {
    const organizationId = before.organizationId;
    // A connection of the earlier format may belong to an organization whose state lists nothing yet.
    if (before.storedAtLegacyKey) await this.collection(organizationId);
    const key = connectionKey(organizationId, before.storedAtLegacyKey ? 'legacy' : before.id);
    const renamed = changes.name !== undefined && (before.name === null || nameKey(changes.name) !== nameKey(before.name));
    if (renamed) await this.reserveName(organizationId, before.id, changes.name!, changes.writeStamp, now);

    const parts = new ExpressionParts();
    const set: string[] = [];
    const assign = (name: string, value: AttributeValue) => set.push(`${parts.path(name)} = ${parts.value(value)}`);
    if (changes.name !== undefined) assign('name', { S: changes.name });
    if (changes.plain) {
      assign('project_id', nullableString(changes.plain.projectId));
      assign('dataset_id', nullableString(changes.plain.datasetId));
      assign('settings', { S: JSON.stringify(changes.plain.settings) });
      assign('credentials', { S: JSON.stringify(changes.plain.credentials) });
      assign('stored_secrets', { S: JSON.stringify(changes.plain.storedSecrets) });
    }
    if (changes.sealed) {
      assign('sealed_stamp', { S: changes.sealed.writtenAt! });
      for (const [name, value] of Object.entries(sealedAttributes(changes.sealed))) assign(name, value);
    }
    assign('updated_at', { S: changes.updatedAt });
    assign('version', { N: String(before.version + 1) });
    assign('write_stamp', { S: changes.writeStamp });
    // What the last test found no longer describes a connection whose settings changed.
    const remove = changes.plain ? STATUS_ATTRIBUTES.map((name) => parts.path(name)) : [];
    const conditions = [`${parts.path('id')} = ${parts.value({ S: before.id })}`, versionCondition(parts, before.version)];
    const written = await this.conditionally(() =>
      this.dynamoDb.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: `SET ${set.join(', ')}${remove.length ? ` REMOVE ${remove.join(', ')}` : ''}`,
          ConditionExpression: conditions.join(' AND '),
          ...parts.request(),
        }),
      ),
    );
    if (!written) {
      if (renamed) await this.releaseName(organizationId, before.id, nameKey(changes.name!));
      const current = await this.getSummary(organizationId, before.id);
      throw current
        ? new VersionMismatchError(current.version)
        : new StoredConnectionUnreadableError('the connection went while it was edited');
    }

    // What the state records of the edit; a failure is logged, since the edit itself has landed: an
    // item newer than its listing is current, and a name left reserved is taken over once stale.
    const recorded = (done: Promise<boolean>) =>
      done.catch((error: unknown) =>
        log.warn('connection.state_not_recorded', { organization_id: organizationId, connection_id: before.id, ...errorFields(error) }),
      );
    if (changes.sealed) {
      const parts = new ExpressionParts();
      const listing = parts.path(`live.${before.id}`);
      const sealedStamp = parts.value({ S: changes.sealed.writtenAt! });
      await recorded(
        this.updateState(
          organizationId,
          parts,
          [`${listing} = ${sealedStamp}`],
          [],
          [`attribute_exists(${listing})`, `${listing} < ${sealedStamp}`],
        ),
      );
    }
    if (renamed && before.name !== null) {
      // Released only while it is still this connection's (never another's that took it over).
      const parts = new ExpressionParts();
      const held = `names.${nameKey(before.name)}`;
      await recorded(
        this.updateState(organizationId, parts, [], [parts.path(held)], [`${parts.path(`${held}.id`)} = ${parts.value({ S: before.id })}`]),
      );
    }
  }

  /**
   * Deletes a connection (the active one without a target), conditioned on `expectedVersion` when
   * given, then drops it from the state; deleting the active connection leaves none active. The
   * connection id, or null when there was none.
   */
  async remove(
    organizationId: string,
    target: ConnectionTarget,
    expectedVersion: number | undefined,
    stamp: string,
  ): Promise<string | null> {
    const state = await this.collection(organizationId);
    const id = target ?? state.activeConnectionId;
    if (id === null || !state.collection.live.has(id)) return null;
    const parts = new ExpressionParts();
    const conditions = [`${parts.path('id')} = ${parts.value({ S: id })}`];
    if (expectedVersion !== undefined) conditions.push(versionCondition(parts, expectedVersion));
    const deleted = await this.conditionally(() =>
      this.dynamoDb.send(
        new DeleteItemCommand({
          TableName: this.tableName,
          Key: this.keyOf(organizationId, state.collection, id),
          ConditionExpression: conditions.join(' AND '),
          ...parts.request(),
        }),
      ),
    );
    if (!deleted && expectedVersion !== undefined) {
      const current = await this.getSummary(organizationId, id);
      if (current) throw new VersionMismatchError(current.version);
    }
    await this.forget(organizationId, state, id, stamp);
    return id;
  }

  /** Makes a connection the active one, in one conditional write. False when it does not exist. */
  async activate(organizationId: string, connectionId: string, stamp: string): Promise<boolean> {
    let state = await this.collection(organizationId);
    let activationStamp = stamp;
    for (let attempt = 0; attempt < STATE_ATTEMPTS; attempt += 1) {
      if (!state.collection.live.has(connectionId)) return false;
      if (state.writeStamp !== undefined && state.writeStamp >= activationStamp) activationStamp = laterStamp(state.writeStamp, stamp);
      const parts = new ExpressionParts();
      const updated = await this.updateState(
        organizationId,
        parts,
        [
          `${parts.path('active_connection_id')} = ${parts.value({ S: connectionId })}`,
          `${parts.path('write_stamp')} = ${parts.value({ S: activationStamp })}`,
        ],
        [],
        [`attribute_exists(${parts.path(`live.${connectionId}`)})`, olderStampCondition(parts, activationStamp)],
      );
      if (updated) return true;
      state = await this.initializedState(organizationId);
    }
    throw new DependencyUnavailableError(new Error('The state item changed on every attempt'));
  }

  /**
   * Records a test verdict on the connection that was tested, as it was tested: conditioned on its
   * id and version, so a test that finishes after the connection was edited, replaced or deleted
   * does not touch the newer state.
   */
  async recordTestOutcome(tested: ConnectionRecord, outcome: TestOutcome): Promise<boolean> {
    const parts = new ExpressionParts();
    const set = [
      `${parts.path('status')} = ${parts.value({ S: outcome.status })}`,
      `${parts.path('last_tested_at')} = ${parts.value({ S: outcome.testedAt })}`,
      `${parts.path('latency_ms')} = ${parts.value({ N: String(outcome.latencyMs) })}`,
      `${parts.path('last_stages')} = ${parts.value({ S: JSON.stringify(outcome.stages) })}`,
    ];
    const condition = `${parts.path('id')} = ${parts.value({ S: tested.id })} AND ${versionCondition(parts, tested.version)}`;
    return this.conditionally(() =>
      this.dynamoDb.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: connectionKey(tested.organizationId, tested.storedAtLegacyKey ? 'legacy' : tested.id),
          UpdateExpression: `SET ${set.join(', ')}`,
          ConditionExpression: condition,
          ...parts.request(),
        }),
      ),
    );
  }

  /**
   * Counts one test in the organization's current window, shared by every Lambda instance: one
   * conditional increment, refused once the window holds `limit.tests`. Window items expire through
   * the table's TTL.
   */
  async admitTest(organizationId: string, limit: TestLimit, nowMs: number): Promise<TestAdmission> {
    const windowStart = Math.floor(nowMs / 1000 / limit.windowSeconds) * limit.windowSeconds;
    const windowEnd = windowStart + limit.windowSeconds;
    const admitted = await this.conditionally(() =>
      this.dynamoDb.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: testLimitKey(organizationId, windowStart),
          ConditionExpression: 'attribute_not_exists(#tests) OR #tests < :limit',
          UpdateExpression: 'ADD #tests :one SET #expires = :expires',
          ExpressionAttributeNames: { '#tests': 'tests', '#expires': 'expires_at' },
          ExpressionAttributeValues: {
            ':one': { N: '1' },
            ':limit': { N: String(limit.tests) },
            ':expires': { N: String(windowEnd + 60) },
          },
        }),
      ),
    );
    return admitted ? { admitted: true } : { admitted: false, retryAfterSeconds: Math.max(1, Math.ceil(windowEnd - nowMs / 1000)) };
  }

  // Internals

  /**
   * The item of the connection a read targets, checked against the state: listed (or, for an
   * organization that has not written since named connections exist, current by the earlier
   * rule), and not older than the state's record of its seal.
   */
  private async find(
    organizationId: string,
    target: ConnectionTarget,
    attributes: readonly string[] | undefined,
    knownState?: OrganizationState | null,
  ): Promise<{ item: Record<string, AttributeValue>; activeId: string | null } | null> {
    const state = knownState === undefined ? await this.readState(organizationId, STATE_READ_ATTRIBUTES) : (knownState ?? undefined);
    if (!state?.collection) return this.findLegacy(organizationId, target, attributes, state);
    const id = target ?? state.activeConnectionId;
    if (id === null || !state.collection.live.has(id)) return null;
    const item = await this.getItem(this.keyOf(organizationId, state.collection, id), attributes);
    if (!item) {
      // Listed but gone: a delete whose second step failed.
      log.warn('connection.listed_item_missing', { organization_id: organizationId, connection_id: id });
      return null;
    }
    if (item.id?.S !== id) throw new StoredConnectionUnreadableError('the item holds another connection than its key names');
    const record = toRecord(organizationId, item);
    if (!this.isCurrent(record, state.collection.live)) {
      throw new StoredConnectionUnreadableError('an older connection item was put back after a newer write');
    }
    return { item, activeId: state.activeConnectionId };
  }

  /**
   * The earlier rule, for an organization that has not written since named connections exist: its
   * one connection at `CONNECTION#ACTIVE`, current when written no earlier than the organization's
   * latest write (format 2's sealed stamp), deleted when the state says none is active.
   */
  private async findLegacy(
    organizationId: string,
    target: ConnectionTarget,
    attributes: readonly string[] | undefined,
    state: OrganizationState | undefined,
  ): Promise<{ item: Record<string, AttributeValue>; activeId: string | null } | null> {
    const item = await this.getItem(connectionKey(organizationId, 'legacy'), attributes);
    if (!item) return null;
    const record = toRecord(organizationId, item);
    if (target !== undefined && record.id !== target) return null;
    if (!state || record.sealedStamp >= (state.writeStamp ?? UNSTAMPED)) return { item, activeId: record.id };
    log.warn('connection.stale_item_refused', { organization_id: organizationId, connection_id: record.id });
    if (state.activeConnectionId === null) return null;
    throw new StoredConnectionUnreadableError('an older connection item was put back after a newer write');
  }

  private isCurrent(record: ConnectionRecord, live: ReadonlyMap<string, string>): boolean {
    return record.sealedStamp >= (live.get(record.id) ?? UNSTAMPED);
  }

  private recordOrNull(organizationId: string, item: Record<string, AttributeValue>): ConnectionRecord | null {
    try {
      return toRecord(organizationId, item, true);
    } catch (error) {
      // One damaged item must not hide the others from a list; GET of it answers 500.
      log.warn('connection.unreadable_item_skipped', { organization_id: organizationId, ...errorFields(error) });
      return null;
    }
  }

  private keyOf(organizationId: string, collection: Collection, connectionId: string): Key {
    return connectionKey(organizationId, collection.legacyId === connectionId ? 'legacy' : connectionId);
  }

  /** The state, initialized for named connections; an organization's first such write initializes it. */
  private async collection(organizationId: string): Promise<Initialized> {
    const state = await this.readState(organizationId, STATE_READ_ATTRIBUTES);
    if (state?.collection) return state as Initialized;
    return this.initialize(organizationId, state);
  }

  private async initializedState(organizationId: string): Promise<Initialized> {
    return this.collection(organizationId);
  }

  /**
   * Starts the state's connection list. An organization's connection of the earlier format stays
   * where it is, listed as `legacy_id`, when it is current by the earlier rule.
   */
  private async initialize(organizationId: string, state: OrganizationState | undefined): Promise<Initialized> {
    const legacy = await this.findLegacy(
      organizationId,
      undefined,
      [TABLE_KEYS.sortKey, 'id', 'write_stamp', 'format_version', 'created_at', 'provider'],
      state,
    ).catch((error: unknown) => {
      if (error instanceof StoredConnectionUnreadableError) return null;
      throw error;
    });
    const legacyRecord = legacy ? { id: legacy.item.id!.S!, sealedStamp: toRecord(organizationId, legacy.item).sealedStamp } : null;
    const parts = new ExpressionParts();
    const live: Record<string, AttributeValue> = legacyRecord ? { [legacyRecord.id]: { S: legacyRecord.sealedStamp } } : {};
    const set = [
      `${parts.path('live')} = ${parts.value({ M: live })}`,
      `${parts.path('names')} = ${parts.value({ M: {} })}`,
      `${parts.path('cursor_key')} = if_not_exists(${parts.path('cursor_key')}, ${parts.value({ B: randomBytes(32) })})`,
      `${parts.path('active_connection_id')} = ${parts.value(legacyRecord ? { S: legacyRecord.id } : { NULL: true })}`,
    ];
    if (legacyRecord) set.push(`${parts.path('legacy_id')} = ${parts.value({ S: legacyRecord.id })}`);
    await this.updateState(organizationId, parts, set, [], [`attribute_not_exists(${parts.path('live')})`]);
    // Written now, or by a concurrent writer first: either way, read what holds.
    const initialized = await this.readState(organizationId, STATE_READ_ATTRIBUTES);
    if (!initialized?.collection) throw new DependencyUnavailableError(new Error('The state item was not initialized'));
    return initialized as Initialized;
  }

  /**
   * Takes `name` for the connection in the state; with `listAt`, also lists a new connection in the
   * same write, within the organization's limit. A reservation left by a failed rename (old, and
   * its holder does not carry the name) is taken over.
   */
  private async reserveName(
    organizationId: string,
    connectionId: string,
    name: string,
    stamp: string,
    now: number,
    listAt?: string,
  ): Promise<void> {
    const key = nameKey(name);
    let stale: NameReservation | undefined;
    for (let attempt = 0; attempt < STATE_ATTEMPTS; attempt += 1) {
      const parts = new ExpressionParts();
      const set = [`${parts.path(`names.${key}`)} = ${parts.value({ M: { id: { S: connectionId }, at: { S: stamp } } })}`];
      const conditions = [
        stale
          ? `${parts.path(`names.${key}.id`)} = ${parts.value({ S: stale.connectionId })} AND ${parts.path(`names.${key}.at`)} = ${parts.value({ S: stale.reservedAt })}`
          : `attribute_not_exists(${parts.path(`names.${key}`)})`,
      ];
      if (listAt === undefined) conditions.push(`attribute_exists(${parts.path(`live.${connectionId}`)})`);
      else {
        set.push(`${parts.path(`live.${connectionId}`)} = ${parts.value({ S: listAt })}`);
        conditions.push(`size(${parts.path('live')}) < ${parts.value({ N: String(this.options.maxConnections) })}`);
      }
      if (await this.updateState(organizationId, parts, set, [], conditions)) return;

      const state = await this.initializedState(organizationId);
      const holder = state.collection.names.get(key);
      if (holder?.connectionId === connectionId) return;
      if (listAt === undefined && !state.collection.live.has(connectionId))
        throw new StoredConnectionUnreadableError('the connection went while it was renamed');
      if (!holder) {
        if (listAt !== undefined && state.collection.live.size >= this.options.maxConnections)
          throw new ConnectionLimitError(this.options.maxConnections);
        stale = undefined;
        continue;
      }
      if (!(await this.isStale(organizationId, state.collection, holder, key, now))) throw new ConnectionNameTakenError();
      stale = holder;
    }
    throw new DependencyUnavailableError(new Error('The state item changed on every attempt'));
  }

  private async isStale(
    organizationId: string,
    collection: Collection,
    holder: NameReservation,
    key: string,
    now: number,
  ): Promise<boolean> {
    if (now - Number(holder.reservedAt.split('#')[0]) < STALE_RESERVATION_MS) return false;
    if (!collection.live.has(holder.connectionId)) return true;
    const item = await this.getItem(this.keyOf(organizationId, collection, holder.connectionId), ['id', 'name']);
    const heldName = item?.name?.S;
    return heldName === undefined || nameKey(heldName) !== key;
  }

  private async releaseName(organizationId: string, connectionId: string, key: string): Promise<void> {
    const parts = new ExpressionParts();
    await this.updateState(
      organizationId,
      parts,
      [],
      [parts.path(`names.${key}`)],
      [`${parts.path(`names.${key}.id`)} = ${parts.value({ S: connectionId })}`],
    ).catch((error: unknown) => log.warn('connection.name_not_released', { organization_id: organizationId, ...errorFields(error) }));
  }

  /**
   * Drops a connection from the state: its names, its listing, and the active pointer if it is the
   * active one. Clearing the pointer is a change of the active connection like any other: its stamp
   * comes after the state's (a delete that read the state last wins), conditioned on the state read.
   */
  private async forget(organizationId: string, initial: Initialized, connectionId: string, stamp: string): Promise<void> {
    let state = initial;
    try {
      for (let attempt = 0; attempt < STATE_ATTEMPTS; attempt += 1) {
        const parts = new ExpressionParts();
        const remove = [
          parts.path(`live.${connectionId}`),
          ...nameKeysOf(state.collection, connectionId).map((key) => parts.path(`names.${key}`)),
        ];
        if (state.collection.legacyId === connectionId) remove.push(parts.path('legacy_id'));
        const active = parts.path('active_connection_id');
        const set: string[] = [];
        const conditions = [`attribute_exists(${parts.path('live')})`];
        if (state.activeConnectionId === connectionId) {
          const clearedAt = state.writeStamp !== undefined && state.writeStamp >= stamp ? laterStamp(state.writeStamp, stamp) : stamp;
          set.push(`${active} = ${parts.value({ NULL: true })}`, `${parts.path('write_stamp')} = ${parts.value({ S: clearedAt })}`);
          conditions.push(`${active} = ${parts.value({ S: connectionId })}`, sameStampCondition(parts, state.writeStamp));
        } else {
          conditions.push(`NOT (${activeIsCondition(parts, connectionId)})`);
        }
        if (await this.updateState(organizationId, parts, set, remove, conditions)) return;
        state = await this.initializedState(organizationId);
        if (!state.collection.live.has(connectionId)) return;
      }
      log.warn('connection.state_not_recorded', { organization_id: organizationId, connection_id: connectionId, reason: 'contention' });
    } catch (error) {
      log.warn('connection.state_not_recorded', { organization_id: organizationId, connection_id: connectionId, ...errorFields(error) });
    }
  }

  private async putNew(connection: StoredConnection): Promise<void> {
    const parts = new ExpressionParts();
    await callAws(() =>
      this.dynamoDb.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: toItem(connection),
          ConditionExpression: `attribute_not_exists(${parts.path(TABLE_KEYS.partitionKey)})`,
          ...parts.request(),
        }),
      ),
    );
  }

  private async deleteItemQuietly(organizationId: string, connectionId: string | 'legacy', reason: string): Promise<void> {
    await callAws(() =>
      this.dynamoDb.send(new DeleteItemCommand({ TableName: this.tableName, Key: connectionKey(organizationId, connectionId) })),
    ).catch((error: unknown) =>
      // Unlisted in the state, the item is never read; it only takes room.
      log.warn('connection.item_not_deleted', { organization_id: organizationId, reason, ...errorFields(error) }),
    );
  }

  private async updateState(organizationId: string, parts: ExpressionParts, set: string[], remove: string[], conditions: string[]) {
    return this.conditionally(() =>
      this.dynamoDb.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: stateKey(organizationId),
          UpdateExpression: [set.length ? `SET ${set.join(', ')}` : '', remove.length ? `REMOVE ${remove.join(', ')}` : '']
            .join(' ')
            .trim(),
          ConditionExpression: conditions.join(' AND '),
          ...parts.request(),
        }),
      ),
    );
  }

  private async readState(organizationId: string, attributes: readonly string[]): Promise<OrganizationState | undefined> {
    return toState(await this.getItem(stateKey(organizationId), attributes));
  }

  private async getItem(key: Key, attributes: readonly string[] | undefined) {
    const result = await callAws(() =>
      this.dynamoDb.send(
        new GetItemCommand({ TableName: this.tableName, Key: key, ConsistentRead: true, ...(attributes ? projection(attributes) : {}) }),
      ),
    );
    return result.Item;
  }

  /** Runs a conditional write; false when its condition did not hold. */
  private async conditionally(operation: () => Promise<unknown>): Promise<boolean> {
    try {
      await callAws(operation);
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}

/** Only a newer change of the active connection lands (stamps order the organization's writes). */
function olderStampCondition(parts: ExpressionParts, stamp: string): string {
  const path = parts.path('write_stamp');
  return `(attribute_not_exists(${path}) OR ${path} < ${parts.value({ S: stamp })})`;
}

/** The state's stamp is still the one read (absent when it was). */
function sameStampCondition(parts: ExpressionParts, stamp: string | undefined): string {
  const path = parts.path('write_stamp');
  return stamp === undefined ? `attribute_not_exists(${path})` : `${path} = ${parts.value({ S: stamp })}`;
}

/** The active connection is still `connectionId` (none: absent or NULL). */
function activeIsCondition(parts: ExpressionParts, connectionId: string | null): string {
  const path = parts.path('active_connection_id');
  if (connectionId !== null) return `${path} = ${parts.value({ S: connectionId })}`;
  return `(attribute_not_exists(${path}) OR attribute_type(${path}, ${parts.value({ S: 'NULL' })}))`;
}

/** The item is still at `version` (items of the earlier formats have none: version 0). */
function versionCondition(parts: ExpressionParts, version: number): string {
  const path = parts.path('version');
  return version === 0 ? `attribute_not_exists(${path})` : `${path} = ${parts.value({ N: String(version) })}`;
}

/** A stamp after `previous`, for a change that must land although another writer's clock ran ahead. */
function laterStamp(previous: string, own: string): string {
  const [time = '0'] = previous.split('#');
  const unique = own.split('#').slice(1).join('#');
  return `${String(Number(time) + 1).padStart(15, '0')}#${unique}`;
}
