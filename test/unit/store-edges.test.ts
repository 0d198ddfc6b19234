import { DeleteItemCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { ConnectionNameTakenError, VersionMismatchError } from '../../lib/errors.js';
import { connectionKey, stateKey, toItem, type Key } from '../../lib/store/connection-item.js';
import { ConnectionStore } from '../../lib/store/connection-store.js';
import { nameKey } from '../../lib/store/organization-state.js';
import { interposedDynamoDb } from '../helpers/interposed-dynamodb.js';
import { capturedLogLines, logLinesSince } from '../helpers/logs.js';
import { connectionEdit, recordOf, storeFixtures } from '../helpers/stored-connection.js';
import { legacyItem, putRawItem, rawItem, rawState, STORED_ONLY_DEFINITION } from '../helpers/stored-items.js';

/**
 * ConnectionStore at the edges of its rules: edits that repeat what holds, writes on connections
 * that went, reservations whose holder is not as it was, the connection of the earlier format
 * (CONNECTION#ACTIVE) beside newer ones, and items in the partition that the state does not list.
 */
const table = interposedDynamoDb();
const tableName = process.env.TABLE_NAME!;
const store = new ConnectionStore(table.client, tableName);
const { newOrg, now, tick, connection, named, stampAt } = storeFixtures('edges');

const holderOf = async (org: string, name: string) => (await rawState(org))!.collection!.names.get(nameKey(name))?.connectionId;
const listedIds = async (org: string) => (await store.list(org)).records.map((record) => record.id);
const deleteRaw = (key: Key) => table.plain.send(new DeleteItemCommand({ TableName: tableName, Key: key }));

/** Adds a reservation of `name` for `holder` to the state, as a rename that failed half-way leaves it. */
async function leaveReservation(org: string, name: string, holder: string, reservedAtMs: number): Promise<void> {
  await table.updateState(
    org,
    'SET #names.#key = :held',
    { '#names': 'names', '#key': nameKey(name) },
    { ':held': { M: { id: { S: holder }, at: { S: stampAt(reservedAtMs) } } } },
  );
}

describe('edits that repeat what holds', () => {
  test('an edit giving the name it has, in another case, keeps the name reserved for it', async () => {
    const org = newOrg('same-name');
    const created = named(org, 'Sales');
    await store.insertNamed(created, now());
    await store.update(recordOf(created), connectionEdit({ name: 'SALES' }, tick()), now());
    expect(await holderOf(org, 'sales')).toBe(created.id);
    await expect(store.insertNamed(named(org, 'sales'), now())).rejects.toBeInstanceOf(ConnectionNameTakenError);
  });

  test('an edit at a stale version that repeats the name is refused and keeps the name reserved', async () => {
    const org = newOrg('stale-same-name');
    const created = named(org, 'Sales');
    await store.insertNamed(created, now());
    await store.update(recordOf(created), connectionEdit({ plain: true }, tick()), now());
    await expect(store.update(recordOf(created), connectionEdit({ name: 'Sales', plain: true }, tick()), now())).rejects.toBeInstanceOf(
      VersionMismatchError,
    );
    expect(await holderOf(org, 'Sales')).toBe(created.id);
  });

  test('a rename to a name the connection already holds (its own failed rename left it) lands and releases the old name', async () => {
    const org = newOrg('own-reservation');
    const created = named(org, 'Before');
    await store.insertNamed(created, now());
    await leaveReservation(org, 'After', created.id, Date.now());
    await store.update(recordOf(created), connectionEdit({ name: 'After' }, tick()), now());
    expect([await holderOf(org, 'after'), await holderOf(org, 'before')]).toEqual([created.id, undefined]);
  });
});

describe('writes on a connection that went', () => {
  test('an edit of a removed connection is refused: the connection went while it was edited', async () => {
    const org = newOrg('edit-gone');
    const created = named(org, 'Gone');
    await store.insertNamed(created, now());
    await store.remove(org, created.id, undefined, stampAt(tick()));
    await expect(store.update(recordOf(created), connectionEdit({ plain: true }, tick()), now())).rejects.toMatchObject({
      reason: 'the connection went while it was edited',
    });
  });

  test('a rename of a removed connection is refused: the connection went while it was renamed', async () => {
    const org = newOrg('rename-gone');
    const created = named(org, 'Gone');
    await store.insertNamed(created, now());
    await store.remove(org, created.id, undefined, stampAt(tick()));
    await expect(store.update(recordOf(created), connectionEdit({ name: 'Other' }, tick()), now())).rejects.toMatchObject({
      reason: 'the connection went while it was renamed',
    });
    expect(await holderOf(org, 'Other')).toBeUndefined();
  });

  test('removing an id the organization does not have answers null and changes nothing', async () => {
    const org = newOrg('remove-unknown');
    await store.insertActive(connection(org));
    const before = await rawItem(stateKey(org));
    expect(await store.remove(org, randomUUID(), undefined, stampAt(tick()))).toBeNull();
    expect(await rawItem(stateKey(org))).toEqual(before);
  });

  test.each([
    ['at a version (the item is looked for to compare its version: its absence is warned of)', 1, ['connection.listed_item_missing']],
    ['without a version', undefined, []],
  ])('removing %s a listed connection whose item is gone completes the delete: its id, no listing left', async (_, version, warnings) => {
    const org = newOrg('remove-half-done');
    const created = connection(org);
    await store.insertActive(created);
    await deleteRaw(connectionKey(org, created.id));
    const logged = capturedLogLines().length;
    expect(await store.remove(org, undefined, version, stampAt(tick()))).toBe(created.id);
    expect(logLinesSince(logged).map((line) => line.event)).toEqual(warnings);
    expect(await rawState(org)).toMatchObject({ activeConnectionId: null });
    expect((await rawState(org))!.collection!.live.size).toBe(0);
  });
});

describe('reservations whose holder is not as it was', () => {
  const reservedAt = 1_795_694_400_000;

  test('a holder the state no longer lists, its item left behind still carrying the name: taken over once stale', async () => {
    const org = newOrg('holder-unlisted');
    await store.insertNamed(named(org, 'Alpha'), now());
    const ghost = named(org, 'Ghost');
    await putRawItem(toItem(ghost));
    await leaveReservation(org, 'Ghost', ghost.id, reservedAt);
    const taker = named(org, 'ghost');
    await store.insertNamed(taker, reservedAt + 120_000);
    expect(await holderOf(org, 'ghost')).toBe(taker.id);
  });

  test('a listed holder whose item is gone, or carries no name: taken over once stale', async () => {
    const org = newOrg('holder-itemless');
    const gone = named(org, 'Gone');
    const unnamed = connection(org);
    await store.insertNamed(gone, now());
    await store.insertActive(unnamed);
    await deleteRaw(connectionKey(org, gone.id));
    await leaveReservation(org, 'First', gone.id, reservedAt);
    await leaveReservation(org, 'Second', unnamed.id, reservedAt);
    const first = named(org, 'first');
    const second = named(org, 'second');
    await store.insertNamed(first, reservedAt + 120_000);
    await store.insertNamed(second, reservedAt + 120_000);
    expect([await holderOf(org, 'first'), await holderOf(org, 'second')]).toEqual([first.id, second.id]);
  });
});

describe('the connection of the earlier format (CONNECTION#ACTIVE) beside newer ones', () => {
  test('named, it stays at its key and listed as legacy_id through seed POSTs that replace each other', async () => {
    const org = newOrg('legacy-named');
    const legacy = await legacyItem(org, STORED_ONLY_DEFINITION, 2);
    const id = legacy.id!.S!;
    await store.insertNamed(named(org, 'Other'), now());
    await store.update((await store.getSummary(org, id))!, connectionEdit({ name: 'Legacy' }, tick()), now());
    expect(await store.insertActive(connection(org))).toBe(true);
    expect(await store.insertActive(connection(org))).toBe(true);
    expect((await rawState(org))?.collection?.legacyId).toBe(id);
    expect(await store.getSummary(org, id)).toMatchObject({ id, name: 'Legacy', storedAtLegacyKey: true });
  });

  test('removing another connection leaves it listed as legacy_id and active', async () => {
    const org = newOrg('legacy-beside');
    const legacy = await legacyItem(org, STORED_ONLY_DEFINITION, 2);
    const other = named(org, 'Other');
    await store.insertNamed(other, now());
    await store.remove(org, other.id, undefined, stampAt(tick()));
    expect((await rawState(org))?.collection?.legacyId).toBe(legacy.id!.S);
    expect((await store.getSummary(org))?.id).toBe(legacy.id!.S);
  });

  test('before the first newer write: read by its id; a new seal of it initializes the state and is recorded there', async () => {
    const org = newOrg('legacy-sealed');
    const legacy = await legacyItem(org, STORED_ONLY_DEFINITION, 2);
    const id = legacy.id!.S!;
    const before = (await store.getSummary(org, id))!;
    expect(before).toMatchObject({ id, storedAtLegacyKey: true });
    const edit = connectionEdit({ seal: true }, tick());
    await store.update(before, edit, now());
    expect(await rawState(org)).toMatchObject({
      activeConnectionId: id,
      collection: { legacyId: id, live: new Map([[id, edit.writeStamp]]) },
    });
  });

  test('older than the last write: not listed, whether deleted since or put back; the connection list starts without it', async () => {
    const org = newOrg('legacy-stale');
    const legacy = await legacyItem(org, STORED_ONLY_DEFINITION, 2);
    await putRawItem({ ...stateKey(org), active_connection_id: { NULL: true }, write_stamp: { S: stampAt(Date.now() + 60_000) } });
    expect(await listedIds(org)).toEqual([]);

    await putRawItem({ ...stateKey(org), active_connection_id: { S: legacy.id!.S! }, write_stamp: { S: stampAt(Date.now() + 60_000) } });
    const later = named(org, 'Later');
    await store.insertNamed(later, now());
    expect(await listedIds(org)).toEqual([later.id]);
    expect((await rawState(org))?.collection?.legacyId).toBeNull();
  });
});

describe('items the state does not list, as the list sees them', () => {
  test('an item at a key the state does not name for its id, an item without an id, an unlisted item: none listed', async () => {
    const org = newOrg('list-strays');
    const legacy = await legacyItem(org, STORED_ONLY_DEFINITION, 2);
    const id = legacy.id!.S!;
    const kept = named(org, 'Kept');
    const idless = named(org, 'Idless');
    await store.insertNamed(kept, now());
    await store.insertNamed(idless, now());
    await putRawItem({ ...legacy, ...connectionKey(org, id) });
    const { id: dropped, ...withoutId } = toItem(idless);
    void dropped;
    await putRawItem(withoutId);
    await putRawItem(toItem(connection(org)));
    expect((await listedIds(org)).sort()).toEqual([id, kept.id].sort());
  });
});

describe('cursor key', () => {
  test('an organization whose state item predates cursor keys gets one; later calls only read it', async () => {
    const org = newOrg('cursor-late');
    await legacyItem(org, STORED_ONLY_DEFINITION, 2);
    const made = await store.cursorKey(org);
    expect(made).toHaveLength(32);
    table.interpose(undefined);
    expect(await store.cursorKey(org)).toEqual(made);
    expect(table.sent.map((sent) => sent.command)).toEqual(['GetItemCommand']);
  });
});
