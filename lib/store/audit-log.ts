import { PutItemCommand, QueryCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { randomUUID } from 'node:crypto';
import * as v from 'valibot';
import { callAws } from '../aws/failures.js';
import { newWriteStamp, partitionOf } from './connection-item.js';
import { ExpressionParts } from './expressions.js';
import { TABLE_KEYS } from './table.js';

export const AUDIT_EVENTS = [
  'connection.saved',
  'connection.updated',
  'connection.activated',
  'connection.tested',
  'connection.resolved',
  'connection.deleted',
] as const;
export type AuditEvent = (typeof AUDIT_EVENTS)[number];

/** One thing done to one organization's connection: who, when, what came of it. Never a value of the connection. */
export interface AuditRecord {
  organizationId: string;
  event: AuditEvent;
  /** Null when nothing was found to act on (a resolve of a connection that does not exist). */
  connectionId: string | null;
  /** The token's subject for the API; the caller a worker names for a resolve. */
  actor: string | null;
  /** Why a worker resolved the connection (resolve only). */
  purpose?: string;
  /** `ok`, or the error or verdict code. */
  outcome: string;
  /** The fields an edit changed, by name. */
  changedFields?: readonly string[];
  at: string;
}

const AUDIT_SORT_KEY_PREFIX = 'AUDIT#';
/** The attributes of an audit item (IAM limits the writers to them). */
export const AUDIT_ATTRIBUTES = ['event', 'connection_id', 'actor', 'purpose', 'outcome', 'changed_fields', 'at', 'expires_at'] as const;

/**
 * The organizations' audit records, in their own table (appended to by the functions that act on
 * connections, read only by the audit route), under `pk = ORG#<org>`, `sk = AUDIT#<write stamp>`
 * so a query reads them newest first. Each expires through the table's TTL after the deployer's
 * retention.
 */
export class AuditLog {
  constructor(
    private readonly dynamoDb: DynamoDBClient,
    private readonly tableName: string,
    private readonly retentionDays: number,
  ) {}

  async append(record: AuditRecord): Promise<void> {
    const at = Date.parse(record.at);
    const parts = new ExpressionParts();
    const item: Record<string, AttributeValue> = {
      [TABLE_KEYS.partitionKey]: partitionOf(record.organizationId),
      [TABLE_KEYS.sortKey]: { S: `${AUDIT_SORT_KEY_PREFIX}${newWriteStamp(at, randomUUID())}` },
      event: { S: record.event },
      connection_id: record.connectionId === null ? { NULL: true } : { S: record.connectionId },
      actor: record.actor === null ? { NULL: true } : { S: record.actor },
      outcome: { S: record.outcome },
      at: { S: record.at },
      expires_at: { N: String(Math.floor(at / 1000) + this.retentionDays * 86_400) },
      ...(record.purpose === undefined ? {} : { purpose: { S: record.purpose } }),
      ...(record.changedFields === undefined ? {} : { changed_fields: { L: record.changedFields.map((field) => ({ S: field })) } }),
    };
    await callAws(() =>
      this.dynamoDb.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: `attribute_not_exists(${parts.path(TABLE_KEYS.partitionKey)})`,
          ...parts.request(),
        }),
      ),
    );
  }

  /** A page of an organization's records, newest first, after `position` (the last page's end). */
  async page(
    organizationId: string,
    limit: number,
    position: string | undefined,
  ): Promise<{ records: AuditRecord[]; end: string | undefined }> {
    const parts = new ExpressionParts();
    const result = await callAws(() =>
      this.dynamoDb.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: `${parts.path(TABLE_KEYS.partitionKey)} = ${parts.value(partitionOf(organizationId))} AND begins_with(${parts.path(TABLE_KEYS.sortKey)}, ${parts.value({ S: AUDIT_SORT_KEY_PREFIX })})`,
          ScanIndexForward: false,
          Limit: limit,
          ConsistentRead: true,
          ...(position === undefined
            ? {}
            : {
                ExclusiveStartKey: {
                  [TABLE_KEYS.partitionKey]: partitionOf(organizationId),
                  [TABLE_KEYS.sortKey]: { S: `${AUDIT_SORT_KEY_PREFIX}${position}` },
                },
              }),
          ...parts.request(),
        }),
      ),
    );
    const records = (result.Items ?? []).map((item) => toRecord(organizationId, item));
    const lastKey = result.LastEvaluatedKey?.[TABLE_KEYS.sortKey]?.S;
    return { records, end: lastKey?.slice(AUDIT_SORT_KEY_PREFIX.length) };
  }
}

/** An audit position is a write stamp (connection-item.ts): what `page` accepts back. */
export const AUDIT_POSITION = /^\d{15}#[0-9a-f-]{36}$/;

const text = (max: number) => v.object({ S: v.pipe(v.string(), v.maxLength(max)) });
const nullable = (max: number) => v.union([v.object({ NULL: v.literal(true) }), text(max)]);
const auditAttributes = v.object({
  event: v.object({ S: v.picklist(AUDIT_EVENTS) }),
  connection_id: nullable(64),
  actor: nullable(256),
  purpose: v.optional(text(256)),
  outcome: text(64),
  changed_fields: v.optional(v.object({ L: v.array(text(256)) })),
  at: text(40),
});

function toRecord(organizationId: string, item: Record<string, AttributeValue>): AuditRecord {
  const parsed = v.parse(auditAttributes, item);
  const value = (attribute: { S: string } | { NULL: true }) => ('S' in attribute ? attribute.S : null);
  return {
    organizationId,
    event: parsed.event.S as AuditEvent,
    connectionId: value(parsed.connection_id),
    actor: value(parsed.actor),
    ...(parsed.purpose ? { purpose: parsed.purpose.S } : {}),
    outcome: parsed.outcome.S,
    ...(parsed.changed_fields ? { changedFields: parsed.changed_fields.L.map((field) => field.S) } : {}),
    at: parsed.at.S,
  };
}
