import { DeleteItemCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { DependencyUnavailableError } from '../../lib/errors.js';
import { connectionKey, newWriteStamp, stateKey, type StoredConnection } from '../../lib/store/connection-item.js';
import { ConnectionStore } from '../../lib/store/connection-store.js';
import { nameKey } from '../../lib/store/organization-state.js';
import { interposedDynamoDb, isStateRead, isStateWrite, outage, type SentCommand } from '../helpers/interposed-dynamodb.js';
import { capturedLogLines, logLinesSince } from '../helpers/logs.js';
import { connectionEdit, recordOf, storeFixtures } from '../helpers/stored-connection.js';
import { rawItem, rawState } from '../helpers/stored-items.js';

/**
 * ConnectionStore when another writer changes the organization's state item between the store's
 * read of it and its conditional write: the write is tried again on what holds now, up to 12 times,
 * and then refused as a 503 (the other writer keeps winning), never lost or half-applied.
 */
const table = interposedDynamoDb();
const store = new ConnectionStore(table.client, process.env.TABLE_NAME!);
const { newOrg, now, tick, connection, named, stampAt } = storeFixtures('contention');
/** The other writer: the same store on a client that nothing interposes on. */
const other = new ConnectionStore(table.plain, process.env.TABLE_NAME!);

const stateWrites = (org: string) => table.sent.filter((sent) => isStateWrite(sent, org)).length;

/** A write time known to the test, for the stamps it expects: a change behind the state's stamp lands at that time + 1 ms. */
const writtenAtMs = (stored: StoredConnection) => Date.parse(stored.createdAt);

/** Runs `change` before each of the store's state writes (the first `times` of them). */
function beforeStateWrites(org: string, change: (write: number) => Promise<void>, times = Infinity): void {
  let writes = 0;
  table.interpose(async (sent) => {
    if (isStateWrite(sent, org) && writes < times) await change(writes++);
  });
}

/** Another writer moves the state's write stamp ahead of every stamp the store has seen. */
const bumpStamp = (org: string, base: number) => (write: number) =>
  table.updateState(
    org,
    'SET #stamp = :stamp',
    { '#stamp': 'write_stamp' },
    { ':stamp': { S: newWriteStamp(base + 1_000 * (write + 1), 'other') } },
  );

async function expectGaveUp(attempt: Promise<unknown>): Promise<void> {
  const error = await attempt.then(
    () => new Error('expected the write to give up'),
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(DependencyUnavailableError);
  expect(((error as Error).cause as Error).message).toBe('The state item changed on every attempt');
}

describe('a seed POST (insertActive)', () => {
  test('another seed POST landing between its read and its write is replaced in turn: the newer one is active, alone', async () => {
    const org = newOrg('insert-once');
    await store.insertActive(connection(org));
    const between = connection(org);
    const ours = connection(org);
    beforeStateWrites(org, () => other.insertActive(between).then(() => undefined), 1);
    expect(await store.insertActive(ours)).toBe(true);
    expect(stateWrites(org)).toBe(2);
    expect(await rawState(org)).toMatchObject({ activeConnectionId: ours.id, writeStamp: ours.sealed.writtenAt });
    expect([...(await rawState(org))!.collection!.live.keys()]).toEqual([ours.id]);
    expect(await rawItem(connectionKey(org, between.id))).toBeUndefined();
  });

  /** Two named connections of a new organization, made active in turn by another writer before each of the store's state writes. */
  async function activeChangesBeforeEveryWrite(org: string, alsoBefore: (sent: SentCommand) => void = () => undefined) {
    const first = named(org, 'First');
    const second = named(org, 'Second');
    await other.insertNamed(first, now());
    await other.insertNamed(second, now());
    let writes = 0;
    table.interpose(async (sent) => {
      alsoBefore(sent);
      if (!isStateWrite(sent, org)) return;
      const active = writes++ % 2 ? second.id : first.id;
      await table.updateState(org, 'SET #active = :active', { '#active': 'active_connection_id' }, { ':active': { S: active } });
    });
  }

  test('a state whose active connection changes before every write: 12 attempts, then a 503, and its item goes', async () => {
    const org = newOrg('insert-always');
    await activeChangesBeforeEveryWrite(org);
    const ours = connection(org);
    await expectGaveUp(store.insertActive(ours));
    expect(stateWrites(org)).toBe(12);
    expect(await rawItem(connectionKey(org, ours.id))).toBeUndefined();
    expect((await rawState(org))!.collection!.live.has(ours.id)).toBe(false);
  });

  test('when its item cannot be removed after the 12 attempts either, the warning names the reason: contention', async () => {
    const org = newOrg('insert-always-kept');
    await activeChangesBeforeEveryWrite(org, (sent) => {
      if (sent.command === 'DeleteItemCommand') throw outage();
    });
    const ours = connection(org);
    const logged = capturedLogLines().length;
    await expectGaveUp(store.insertActive(ours));
    expect(logLinesSince(logged)).toEqual([
      expect.objectContaining({ level: 'warn', event: 'connection.item_not_deleted', organization_id: org, reason: 'contention' }),
    ]);
    expect(await other.getSummary(org, ours.id)).toBeNull();
  });

  test('a stamp equal to the state write stamp has lost (false), and its item goes', async () => {
    const org = newOrg('insert-equal');
    const first = connection(org);
    await store.insertActive(first);
    const same = connection(org, { sealed: { ...first.sealed } });
    expect(await store.insertActive(same)).toBe(false);
    expect(await rawItem(connectionKey(org, same.id))).toBeUndefined();
    expect((await rawState(org))?.activeConnectionId).toBe(first.id);
  });

  test('a state whose active pointer names an unlisted connection: the new one is listed beside the others, nothing replaced', async () => {
    const org = newOrg('insert-unlisted-active');
    const kept = named(org, 'Kept');
    await other.insertNamed(kept, now());
    const unlisted = randomUUID();
    await table.updateState(org, 'SET #active = :active', { '#active': 'active_connection_id' }, { ':active': { S: unlisted } });
    const ours = connection(org);
    expect(await store.insertActive(ours)).toBe(true);
    expect(stateWrites(org)).toBe(1);
    expect([...(await rawState(org))!.collection!.live.keys()].sort()).toEqual([kept.id, ours.id].sort());
    expect((await rawState(org))?.activeConnectionId).toBe(ours.id);
  });
});

describe('activate', () => {
  test('a state stamp moved ahead between its read and its write: it lands one millisecond after it', async () => {
    const org = newOrg('activate-once');
    const target = named(org, 'Target');
    await store.insertActive(connection(org));
    await store.insertNamed(target, now());
    const aheadMs = now() + 3_600_000;
    const ahead = newWriteStamp(aheadMs, 'other');
    beforeStateWrites(org, () => table.updateState(org, 'SET #stamp = :stamp', { '#stamp': 'write_stamp' }, { ':stamp': { S: ahead } }), 1);
    const ownId = randomUUID();
    expect(await store.activate(org, target.id, newWriteStamp(tick(), ownId))).toBe(true);
    expect(stateWrites(org)).toBe(2);
    expect(await rawState(org)).toMatchObject({ activeConnectionId: target.id, writeStamp: newWriteStamp(aheadMs + 1, ownId) });
  });

  test('a stamp equal to the state stamp lands one millisecond after it; an older one too; a newer one as it is', async () => {
    const org = newOrg('activate-stamps');
    const first = named(org, 'First');
    const second = named(org, 'Second');
    await store.insertNamed(first, now());
    await store.insertNamed(second, now());
    const newerMs = tick();
    const newer = stampAt(newerMs);
    expect(await store.activate(org, first.id, newer)).toBe(true);
    expect((await rawState(org))?.writeStamp).toBe(newer);

    const equalId = randomUUID();
    const equal = newWriteStamp(newerMs, equalId);
    await table.updateState(org, 'SET #stamp = :stamp', { '#stamp': 'write_stamp' }, { ':stamp': { S: equal } });
    expect(await store.activate(org, second.id, equal)).toBe(true);
    expect(await rawState(org)).toMatchObject({ activeConnectionId: second.id, writeStamp: newWriteStamp(newerMs + 1, equalId) });

    const olderId = randomUUID();
    expect(await store.activate(org, first.id, newWriteStamp(now() - 3_600_000, olderId))).toBe(true);
    expect(await rawState(org)).toMatchObject({ activeConnectionId: first.id, writeStamp: newWriteStamp(newerMs + 2, olderId) });
  });

  test('a state stamp moved ahead before every write: 12 attempts, then a 503; the active connection stays', async () => {
    const org = newOrg('activate-always');
    const active = connection(org);
    const target = named(org, 'Target');
    await store.insertActive(active);
    await store.insertNamed(target, now());
    beforeStateWrites(org, bumpStamp(org, now() + 3_600_000));
    await expectGaveUp(store.activate(org, target.id, stampAt(tick())));
    expect(stateWrites(org)).toBe(12);
    expect((await rawState(org))?.activeConnectionId).toBe(active.id);
  });
});

describe('names (insertNamed, a rename)', () => {
  /** Another writer holds the name at each write, and lets it go before the store reads the state again. */
  function nameHeldAtEachWrite(org: string, name: string, holder: string, times = Infinity): void {
    const held = { '#names': 'names', '#key': nameKey(name) };
    let writes = 0;
    table.interpose(async (sent) => {
      if (isStateWrite(sent, org) && writes < times) {
        writes += 1;
        await table.updateState(org, 'SET #names.#key = :held', held, {
          ':held': { M: { id: { S: holder }, at: { S: stampAt(Date.now()) } } },
        });
      } else if (isStateRead(sent, org)) {
        await table.updateState(org, 'REMOVE #names.#key', held);
      }
    });
  }

  test('a name held at the first write and free at the next read is taken on the next attempt', async () => {
    const org = newOrg('name-once');
    const holder = named(org, 'Holder');
    await store.insertNamed(holder, now());
    const ours = named(org, 'Flicker');
    nameHeldAtEachWrite(org, 'Flicker', holder.id, 1);
    await store.insertNamed(ours, now());
    expect(stateWrites(org)).toBe(2);
    expect((await rawState(org))!.collection!.names.get(nameKey('flicker'))?.connectionId).toBe(ours.id);
  });

  test('a rename at the connection limit whose name was held at the first write lands on the next attempt', async () => {
    const org = newOrg('name-limit');
    const limited = new ConnectionStore(table.client, process.env.TABLE_NAME!, { maxConnections: 2 });
    const renamed = named(org, 'Before');
    const holder = named(org, 'Holder');
    await limited.insertNamed(renamed, now());
    await limited.insertNamed(holder, now());
    nameHeldAtEachWrite(org, 'After', holder.id, 1);
    await limited.update(recordOf(renamed), connectionEdit({ name: 'After' }, tick()), now());
    expect(stateWrites(org)).toBe(3); // the reservation refused, taken on the next attempt, the old name released
    expect((await rawState(org))!.collection!.names.get(nameKey('after'))?.connectionId).toBe(renamed.id);
    expect((await rawState(org))!.collection!.names.has(nameKey('before'))).toBe(false);
  });

  test('a name held at every write and free at every read: 12 attempts, then a 503, and the new item goes', async () => {
    const org = newOrg('name-always');
    const holder = named(org, 'Holder');
    await store.insertNamed(holder, now());
    const ours = named(org, 'Flicker');
    nameHeldAtEachWrite(org, 'Flicker', holder.id);
    await expectGaveUp(store.insertNamed(ours, now()));
    expect(stateWrites(org)).toBe(12);
    expect(await rawItem(connectionKey(org, ours.id))).toBeUndefined();
  });
});

describe('remove', () => {
  test('the active connection removed while the state stamp is ahead, or equal: cleared one millisecond after it', async () => {
    const org = newOrg('remove-ahead');
    const first = connection(org);
    await store.insertActive(first);
    const ownId = randomUUID();
    expect(await store.remove(org, undefined, undefined, newWriteStamp(now() - 3_600_000, ownId))).toBe(first.id);
    expect(await rawState(org)).toMatchObject({ activeConnectionId: null, writeStamp: newWriteStamp(writtenAtMs(first) + 1, ownId) });

    const second = connection(org);
    await store.insertActive(second);
    expect(await store.remove(org, undefined, undefined, second.sealed.writtenAt!)).toBe(second.id);
    expect(await rawState(org)).toMatchObject({
      activeConnectionId: null,
      writeStamp: newWriteStamp(writtenAtMs(second) + 1, second.id),
    });
  });

  test('a state stamp moved ahead before every write: 12 attempts, the item is gone and the listing left, with a warning', async () => {
    const org = newOrg('remove-always');
    const active = connection(org);
    await store.insertActive(active);
    beforeStateWrites(org, bumpStamp(org, now() + 3_600_000));
    const logged = capturedLogLines().length;
    expect(await store.remove(org, undefined, undefined, stampAt(tick()))).toBe(active.id);
    expect(stateWrites(org)).toBe(12);
    expect(logLinesSince(logged)).toEqual([
      expect.objectContaining({
        level: 'warn',
        event: 'connection.state_not_recorded',
        organization_id: org,
        connection_id: active.id,
        reason: 'contention',
      }),
    ]);
    expect(await rawItem(connectionKey(org, active.id))).toBeUndefined();
    expect((await rawState(org))!.collection!.live.has(active.id)).toBe(true);
  });

  test('a state item deleted by hand between the read and the write: the remove writes no bare state item, it starts the state again', async () => {
    const org = newOrg('remove-state-gone');
    const active = connection(org);
    const removed = named(org, 'Removed');
    await store.insertActive(active);
    await store.insertNamed(removed, now());
    beforeStateWrites(
      org,
      () => table.plain.send(new DeleteItemCommand({ TableName: process.env.TABLE_NAME!, Key: stateKey(org) })).then(() => undefined),
      1,
    );
    expect(await store.remove(org, removed.id, undefined, stampAt(tick()))).toBe(removed.id);
    // The conditional write refused, the state read again and started again (what the deleted item listed is gone with it).
    expect(stateWrites(org)).toBe(2);
    expect(await rawState(org)).toMatchObject({ activeConnectionId: null, collection: { legacyId: null } });
    expect((await rawState(org))!.collection!.live.size).toBe(0);
  });

  test('a connection another writer removed between the read and the write: done, without a warning', async () => {
    const org = newOrg('remove-raced');
    const active = connection(org);
    await store.insertActive(active);
    const stamp = stampAt(tick());
    beforeStateWrites(org, () => other.remove(org, active.id, undefined, stampAt(tick())).then(() => undefined), 1);
    const logged = capturedLogLines().length;
    expect(await store.remove(org, active.id, undefined, stamp)).toBe(active.id);
    expect(stateWrites(org)).toBe(1);
    expect(logLinesSince(logged)).toEqual([]);
    expect((await rawState(org))!.collection!.live.size).toBe(0);
  });
});
