import { DeleteItemCommand, DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { ConnectionLimitError, ConnectionNameTakenError, StoredConnectionUnreadableError, VersionMismatchError } from '../../lib/errors.js';
import {
  connectionKey,
  newWriteStamp,
  stateKey,
  testLimitKey,
  toItem,
  type ConnectionRecord,
  type StoredConnection,
} from '../../lib/store/connection-item.js';
import { ConnectionStore } from '../../lib/store/connection-store.js';
import { nameKey } from '../../lib/store/organization-state.js';
import { connectionEdit, recordOf, storeFixtures } from '../helpers/stored-connection.js';
import { capturedLogLines, logLinesSince } from '../helpers/logs.js';
import { legacyItem, putRawItem, rawItem, rawState, STORED_ONLY_DEFINITION } from '../helpers/stored-items.js';

/**
 * ConnectionStore against the table global setup starts (dynalite): what each write leaves in the
 * table, item by item, and what each read gives back. The sealed bytes are made up: the store only
 * carries them (the crypto tests open real ones).
 */
const dynamoDb = new DynamoDBClient({});
afterAll(() => dynamoDb.destroy());
/** The pages each query was answered in (a list of more than 1 MB takes several). */
const queryPages: boolean[] = [];
dynamoDb.middlewareStack.add(
  (next, context) => async (args) => {
    const result = await next(args);
    if (context.commandName === 'QueryCommand')
      queryPages.push((result.output as { LastEvaluatedKey?: unknown }).LastEvaluatedKey !== undefined);
    return result;
  },
  { step: 'initialize', name: 'countQueryPages' },
);
const tableName = process.env.TABLE_NAME!;
const store = new ConnectionStore(dynamoDb, tableName);
const { newOrg, now, tick, connection, named } = storeFixtures('store');

const listed = (stored: StoredConnection): ConnectionRecord => ({ ...recordOf(stored), credentials: null, storedSecrets: null });

/** Every item of the organization's partition, by sort key. */
async function sortKeys(organizationId: string): Promise<string[]> {
  const result = await dynamoDb.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': { S: `ORG#${organizationId}` } },
      ConsistentRead: true,
    }),
  );
  return (result.Items ?? []).map((item) => item.sk!.S!).sort();
}

describe('insertActive (the seed POST)', () => {
  test('writes exactly toItem at CONNECTION#<id> and a state naming it active and live, with no names and a cursor key', async () => {
    const org = newOrg('insert');
    const created = connection(org);
    expect(await store.insertActive(created)).toBe(true);
    expect(await rawItem(connectionKey(org, created.id))).toEqual(toItem(created));
    const raw = await rawItem(stateKey(org));
    expect(raw?.cursor_key?.B).toHaveLength(32);
    expect({ ...raw, cursor_key: undefined }).toEqual({
      ...stateKey(org),
      active_connection_id: { S: created.id },
      write_stamp: { S: created.sealed.writtenAt },
      live: { M: { [created.id]: { S: created.sealed.writtenAt } } },
      names: { M: {} },
      cursor_key: undefined,
    });
    expect(await sortKeys(org)).toEqual([`CONNECTION#${created.id}`, 'STATE']);
  });

  test('getSummary, getDetail and getWithSecret read back every field written', async () => {
    const org = newOrg('roundtrip');
    const created = connection(org, { projectId: 'proj-1', datasetId: null, settings: {} });
    await store.insertActive(created);
    expect(await store.getSummary(org)).toEqual(recordOf(created));
    expect(await store.getSummary(org, created.id)).toEqual(recordOf(created));
    expect(await store.getDetail(org, created.id)).toEqual({ record: recordOf(created), activeId: created.id });
    const withSecret = await store.getWithSecret(org);
    expect({ ...withSecret!, sealed: { ...withSecret!.sealed } }).toEqual(created);
  });

  test('replaces the previous unnamed active connection: its item and listing go', async () => {
    const org = newOrg('replace');
    const first = connection(org);
    const second = connection(org);
    await store.insertActive(first);
    await store.insertActive(second);
    expect(await rawItem(connectionKey(org, first.id))).toBeUndefined();
    expect(await sortKeys(org)).toEqual([`CONNECTION#${second.id}`, 'STATE']);
    expect([...(await rawState(org))!.collection!.live.keys()]).toEqual([second.id]);
    expect(await store.getSummary(org, first.id)).toBeNull();
  });

  test('keeps a named active connection, no longer active', async () => {
    const org = newOrg('keep-named');
    const kept = named(org, 'Kept');
    await store.insertNamed(kept, now());
    expect(await store.activate(org, kept.id, newWriteStamp(tick(), randomUUID()))).toBe(true);
    const seed = connection(org);
    await store.insertActive(seed);
    const { records, activeId } = await store.list(org);
    expect(activeId).toBe(seed.id);
    expect(records.map((record) => record.id)).toEqual([seed.id, kept.id]);
  });

  test('an insert older than the state latest write loses: false, and its item is removed', async () => {
    const org = newOrg('older');
    const older = connection(org);
    const newer = connection(org);
    await store.insertActive(newer);
    expect(await store.insertActive(older)).toBe(false);
    expect(await rawItem(connectionKey(org, older.id))).toBeUndefined();
    expect((await store.getSummary(org))?.id).toBe(newer.id);
  });

  test('an insert of an id whose item exists is refused and leaves the item as it was', async () => {
    const org = newOrg('exists');
    const created = connection(org);
    await store.insertActive(created);
    await expect(store.insertActive({ ...connection(org, { id: created.id }), datasetId: 'other' })).rejects.toThrow();
    expect(await rawItem(connectionKey(org, created.id))).toEqual(toItem(created));
  });
});

describe('organization ids are case-sensitive', () => {
  test('Acme and acme are two organizations: each reads, lists and deletes only its own', async () => {
    const suffix = randomUUID().slice(0, 8);
    const upper = `Acme-${suffix}`;
    const lower = `acme-${suffix}`;
    const a = connection(upper);
    const b = connection(lower);
    await store.insertActive(a);
    await store.insertActive(b);
    expect((await store.getSummary(upper))?.id).toBe(a.id);
    expect((await store.getSummary(lower))?.id).toBe(b.id);
    expect(await store.getSummary(lower, a.id)).toBeNull();
    expect((await store.list(upper)).records.map((record) => record.id)).toEqual([a.id]);
    expect(await store.remove(lower, undefined, undefined, newWriteStamp(tick(), randomUUID()))).toBe(b.id);
    expect((await store.getSummary(upper))?.id).toBe(a.id);
  });
});

describe('named connections and the connection limit', () => {
  test('insertNamed lists the connection and reserves its name (digest of the case-folded name); the active one stays', async () => {
    const org = newOrg('named');
    const active = connection(org);
    await store.insertActive(active);
    const second = named(org, 'Finance');
    await store.insertNamed(second, now());
    expect(await rawItem(connectionKey(org, second.id))).toEqual(toItem(second));
    const raw = await rawItem(stateKey(org));
    expect(raw?.names).toEqual({ M: { [nameKey('finance')]: { M: { id: { S: second.id }, at: { S: second.sealed.writtenAt } } } } });
    expect(raw?.live?.M?.[second.id]).toEqual({ S: second.sealed.writtenAt });
    expect(raw?.active_connection_id).toEqual({ S: active.id });
  });

  test('a name taken by another connection, whatever its case, is refused with ConnectionNameTakenError and the item goes', async () => {
    const org = newOrg('taken');
    await store.insertNamed(named(org, 'Finance'), now());
    const clash = named(org, 'FINANCE');
    await expect(store.insertNamed(clash, now())).rejects.toBeInstanceOf(ConnectionNameTakenError);
    expect(await rawItem(connectionKey(org, clash.id))).toBeUndefined();
    expect((await rawState(org))!.collection!.live.has(clash.id)).toBe(false);
  });

  test('maxConnections connections are allowed; one more is refused with ConnectionLimitError, named or seed', async () => {
    const org = newOrg('limit');
    const limited = new ConnectionStore(dynamoDb, tableName, { maxConnections: 2 });
    await limited.insertNamed(named(org, 'one'), now());
    await limited.insertNamed(named(org, 'two'), now());
    const third = named(org, 'three');
    const refused = limited.insertNamed(third, now());
    await expect(refused).rejects.toBeInstanceOf(ConnectionLimitError);
    await expect(refused).rejects.toThrow('This organization has 2 connections');
    const seed = connection(org);
    await expect(limited.insertActive(seed)).rejects.toBeInstanceOf(ConnectionLimitError);
    expect(await sortKeys(org)).toHaveLength(3);
    expect(await rawItem(connectionKey(org, third.id))).toBeUndefined();
    expect(await rawItem(connectionKey(org, seed.id))).toBeUndefined();
  });

  test('at the limit, a seed POST that replaces the unnamed active connection is allowed', async () => {
    const org = newOrg('limit-replace');
    const limited = new ConnectionStore(dynamoDb, tableName, { maxConnections: 2 });
    await limited.insertActive(connection(org));
    await limited.insertNamed(named(org, 'one'), now());
    const replacement = connection(org);
    expect(await limited.insertActive(replacement)).toBe(true);
    expect((await limited.list(org)).records).toHaveLength(2);
  });
});

describe('update (PATCH)', () => {
  test('an edit writes its fields, version + 1, both stamps and clears the last test; the record reads it back', async () => {
    const org = newOrg('update');
    const created = connection(org);
    await store.insertActive(created);
    expect(
      await store.recordTestOutcome(recordOf(created), {
        status: 'connected',
        testedAt: created.createdAt,
        latencyMs: 7,
        stages: [{ name: 'connect', ok: true, ms: 7 }],
      }),
    ).toBe(true);
    const edit = connectionEdit({ plain: true, seal: true, name: 'Renamed' }, tick());
    await store.update((await store.getSummary(org))!, edit, now());
    const item = await rawItem(connectionKey(org, created.id));
    expect(item).toEqual({
      ...toItem(created),
      name: { S: 'Renamed' },
      project_id: { S: 'proj-2' },
      dataset_id: { NULL: true },
      settings: { S: '{"statement_timeout_ms":9000}' },
      credentials: { S: '{"host":"db2.example.test","port":6543,"username":"writer"}' },
      stored_secrets: { S: '["password","ssl_key"]' },
      updated_at: { S: edit.updatedAt },
      version: { N: '2' },
      write_stamp: { S: edit.writeStamp },
      sealed_stamp: { S: edit.writeStamp },
      key_id: { S: 'arn:aws:kms:local:key/other' },
      encrypted_data_key: { B: Uint8Array.from([21]) },
      iv: { B: Uint8Array.from([22]) },
      auth_tag: { B: Uint8Array.from([23]) },
      ciphertext: { B: Uint8Array.from([24]) },
    });
    const after = await rawState(org);
    expect(after!.collection!.live.get(created.id)).toBe(edit.writeStamp);
    expect(after!.collection!.names).toEqual(new Map([[nameKey('Renamed'), { connectionId: created.id, reservedAt: edit.writeStamp }]]));
  });

  test('an edit of the plain attributes without a new seal clears the last test and keeps the seal', async () => {
    const org = newOrg('plain-only');
    const created = connection(org);
    await store.insertActive(created);
    await store.recordTestOutcome(recordOf(created), { status: 'connected', testedAt: created.createdAt, latencyMs: 2, stages: [] });
    const edit = connectionEdit({ plain: true }, tick());
    await store.update((await store.getSummary(org))!, edit, now());
    const after = await store.getWithSecret(org);
    expect(after).toMatchObject({ status: null, lastTestedAt: null, latencyMs: null, lastStages: null, version: 2, datasetId: null });
    expect({ ...after!.sealed }).toEqual(created.sealed);
    expect(after!.sealedStamp).toBe(created.sealedStamp);
  });

  test('a name-only edit keeps the last test and the seal', async () => {
    const org = newOrg('rename-only');
    const created = named(org, 'Before');
    await store.insertNamed(created, now());
    const outcome = {
      status: 'failed' as const,
      testedAt: created.createdAt,
      latencyMs: 3,
      stages: [{ name: 'resolve' as const, ok: false, ms: 3 }],
    };
    await store.recordTestOutcome(recordOf(created), outcome);
    const edit = connectionEdit({ name: 'After' }, tick());
    await store.update((await store.getSummary(org, created.id))!, edit, now());
    expect(await store.getSummary(org, created.id)).toEqual({
      ...recordOf(created),
      name: 'After',
      updatedAt: edit.updatedAt,
      version: 2,
      status: 'failed',
      lastTestedAt: created.createdAt,
      latencyMs: 3,
      lastStages: outcome.stages,
    });
  });

  test('a rename releases the old name: another connection may take it, and the new one is taken', async () => {
    const org = newOrg('rename');
    const first = named(org, 'Alpha');
    await store.insertNamed(first, now());
    await store.update(recordOf(first), connectionEdit({ name: 'Beta' }, tick()), now());
    await expect(store.insertNamed(named(org, 'beta'), now())).rejects.toBeInstanceOf(ConnectionNameTakenError);
    const reuse = named(org, 'alpha');
    await store.insertNamed(reuse, now());
    expect((await rawState(org))!.collection!.names.get(nameKey('Alpha'))?.connectionId).toBe(reuse.id);
  });

  test('a rename to a name another connection holds is refused with ConnectionNameTakenError and changes nothing', async () => {
    const org = newOrg('rename-taken');
    await store.insertNamed(named(org, 'Alpha'), now());
    const second = named(org, 'Beta');
    await store.insertNamed(second, now());
    await expect(store.update(recordOf(second), connectionEdit({ name: 'ALPHA' }, tick()), now())).rejects.toBeInstanceOf(
      ConnectionNameTakenError,
    );
    expect(await rawItem(connectionKey(org, second.id))).toEqual(toItem(second));
  });

  test('an edit of a version that is no longer current is refused with VersionMismatchError naming the current version', async () => {
    const org = newOrg('mismatch');
    const created = connection(org);
    await store.insertActive(created);
    await store.update(recordOf(created), connectionEdit({ plain: true }, tick()), now());
    const stale = store.update(recordOf(created), connectionEdit({ name: 'Late' }, tick()), now());
    await expect(stale).rejects.toBeInstanceOf(VersionMismatchError);
    await expect(stale).rejects.toThrow('it is at version 2');
    expect((await rawItem(connectionKey(org, created.id)))?.version).toEqual({ N: '2' });
    // The name the refused edit reserved is released again.
    expect((await rawState(org))!.collection!.names.size).toBe(0);
  });
});

describe('reads refuse items put back after a newer write', () => {
  test('an older item put back after a new seal is refused by GET and left out of list', async () => {
    const org = newOrg('resurrect');
    const created = connection(org);
    await store.insertActive(created);
    await store.update(recordOf(created), connectionEdit({ seal: true }, tick()), now());
    await putRawItem(toItem(created));
    await expect(store.getSummary(org)).rejects.toBeInstanceOf(StoredConnectionUnreadableError);
    expect((await store.list(org)).records).toEqual([]);
  });

  test('an item the state does not list is never read', async () => {
    const org = newOrg('unlisted');
    const active = connection(org);
    await store.insertActive(active);
    const stray = connection(org);
    await putRawItem(toItem(stray));
    expect(await store.getSummary(org, stray.id)).toBeNull();
    expect((await store.list(org)).records.map((record) => record.id)).toEqual([active.id]);
  });
});

describe('list', () => {
  test('lists every connection newest first (ties by id, descending), without credentials, and names the active one', async () => {
    const org = newOrg('list');
    const oldest = named(org, 'a');
    const middle = named(org, 'b');
    const newest = connection(org);
    const sameTime = named(org, 'c', { createdAt: middle.createdAt, updatedAt: middle.createdAt });
    await store.insertNamed(oldest, now());
    await store.insertNamed(middle, now());
    await store.insertNamed(sameTime, now());
    await store.insertActive(newest);
    const tied = [middle, sameTime].sort((x, y) => (x.id < y.id ? 1 : -1));
    const { records, activeId, cursorKey } = await store.list(org);
    expect(records).toEqual([listed(newest), ...tied.map(listed), listed(oldest)]);
    expect(activeId).toBe(newest.id);
    expect(cursorKey).toEqual((await rawItem(stateKey(org)))?.cursor_key?.B);
  });

  test('list shows the last test of each connection', async () => {
    const org = newOrg('list-status');
    const created = connection(org);
    await store.insertActive(created);
    const stages = [{ name: 'connect' as const, ok: true, ms: 5 }];
    await store.recordTestOutcome(recordOf(created), { status: 'connected', testedAt: created.createdAt, latencyMs: 5, stages });
    expect((await store.list(org)).records).toEqual([
      { ...listed(created), status: 'connected', lastTestedAt: created.createdAt, latencyMs: 5, lastStages: stages },
    ]);
  });

  test('an organization without connections lists none, none active, no cursor key', async () => {
    expect(await store.list(newOrg('empty'))).toEqual({ records: [], activeId: null, cursorKey: undefined });
  });

  test('list reads past DynamoDB page boundaries (more than 1 MB of items)', async () => {
    const org = newOrg('pages');
    const bulky = { host: 'db.example.test', port: 5432, username: 'reader', padding: 'x'.repeat(60_000) };
    const all: StoredConnection[] = [];
    for (let index = 0; index < 20; index += 1) {
      const item = named(org, `bulk-${index}`, { credentials: bulky });
      await store.insertNamed(item, now());
      all.push(item);
    }
    queryPages.length = 0;
    const { records } = await store.list(org);
    expect(queryPages.length).toBeGreaterThan(1);
    expect(queryPages.at(-1)).toBe(false);
    expect(records.map((record) => record.id)).toEqual(all.map((item) => item.id).reverse());
  });
});

describe('remove and activate', () => {
  test('removing the active connection deletes its item, its listing, its names and the active pointer', async () => {
    const org = newOrg('remove');
    const created = named(org, 'Gone');
    await store.insertNamed(created, now());
    const stamp = newWriteStamp(tick(), randomUUID());
    expect(await store.activate(org, created.id, stamp)).toBe(true);
    expect((await rawState(org))?.activeConnectionId).toBe(created.id);
    const removedAt = newWriteStamp(tick(), randomUUID());
    const logged = capturedLogLines().length;
    expect(await store.remove(org, undefined, 1, removedAt)).toBe(created.id);
    // A remove that landed reads nothing back: the read would find the listing without its item and warn.
    expect(logLinesSince(logged)).toEqual([]);
    expect(await sortKeys(org)).toEqual(['STATE']);
    const raw = await rawItem(stateKey(org));
    expect({ ...raw, cursor_key: undefined }).toEqual({
      ...stateKey(org),
      active_connection_id: { NULL: true },
      write_stamp: { S: removedAt },
      live: { M: {} },
      names: { M: {} },
      cursor_key: undefined,
    });
    expect(await store.getSummary(org)).toBeNull();
    await store.insertNamed(named(org, 'gone'), now());
  });

  test('removing another connection leaves the active one active', async () => {
    const org = newOrg('remove-other');
    const active = connection(org);
    await store.insertActive(active);
    const other = named(org, 'Other');
    await store.insertNamed(other, now());
    expect(await store.remove(org, other.id, undefined, newWriteStamp(tick(), randomUUID()))).toBe(other.id);
    expect(await rawState(org)).toMatchObject({ activeConnectionId: active.id, writeStamp: active.sealed.writtenAt });
    expect([...(await rawState(org))!.collection!.live.keys()]).toEqual([active.id]);
  });

  test('a remove at a stale version is refused with VersionMismatchError and deletes nothing', async () => {
    const org = newOrg('remove-stale');
    const created = connection(org);
    await store.insertActive(created);
    await expect(store.remove(org, created.id, 2, newWriteStamp(tick(), randomUUID()))).rejects.toBeInstanceOf(VersionMismatchError);
    expect(await rawItem(connectionKey(org, created.id))).toEqual(toItem(created));
  });

  test('removing a connection that does not exist answers null', async () => {
    const org = newOrg('remove-none');
    expect(await store.remove(org, undefined, undefined, newWriteStamp(tick(), randomUUID()))).toBeNull();
    expect(await store.remove(org, randomUUID(), undefined, newWriteStamp(tick(), randomUUID()))).toBeNull();
  });

  test('activate makes a listed connection active with its stamp; an unknown one answers false', async () => {
    const org = newOrg('activate');
    const first = connection(org);
    await store.insertActive(first);
    const second = named(org, 'Second');
    await store.insertNamed(second, now());
    const stamp = newWriteStamp(tick(), randomUUID());
    expect(await store.activate(org, second.id, stamp)).toBe(true);
    expect(await rawState(org)).toMatchObject({ activeConnectionId: second.id, writeStamp: stamp });
    expect(await store.getDetail(org)).toEqual({ record: recordOf(second), activeId: second.id });
    expect(await store.activate(org, randomUUID(), newWriteStamp(tick(), randomUUID()))).toBe(false);
  });
});

describe('test outcomes and the test limit', () => {
  test('recordTestOutcome writes the status attributes; at a stale version it writes nothing', async () => {
    const org = newOrg('outcome');
    const created = connection(org);
    await store.insertActive(created);
    const stages = [
      { name: 'resolve' as const, ok: true, ms: 1 },
      { name: 'connect' as const, ok: false, ms: 30 },
    ];
    expect(
      await store.recordTestOutcome(recordOf(created), { status: 'failed', testedAt: '2026-11-26T12:00:00.000Z', latencyMs: 31, stages }),
    ).toBe(true);
    expect(await rawItem(connectionKey(org, created.id))).toEqual({
      ...toItem(created),
      status: { S: 'failed' },
      last_tested_at: { S: '2026-11-26T12:00:00.000Z' },
      latency_ms: { N: '31' },
      last_stages: { S: JSON.stringify(stages) },
    });
    const stale = { ...recordOf(created), version: 7 };
    expect(await store.recordTestOutcome(stale, { status: 'connected', testedAt: created.createdAt, latencyMs: 1, stages: [] })).toBe(
      false,
    );
    expect((await store.getSummary(org))?.status).toBe('failed');
  });

  test('admitTest admits limit.tests tests per window, counting in LIMIT#TEST#<window start> that expires a minute after the window', async () => {
    const org = newOrg('limit-tests');
    const limit = { tests: 2, windowSeconds: 60 };
    const at = 1_764_000_015_500;
    expect(await store.admitTest(org, limit, at)).toEqual({ admitted: true });
    expect(await store.admitTest(org, limit, at + 1_000)).toEqual({ admitted: true });
    expect(await store.admitTest(org, limit, at + 2_000)).toEqual({ admitted: false, retryAfterSeconds: 43 });
    expect(await rawItem(testLimitKey(org, 1_764_000_000))).toEqual({
      ...testLimitKey(org, 1_764_000_000),
      tests: { N: '2' },
      expires_at: { N: String(1_764_000_060 + 60) },
    });
    expect(await store.admitTest(org, limit, 1_764_000_060_000)).toEqual({ admitted: true });
    expect(await store.admitTest(`${org}-other`, limit, at + 2_000)).toEqual({ admitted: true });
  });

  test('a refused test is told to retry after at least one second', async () => {
    const org = newOrg('limit-edge');
    const limit = { tests: 1, windowSeconds: 10 };
    await store.admitTest(org, limit, 1_764_000_009_900);
    expect(await store.admitTest(org, limit, 1_764_000_009_950)).toEqual({ admitted: false, retryAfterSeconds: 1 });
  });
});

describe('cursor key', () => {
  test('made once per organization (32 bytes) and the same on every later call', async () => {
    const org = newOrg('cursor');
    const key = await store.cursorKey(org);
    expect(key).toHaveLength(32);
    expect(await store.cursorKey(org)).toEqual(key);
    expect((await rawItem(stateKey(org)))?.cursor_key?.B).toEqual(key);
    expect(await store.cursorKey(newOrg('cursor-other'))).not.toEqual(key);
  });
});

describe('the connection stored before named connections (CONNECTION#ACTIVE)', () => {
  test('an organization without a live state reads its CONNECTION#ACTIVE item as the active one, sealed whole', async () => {
    const org = newOrg('legacy-read');
    const item = await legacyItem(org, STORED_ONLY_DEFINITION, 2);
    const id = item.id!.S!;
    expect(await store.getSummary(org)).toMatchObject({
      id,
      storedAtLegacyKey: true,
      version: 0,
      formatVersion: 2,
      credentials: null,
      sealedStamp: item.write_stamp!.S,
    });
    expect(await store.getSummary(org, randomUUID())).toBeNull();
    const { records, activeId } = await store.list(org);
    expect(records.map((record) => [record.id, record.storedAtLegacyKey])).toEqual([[id, true]]);
    expect(activeId).toBe(id);
  });

  test('a CONNECTION#ACTIVE item older than the last write of its organization is refused, and the refusal logged', async () => {
    const org = newOrg('legacy-stale');
    const item = await legacyItem(org, STORED_ONLY_DEFINITION, 2);
    const id = item.id!.S!;
    const newer = newWriteStamp(Date.now() + 60_000, randomUUID());
    await putRawItem({ ...stateKey(org), active_connection_id: { S: id }, write_stamp: { S: newer } });
    const logged = capturedLogLines().length;
    await expect(store.getSummary(org)).rejects.toMatchObject({ reason: 'an older connection item was put back after a newer write' });
    expect(logLinesSince(logged)).toEqual([
      expect.objectContaining({ level: 'warn', event: 'connection.stale_item_refused', organization_id: org, connection_id: id }),
    ]);

    // The same, once the organization has deleted its connection: there is none.
    await putRawItem({ ...stateKey(org), active_connection_id: { NULL: true }, write_stamp: { S: newer } });
    expect(await store.getSummary(org)).toBeNull();
  });

  test('the first write since named connections lists it as legacy_id, live at its sealed stamp, still active, at its key', async () => {
    const org = newOrg('legacy-init');
    const item = await legacyItem(org, STORED_ONLY_DEFINITION, 2);
    const id = item.id!.S!;
    const second = named(org, 'Second');
    await store.insertNamed(second, now());
    expect(await rawState(org)).toMatchObject({
      activeConnectionId: id,
      collection: {
        live: new Map([
          [id, item.write_stamp!.S!],
          [second.id, second.sealed.writtenAt!],
        ]),
        legacyId: id,
      },
    });
    expect(await rawItem(connectionKey(org, 'legacy'))).toEqual(item);
    expect((await store.getSummary(org))?.id).toBe(id);
    expect((await store.list(org)).records.map((record) => record.id).sort()).toEqual([id, second.id].sort());
  });

  test('a seed POST replacing it deletes CONNECTION#ACTIVE and drops legacy_id', async () => {
    const org = newOrg('legacy-replace');
    await legacyItem(org, STORED_ONLY_DEFINITION, 2);
    const seed = connection(org);
    expect(await store.insertActive(seed)).toBe(true);
    expect(await sortKeys(org)).toEqual([`CONNECTION#${seed.id}`, 'STATE']);
    expect((await rawItem(stateKey(org)))?.legacy_id).toBeUndefined();
    expect((await rawState(org))?.collection?.legacyId).toBeNull();
  });

  test('a test outcome and an edit of it land on CONNECTION#ACTIVE (version 0 -> 1)', async () => {
    const org = newOrg('legacy-edit');
    await legacyItem(org, STORED_ONLY_DEFINITION, 2);
    const before = (await store.getSummary(org))!;
    expect(await store.recordTestOutcome(before, { status: 'connected', testedAt: before.createdAt, latencyMs: 4, stages: [] })).toBe(true);
    expect((await rawItem(connectionKey(org, 'legacy')))?.status).toEqual({ S: 'connected' });
    await store.update(before, connectionEdit({ name: 'Legacy' }, tick()), now());
    expect(await rawItem(connectionKey(org, 'legacy'))).toMatchObject({ name: { S: 'Legacy' }, version: { N: '1' } });
    expect(await store.getSummary(org)).toMatchObject({ id: before.id, name: 'Legacy', version: 1, storedAtLegacyKey: true });
    await expect(store.update(before, connectionEdit({ name: 'Again' }, tick()), now())).rejects.toBeInstanceOf(VersionMismatchError);
  });

  test('removing it deletes CONNECTION#ACTIVE and drops legacy_id', async () => {
    const org = newOrg('legacy-remove');
    const item = await legacyItem(org, STORED_ONLY_DEFINITION, 1);
    expect(await store.remove(org, undefined, 0, newWriteStamp(tick(), randomUUID()))).toBe(item.id!.S);
    expect(await sortKeys(org)).toEqual(['STATE']);
    expect((await rawItem(stateKey(org)))?.legacy_id).toBeUndefined();
  });
});

describe('items that are not as the service left them', () => {
  test('a listed connection whose item is gone reads as none, with a warning', async () => {
    const org = newOrg('listed-gone');
    const created = named(org, 'Gone');
    await store.insertNamed(created, now());
    await dynamoDb.send(new DeleteItemCommand({ TableName: tableName, Key: connectionKey(org, created.id) }));
    const logged = capturedLogLines().length;
    expect(await store.getSummary(org, created.id)).toBeNull();
    expect(logLinesSince(logged)).toEqual([
      expect.objectContaining({ level: 'warn', event: 'connection.listed_item_missing', organization_id: org, connection_id: created.id }),
    ]);
  });

  test('an item that holds another connection than its key names is refused, with that reason', async () => {
    const org = newOrg('other-id');
    const created = named(org, 'Mine');
    await store.insertNamed(created, now());
    await putRawItem({ ...toItem(created), id: { S: randomUUID() } });
    await expect(store.getSummary(org, created.id)).rejects.toMatchObject({
      reason: 'the item holds another connection than its key names',
    });
  });

  test('an older item put back after a newer write is refused, with that reason', async () => {
    const org = newOrg('put-back');
    const created = named(org, 'First');
    await store.insertNamed(created, now());
    const older = await rawItem(connectionKey(org, created.id));
    await store.update(recordOf(created), connectionEdit({ plain: true, seal: true, name: 'Second' }, tick()), tick());
    await putRawItem(older!);
    await expect(store.getSummary(org, created.id)).rejects.toMatchObject({
      reason: 'an older connection item was put back after a newer write',
    });
  });

  test('a damaged item is left out of the list, with a warning naming the attribute; the others are listed', async () => {
    const org = newOrg('list-damaged');
    const fine = named(org, 'Fine');
    const damaged = named(org, 'Damaged');
    await store.insertNamed(fine, now());
    await store.insertNamed(damaged, now());
    await putRawItem({ ...toItem(damaged), provider: { S: 'oracle' } });
    const logged = capturedLogLines().length;
    expect((await store.list(org)).records.map((record) => record.id)).toEqual([fine.id]);
    expect(logLinesSince(logged)).toEqual([
      expect.objectContaining({
        level: 'warn',
        event: 'connection.unreadable_item_skipped',
        organization_id: org,
        error_type: 'StoredConnectionUnreadableError',
        reason: 'attribute provider.S',
      }),
    ]);
  });
});

describe('name reservations left by a failed rename', () => {
  /** Adds a reservation of `name` to the state item as a rename that failed half-way leaves it. */
  async function leaveReservation(org: string, name: string, holder: string, reservedAtMs: number): Promise<void> {
    const raw = (await rawItem(stateKey(org)))!;
    const names = { ...raw.names!.M!, [nameKey(name)]: { M: { id: { S: holder }, at: { S: newWriteStamp(reservedAtMs, randomUUID()) } } } };
    await putRawItem({ ...raw, names: { M: names } });
  }

  test('a reservation by a connection that is gone is taken over once it is a minute old, not before', async () => {
    const org = newOrg('stale-gone');
    await store.insertNamed(named(org, 'Alpha'), now());
    const reservedAt = 1_795_694_400_000;
    await leaveReservation(org, 'Ghost', randomUUID(), reservedAt);
    await expect(store.insertNamed(named(org, 'ghost'), reservedAt + 59_999)).rejects.toBeInstanceOf(ConnectionNameTakenError);
    const taker = named(org, 'ghost');
    await store.insertNamed(taker, reservedAt + 60_000);
    expect((await rawState(org))!.collection!.names.get(nameKey('Ghost'))).toEqual({
      connectionId: taker.id,
      reservedAt: taker.sealed.writtenAt,
    });
  });

  test('an old reservation whose live holder does not carry the name is taken over; one whose holder carries it never is', async () => {
    const org = newOrg('stale-live');
    const holder = named(org, 'Alpha');
    await store.insertNamed(holder, now());
    const reservedAt = 1_795_694_400_000;
    await leaveReservation(org, 'Beta', holder.id, reservedAt);
    await store.insertNamed(named(org, 'beta'), reservedAt + 120_000);
    await expect(store.insertNamed(named(org, 'ALPHA'), Date.now() + 365 * 86_400_000)).rejects.toBeInstanceOf(ConnectionNameTakenError);
  });
});

describe('concurrent writers', () => {
  const verdicts = (outcomes: PromiseSettledResult<void>[]) =>
    outcomes.map((outcome) => (outcome.status === 'fulfilled' ? 'landed' : (outcome.reason as Error).constructor.name)).sort();

  test('of five concurrent creates of one name, exactly one wins and only its item stays', async () => {
    const org = newOrg('race-name');
    const racers = [0, 1, 2, 3, 4].map((index) => named(org, index % 2 ? 'Shared' : 'SHARED'));
    const outcomes = await Promise.allSettled(racers.map((racer) => store.insertNamed(racer, now())));
    expect(verdicts(outcomes)).toEqual([...Array<string>(4).fill('ConnectionNameTakenError'), 'landed']);
    const winner = racers[outcomes.findIndex((outcome) => outcome.status === 'fulfilled')]!;
    expect(await sortKeys(org)).toEqual([`CONNECTION#${winner.id}`, 'STATE']);
    expect((await rawState(org))!.collection!.names.get(nameKey('shared'))?.connectionId).toBe(winner.id);
  });

  test('concurrent creates beyond the limit: exactly maxConnections land, the others get ConnectionLimitError', async () => {
    const org = newOrg('race-limit');
    const limited = new ConnectionStore(dynamoDb, tableName, { maxConnections: 3 });
    const racers = [0, 1, 2, 3, 4, 5].map((index) => named(org, `racer-${index}`));
    const outcomes = await Promise.allSettled(racers.map((racer) => limited.insertNamed(racer, now())));
    expect(verdicts(outcomes)).toEqual([...Array<string>(3).fill('ConnectionLimitError'), 'landed', 'landed', 'landed']);
    expect((await limited.list(org)).records).toHaveLength(3);
    expect(await sortKeys(org)).toHaveLength(4);
  });
});
