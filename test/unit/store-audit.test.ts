import { DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { AUDIT_ATTRIBUTES, AUDIT_EVENTS, AUDIT_POSITION, AuditLog, type AuditRecord } from '../../lib/store/audit-log.js';

/**
 * The audit log against the audit table global setup starts (dynalite): the item an event is
 * appended as (its key, its attributes, its expiry) and the pages it is read back in.
 */
const dynamoDb = new DynamoDBClient({});
afterAll(() => dynamoDb.destroy());
/** Every query the audit log sends, as sent. */
const queries: Record<string, unknown>[] = [];
dynamoDb.middlewareStack.add(
  (next, context) => async (args) => {
    if (context.commandName === 'QueryCommand') queries.push(args.input as Record<string, unknown>);
    return next(args);
  },
  { step: 'initialize', name: 'recordQueries' },
);
const tableName = process.env.AUDIT_TABLE_NAME!;
const RETENTION_DAYS = 30;
const auditLog = new AuditLog(dynamoDb, tableName, RETENTION_DAYS);

const newOrg = (label: string) => `org-audit-${label}-${randomUUID().slice(0, 8)}`;

async function rawItems(organizationId: string) {
  const result = await dynamoDb.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': { S: `ORG#${organizationId}` } },
      ConsistentRead: true,
    }),
  );
  return result.Items ?? [];
}

function record(organizationId: string, at: string, overrides: Partial<AuditRecord> = {}): AuditRecord {
  return { organizationId, event: 'connection.updated', connectionId: randomUUID(), actor: 'user-1', outcome: 'ok', at, ...overrides };
}

describe('append', () => {
  test('an event is one item at pk ORG#<org>, sk AUDIT#<write stamp of its time>, expiring after the retention', async () => {
    const org = newOrg('append');
    const event = record(org, '2026-11-26T12:00:00.250Z', { purpose: 'nightly load', changedFields: ['name', 'credentials.host'] });
    await auditLog.append(event);
    const [item, ...others] = await rawItems(org);
    expect(others).toEqual([]);
    const sortKey = item!.sk!.S!;
    expect(sortKey).toMatch(/^AUDIT#001795694400250#[0-9a-f-]{36}$/);
    expect(sortKey.slice('AUDIT#'.length)).toMatch(AUDIT_POSITION);
    expect(item).toEqual({
      pk: { S: `ORG#${org}` },
      sk: { S: sortKey },
      event: { S: 'connection.updated' },
      connection_id: { S: event.connectionId },
      actor: { S: 'user-1' },
      purpose: { S: 'nightly load' },
      outcome: { S: 'ok' },
      changed_fields: { L: [{ S: 'name' }, { S: 'credentials.host' }] },
      at: { S: '2026-11-26T12:00:00.250Z' },
      expires_at: { N: String(1_795_694_400 + RETENTION_DAYS * 86_400) },
    });
    expect(Object.keys(item!).filter((name) => name !== 'pk' && name !== 'sk')).toEqual(expect.arrayContaining([...AUDIT_ATTRIBUTES]));
  });

  test('an event without a connection or an actor writes them as NULL, and no purpose or changed fields', async () => {
    const org = newOrg('nulls');
    await auditLog.append(
      record(org, '2026-11-26T12:00:00.000Z', { event: 'connection.resolved', connectionId: null, actor: null, outcome: 'not_found' }),
    );
    const [item] = await rawItems(org);
    expect({ ...item, sk: undefined }).toEqual({
      pk: { S: `ORG#${org}` },
      sk: undefined,
      event: { S: 'connection.resolved' },
      connection_id: { NULL: true },
      actor: { NULL: true },
      outcome: { S: 'not_found' },
      at: { S: '2026-11-26T12:00:00.000Z' },
      expires_at: { N: String(1_795_694_400 + RETENTION_DAYS * 86_400) },
    });
  });

  test('two events of one millisecond are two items', async () => {
    const org = newOrg('same-ms');
    const at = '2026-11-26T12:00:00.000Z';
    await auditLog.append(record(org, at));
    await auditLog.append(record(org, at));
    expect(await rawItems(org)).toHaveLength(2);
  });

  test('these are the audit events and attributes (IAM limits writers to them)', () => {
    expect([...AUDIT_EVENTS]).toEqual([
      'connection.saved',
      'connection.updated',
      'connection.activated',
      'connection.tested',
      'connection.resolved',
      'connection.deleted',
    ]);
    expect([...AUDIT_ATTRIBUTES]).toEqual(['event', 'connection_id', 'actor', 'purpose', 'outcome', 'changed_fields', 'at', 'expires_at']);
  });
});

describe('page', () => {
  test('reads the organization records newest first, limit at a time, each page after the last one ended', async () => {
    const org = newOrg('page');
    const events = [0, 1, 2, 3, 4].map((second) =>
      record(org, `2026-11-26T12:00:0${second}.000Z`, second === 2 ? { purpose: 'audit', changedFields: ['settings'] } : {}),
    );
    for (const event of events) await auditLog.append(event);
    await auditLog.append(record(newOrg('neighbour'), '2026-11-26T12:00:09.000Z'));

    const first = await auditLog.page(org, 2, undefined);
    expect(first.records).toEqual([events[4], events[3]]);
    expect(first.end).toMatch(AUDIT_POSITION);
    expect(first.end?.startsWith('001795694403000#')).toBe(true);
    const second = await auditLog.page(org, 2, first.end);
    expect(second.records).toEqual([events[2], events[1]]);
    const third = await auditLog.page(org, 2, second.end);
    expect(third.records).toEqual([events[0]]);
    expect(third.end).toBeUndefined();
  });

  test('an organization without records reads an empty page without an end', async () => {
    expect(await auditLog.page(newOrg('empty'), 10, undefined)).toEqual({ records: [], end: undefined });
  });

  test('the audit position is a write stamp: 15 digits, #, a uuid', () => {
    expect(AUDIT_POSITION.test(`001795694403000#${randomUUID()}`)).toBe(true);
    expect(AUDIT_POSITION.test(`1795694403000#${randomUUID()}`)).toBe(false);
    expect(AUDIT_POSITION.test(`AUDIT#001795694403000#${randomUUID()}`)).toBe(false);
    expect(AUDIT_POSITION.test(`001795694403000#${randomUUID()}#`)).toBe(false);
  });

  test('an event without a connection or an actor reads back with both null', async () => {
    const org = newOrg('nulls-read');
    const event = record(org, '2026-11-26T12:00:00.000Z', {
      event: 'connection.resolved',
      connectionId: null,
      actor: null,
      outcome: 'not_found',
    });
    await auditLog.append(event);
    expect((await auditLog.page(org, 10, undefined)).records).toEqual([event]);
  });

  test('a page reads consistently (an event appended just before is in it), the first from the newest record on', async () => {
    const org = newOrg('consistent');
    await auditLog.append(record(org, '2026-11-26T12:00:00.000Z'));
    queries.length = 0;
    const first = await auditLog.page(org, 1, undefined);
    await auditLog.page(org, 1, first.end ?? '');
    const [firstQuery, nextQuery] = queries;
    expect(firstQuery).toMatchObject({ ConsistentRead: true, ScanIndexForward: false, Limit: 1 });
    expect(firstQuery).not.toHaveProperty('ExclusiveStartKey');
    expect(nextQuery).toMatchObject({
      ConsistentRead: true,
      ExclusiveStartKey: { pk: { S: `ORG#${org}` }, sk: { S: `AUDIT#${first.end}` } },
    });
  });
});
