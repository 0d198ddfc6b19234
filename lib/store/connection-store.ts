import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { isTransientAwsFailure } from '../aws/failures.js';
import { DependencyUnavailableError } from '../errors.js';
import {
  itemKey,
  SUMMARY_ATTRIBUTES,
  toItem,
  toStoredConnection,
  toSummary,
  type ConnectionSummary,
  type StoredConnection,
  type TestStatus,
} from './connection-item.js';

export interface TestOutcome {
  status: TestStatus;
  testedAt: string;
  latencyMs: number;
}

/** Projection of the summary attributes; names go through placeholders because `status` is reserved. */
const SUMMARY_PROJECTION = {
  ProjectionExpression: SUMMARY_ATTRIBUTES.map((_, index) => `#a${index}`).join(', '),
  ExpressionAttributeNames: Object.fromEntries(SUMMARY_ATTRIBUTES.map((name, index) => [`#a${index}`, name])),
};

/** DynamoDB adapter: exactly one request per method. */
export class ConnectionStore {
  constructor(
    private readonly dynamoDb: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  /** Replaces the organization's active connection in one atomic write. */
  async put(connection: StoredConnection): Promise<void> {
    await this.call(() => this.dynamoDb.send(new PutItemCommand({ TableName: this.tableName, Item: toItem(connection) })));
  }

  async getSummary(organizationId: string): Promise<ConnectionSummary | null> {
    const { Item } = await this.call(() =>
      this.dynamoDb.send(new GetItemCommand({ TableName: this.tableName, Key: itemKey(organizationId), ConsistentRead: true, ...SUMMARY_PROJECTION })),
    );
    return Item ? toSummary(organizationId, Item) : null;
  }

  async getWithSecret(organizationId: string): Promise<StoredConnection | null> {
    const { Item } = await this.call(() =>
      this.dynamoDb.send(new GetItemCommand({ TableName: this.tableName, Key: itemKey(organizationId), ConsistentRead: true })),
    );
    return Item ? toStoredConnection(organizationId, Item) : null;
  }

  /** Returns false when there was nothing to delete. */
  async delete(organizationId: string): Promise<boolean> {
    try {
      await this.call(() =>
        this.dynamoDb.send(
          new DeleteItemCommand({ TableName: this.tableName, Key: itemKey(organizationId), ConditionExpression: 'attribute_exists(pk)' }),
        ),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /**
   * Records a test verdict on the connection that was tested. Conditioned on its id, so a test that
   * finishes after the connection was replaced or deleted does not touch the newer state.
   */
  async recordTestOutcome(organizationId: string, connectionId: string, outcome: TestOutcome): Promise<boolean> {
    try {
      await this.call(() =>
        this.dynamoDb.send(
          new UpdateItemCommand({
            TableName: this.tableName,
            Key: itemKey(organizationId),
            ConditionExpression: '#id = :id',
            UpdateExpression: 'SET #status = :status, #tested = :tested, #latency = :latency',
            ExpressionAttributeNames: { '#id': 'id', '#status': 'status', '#tested': 'last_tested_at', '#latency': 'latency_ms' },
            ExpressionAttributeValues: {
              ':id': { S: connectionId },
              ':status': { S: outcome.status },
              ':tested': { S: outcome.testedAt },
              ':latency': { N: String(outcome.latencyMs) },
            },
          }),
        ),
      );
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
