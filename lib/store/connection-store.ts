import {
  BatchGetItemCommand,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { isTransientAwsFailure } from '../aws/failures.js';
import { DependencyUnavailableError, StoredConnectionUnreadableError } from '../errors.js';
import { errorFields, log } from '../log.js';
import {
  currentness,
  itemKey,
  STATE_SORT_KEY,
  stateKey,
  SUMMARY_ATTRIBUTES,
  testLimitKey,
  toItem,
  toState,
  toStoredConnection,
  toSummary,
  type ConnectionSummary,
  type StoredConnection,
  type TestStatus,
} from './connection-item.js';
import type { ConnectionRepository } from '../connections/ports.js';
import type { Stage } from '../providers/verdict.js';
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

/** Only newer writes land: the stamps order an organization's writes (connection-item.ts). */
const ONLY_IF_NEWER = 'attribute_not_exists(#stamp) OR #stamp < :stamp';

/** The summary and the state item read together; names go through placeholders (`status` is reserved). */
const SUMMARY_PROJECTION = projection([TABLE_KEYS.sortKey, ...SUMMARY_ATTRIBUTES]);

/**
 * DynamoDB adapter. Reads take the connection and the organization's state item in one
 * BatchGetItem and return a connection only when it is the current one; writes move the
 * organization's write stamp forward. Calls per method: put 2, get 1, delete 2, test outcome 1,
 * test admission 1.
 */
export class ConnectionStore implements ConnectionRepository {
  constructor(
    private readonly dynamoDb: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  /**
   * Writes the connection as the organization's active one, then records the write in the state
   * item. A write older than the stored connection (a concurrent create that lost the race) changes
   * nothing. The connection is current as soon as it is written (it is newer than the state), so a
   * failure of the second step does not fail the write: it is logged, and until the next write an
   * older item put back would not be recognised.
   */
  async put(connection: StoredConnection): Promise<void> {
    const stamp = connection.sealed.writtenAt!;
    const written = await this.conditionally(() =>
      this.dynamoDb.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: toItem(connection),
          ConditionExpression: ONLY_IF_NEWER,
          ...stampNames(stamp),
        }),
      ),
    );
    if (written) await this.recordWrite(connection.organizationId, connection.id, stamp);
  }

  async getSummary(organizationId: string): Promise<ConnectionSummary | null> {
    const { connection, state } = await this.read(organizationId, SUMMARY_PROJECTION);
    if (!connection) return null;
    const summary = toSummary(organizationId, connection);
    return this.currentOrNull(summary, toState(state));
  }

  async getWithSecret(organizationId: string): Promise<StoredConnection | null> {
    const { connection, state } = await this.read(organizationId, {});
    if (!connection) return null;
    const stored = toStoredConnection(organizationId, connection);
    return this.currentOrNull(stored, toState(state));
  }

  /**
   * Deletes the connection unless a newer one replaced it meanwhile, then records the deletion in
   * the state item, so the deleted item put back afterwards is older than the state and refused.
   * False when there was no connection older than this delete.
   */
  async delete(organizationId: string, stamp: string): Promise<boolean> {
    const deleted = await this.conditionally(() =>
      this.dynamoDb.send(
        new DeleteItemCommand({
          TableName: this.tableName,
          Key: itemKey(organizationId),
          ConditionExpression: `attribute_exists(#pk) AND (${ONLY_IF_NEWER})`,
          ...stampNames(stamp, { '#pk': TABLE_KEYS.partitionKey }),
        }),
      ),
    );
    if (deleted) await this.recordWrite(organizationId, null, stamp);
    return deleted;
  }

  /**
   * Records a test verdict on the connection that was tested. Conditioned on its id, so a test that
   * finishes after the connection was replaced or deleted does not touch the newer state.
   */
  async recordTestOutcome(organizationId: string, connectionId: string, outcome: TestOutcome): Promise<boolean> {
    return this.conditionally(() =>
      this.dynamoDb.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: itemKey(organizationId),
          ConditionExpression: '#id = :id',
          UpdateExpression: 'SET #status = :status, #tested = :tested, #latency = :latency, #stages = :stages',
          ExpressionAttributeNames: {
            '#id': 'id',
            '#status': 'status',
            '#tested': 'last_tested_at',
            '#latency': 'latency_ms',
            '#stages': 'last_stages',
          },
          ExpressionAttributeValues: {
            ':id': { S: connectionId },
            ':status': { S: outcome.status },
            ':tested': { S: outcome.testedAt },
            ':latency': { N: String(outcome.latencyMs) },
            ':stages': { S: JSON.stringify(outcome.stages) },
          },
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

  /** Moves the state's stamp forward (a newer write recorded meanwhile wins); a failure is logged, not thrown. */
  private async recordWrite(organizationId: string, activeConnectionId: string | null, stamp: string): Promise<void> {
    await this.conditionally(() =>
      this.dynamoDb.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: stateKey(organizationId),
          ConditionExpression: ONLY_IF_NEWER,
          UpdateExpression: 'SET #active = :active, #stamp = :stamp',
          ...stampNames(
            stamp,
            { '#active': 'active_connection_id' },
            { ':active': activeConnectionId === null ? { NULL: true } : { S: activeConnectionId } },
          ),
        }),
      ),
    ).catch((error: unknown) => log.warn('connection.write_not_recorded', { organization_id: organizationId, ...errorFields(error) }));
  }

  /** The connection and state items in one consistent read. */
  private async read(organizationId: string, projected: ReturnType<typeof projection> | Record<string, never>) {
    const request = {
      RequestItems: { [this.tableName]: { Keys: [itemKey(organizationId), stateKey(organizationId)], ConsistentRead: true, ...projected } },
    };
    let items: Record<string, AttributeValue>[] = [];
    // BatchGetItem may leave keys unprocessed under load; one retry, then the caller hears 503.
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const result = await this.call(() => this.dynamoDb.send(new BatchGetItemCommand(request)));
      items = [...items, ...(result.Responses?.[this.tableName] ?? [])];
      const unprocessed = result.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
      if (unprocessed.length === 0) return split(items);
      request.RequestItems[this.tableName]!.Keys = unprocessed;
    }
    throw new DependencyUnavailableError(new Error('BatchGetItem left keys unprocessed'));
  }

  private currentOrNull<T extends ConnectionSummary>(connection: T, state: ReturnType<typeof toState>): T | null {
    const standing = currentness(connection, state);
    if (standing === 'current') return connection;
    log.warn('connection.stale_item_refused', { organization_id: connection.organizationId, connection_id: connection.id, standing });
    if (standing === 'deleted') return null;
    throw new StoredConnectionUnreadableError('an older connection item was put back after a newer write');
  }

  /** Runs a conditional write; false when its condition did not hold. */
  private async conditionally(operation: () => Promise<unknown>): Promise<boolean> {
    try {
      await this.call(operation);
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  private async call<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      if (isTransientAwsFailure(error)) throw new DependencyUnavailableError(error);
      throw error;
    }
  }
}

function split(items: Record<string, AttributeValue>[]) {
  const state = items.find((item) => item[TABLE_KEYS.sortKey]?.S === STATE_SORT_KEY);
  const connection = items.find((item) => item !== state);
  return { connection, state };
}

function projection(attributes: readonly string[]) {
  return {
    ProjectionExpression: attributes.map((_, index) => `#a${index}`).join(', '),
    ExpressionAttributeNames: Object.fromEntries(attributes.map((name, index) => [`#a${index}`, name])),
  };
}

function stampNames(stamp: string, names: Record<string, string> = {}, values: Record<string, AttributeValue> = {}) {
  return {
    ExpressionAttributeNames: { '#stamp': 'write_stamp', ...names },
    ExpressionAttributeValues: { ':stamp': { S: stamp }, ...values },
  };
}
