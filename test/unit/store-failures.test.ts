import { DeleteItemCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { ConnectionLimitError, ConnectionNameTakenError, DependencyUnavailableError, VersionMismatchError } from '../../lib/errors.js';
import { connectionKey, newWriteStamp, stateKey } from '../../lib/store/connection-item.js';
import { ConnectionStore } from '../../lib/store/connection-store.js';
import { nameKey } from '../../lib/store/organization-state.js';
import { interposedDynamoDb, isStateRead, isStateWrite, outage, sameKey, type SentCommand } from '../helpers/interposed-dynamodb.js';
import { capturedLogLines, logLinesSince } from '../helpers/logs.js';
import { connectionEdit, recordOf, storeFixtures } from '../helpers/stored-connection.js';
import { legacyItem, rawItem, rawState, STORED_ONLY_DEFINITION } from '../helpers/stored-items.js';

/**
 * ConnectionStore when DynamoDB fails part-way through a write (a 503 on one request): the caller
 * gets a 503 when its change did not land; when it did, the store finishes what it can and logs
 * what it left (an item nothing lists, a state that lags its item), and reads stay right.
 */
const table = interposedDynamoDb();
const tableName = process.env.TABLE_NAME!;
const store = new ConnectionStore(table.client, tableName);
const { newOrg, now, tick, connection, named } = storeFixtures('failures');
/** Sets up and reads back without the failures. */
const direct = new ConnectionStore(table.plain, tableName);

/** Fails every request of the store that `matches` with a 503. */
function failWhen(matches: (sent: SentCommand) => boolean): void {
  table.interpose((sent) => {
    if (matches(sent)) throw outage();
  });
}
const isDelete = (sent: SentCommand) => sent.command === 'DeleteItemCommand';

const outageFields = { error_type: 'DependencyUnavailableError', cause: expect.objectContaining({ error_type: 'ServiceUnavailable' }) };
const notDeleted = (org: string, reason: string) =>
  expect.objectContaining({ level: 'warn', event: 'connection.item_not_deleted', organization_id: org, reason, ...outageFields });

describe('a new connection the state never listed', () => {
  test('a seed POST whose state write fails answers 503 and removes its item', async () => {
    const org = newOrg('insert-state-fails');
    await direct.insertActive(connection(org));
    const ours = connection(org);
    failWhen((sent) => isStateWrite(sent, org));
    await expect(store.insertActive(ours)).rejects.toBeInstanceOf(DependencyUnavailableError);
    expect(await rawItem(connectionKey(org, ours.id))).toBeUndefined();
  });

  test('when its removal fails too, the item is left unlisted, never read, and the warning says why it was to go', async () => {
    const org = newOrg('insert-both-fail');
    const kept = connection(org);
    await direct.insertActive(kept);
    const ours = connection(org);
    failWhen((sent) => isStateWrite(sent, org) || isDelete(sent));
    const logged = capturedLogLines().length;
    await expect(store.insertActive(ours)).rejects.toBeInstanceOf(DependencyUnavailableError);
    expect(logLinesSince(logged)).toEqual([notDeleted(org, 'not_listed')]);
    expect(await rawItem(connectionKey(org, ours.id))).toBeDefined();
    expect(await direct.getSummary(org, ours.id)).toBeNull();
    expect((await direct.list(org)).records.map((record) => record.id)).toEqual([kept.id]);
  });

  const limited = new ConnectionStore(table.client, tableName, { maxConnections: 1 });
  test.each([
    {
      reason: 'superseded',
      what: 'a seed POST older than the last write (false)',
      act: async (org: string) => {
        const older = connection(org);
        await direct.insertActive(connection(org));
        expect(await store.insertActive(older)).toBe(false);
      },
    },
    {
      reason: 'limit',
      what: 'a seed POST beyond the connection limit (ConnectionLimitError)',
      act: (org: string) => expect(limited.insertActive(connection(org))).rejects.toBeInstanceOf(ConnectionLimitError),
    },
    {
      reason: 'refused',
      what: 'a named create whose name is taken (ConnectionNameTakenError)',
      act: (org: string) => expect(store.insertNamed(named(org, 'TAKEN'), now())).rejects.toBeInstanceOf(ConnectionNameTakenError),
    },
  ])('$reason: after $what, an item that cannot be removed is logged with that reason', async ({ reason, act }) => {
    const org = newOrg(`cleanup-${reason}`);
    await direct.insertNamed(named(org, 'Taken'), now());
    failWhen(isDelete);
    const logged = capturedLogLines().length;
    await act(org);
    expect(logLinesSince(logged)).toEqual([notDeleted(org, reason)]);
  });

  test('a replaced connection whose item cannot be removed: the new one is active and alone in the list, with a warning', async () => {
    const org = newOrg('replaced-stays');
    const replaced = connection(org);
    await direct.insertActive(replaced);
    const ours = connection(org);
    failWhen(isDelete);
    const logged = capturedLogLines().length;
    expect(await store.insertActive(ours)).toBe(true);
    expect(logLinesSince(logged)).toEqual([notDeleted(org, 'replaced')]);
    expect(await rawItem(connectionKey(org, replaced.id))).toBeDefined();
    expect((await direct.list(org)).records.map((record) => record.id)).toEqual([ours.id]);
    expect(await direct.getSummary(org, replaced.id)).toBeNull();
  });
});

describe('an edit that landed on its item, and a state write that failed after it', () => {
  const notRecorded = (org: string, id: string) =>
    expect.objectContaining({
      level: 'warn',
      event: 'connection.state_not_recorded',
      organization_id: org,
      connection_id: id,
      ...outageFields,
    });

  test('a new seal not recorded in the state: the edit stands and reads back, with a warning', async () => {
    const org = newOrg('seal-not-recorded');
    const created = named(org, 'Sealed');
    await direct.insertNamed(created, now());
    const edit = connectionEdit({ seal: true }, tick());
    failWhen((sent) => isStateWrite(sent, org));
    const logged = capturedLogLines().length;
    await store.update(recordOf(created), edit, now());
    expect(logLinesSince(logged)).toEqual([notRecorded(org, created.id)]);
    expect((await rawState(org))!.collection!.live.get(created.id)).toBe(created.sealed.writtenAt);
    expect(await direct.getSummary(org, created.id)).toMatchObject({ version: 2, sealedStamp: edit.writeStamp });
  });

  test('an old name not released after a rename: the new name is held, the old one stays reserved, with a warning', async () => {
    const org = newOrg('name-not-released');
    const created = named(org, 'Before');
    await direct.insertNamed(created, now());
    failWhen((sent) => isStateWrite(sent, org) && sent.input.UpdateExpression!.startsWith('REMOVE'));
    const logged = capturedLogLines().length;
    await store.update(recordOf(created), connectionEdit({ name: 'After' }, tick()), now());
    expect(logLinesSince(logged)).toEqual([notRecorded(org, created.id)]);
    const names = (await rawState(org))!.collection!.names;
    expect([names.get(nameKey('after'))?.connectionId, names.get(nameKey('before'))?.connectionId]).toEqual([created.id, created.id]);
    expect(await direct.getSummary(org, created.id)).toMatchObject({ name: 'After', version: 2 });
  });

  test('a rename refused for its version, whose new name cannot be released: VersionMismatchError, with a warning', async () => {
    const org = newOrg('reserved-not-released');
    const created = named(org, 'Before');
    await direct.insertNamed(created, now());
    await direct.update(recordOf(created), connectionEdit({ plain: true }, tick()), now());
    failWhen((sent) => isStateWrite(sent, org) && sent.input.UpdateExpression!.startsWith('REMOVE'));
    const logged = capturedLogLines().length;
    await expect(store.update(recordOf(created), connectionEdit({ name: 'After' }, tick()), now())).rejects.toEqual(
      new VersionMismatchError(2),
    );
    expect(logLinesSince(logged)).toEqual([
      expect.objectContaining({ level: 'warn', event: 'connection.name_not_released', organization_id: org, ...outageFields }),
    ]);
    expect((await rawState(org))!.collection!.names.get(nameKey('after'))?.connectionId).toBe(created.id);
  });

  test('a removed connection whose state write fails: its id, its item gone, the listing left, with a warning', async () => {
    const org = newOrg('forget-fails');
    const active = connection(org);
    await direct.insertActive(active);
    failWhen((sent) => isStateWrite(sent, org));
    const logged = capturedLogLines().length;
    expect(await store.remove(org, undefined, 1, newWriteStamp(tick(), randomUUID()))).toBe(active.id);
    expect(logLinesSince(logged)).toEqual([notRecorded(org, active.id)]);
    expect(await rawItem(connectionKey(org, active.id))).toBeUndefined();
    expect((await rawState(org))!.collection!.live.has(active.id)).toBe(true);
  });
});

describe('writes that fail as a whole', () => {
  test('an activation whose state write fails answers 503 at once (one attempt, not taken for contention)', async () => {
    const org = newOrg('activate-fails');
    const active = connection(org);
    const target = named(org, 'Target');
    await direct.insertActive(active);
    await direct.insertNamed(target, now());
    failWhen((sent) => isStateWrite(sent, org));
    await expect(store.activate(org, target.id, newWriteStamp(tick(), randomUUID()))).rejects.toBeInstanceOf(DependencyUnavailableError);
    expect(table.sent.filter((sent) => isStateWrite(sent, org))).toHaveLength(1);
    expect((await rawState(org))?.activeConnectionId).toBe(active.id);
  });

  test('a test outcome whose write fails answers 503, not "the connection changed" (false)', async () => {
    const org = newOrg('outcome-fails');
    const created = connection(org);
    await direct.insertActive(created);
    failWhen((sent) => sent.command === 'UpdateItemCommand');
    await expect(
      store.recordTestOutcome(recordOf(created), { status: 'connected', testedAt: created.createdAt, latencyMs: 3, stages: [] }),
    ).rejects.toBeInstanceOf(DependencyUnavailableError);
  });
});

describe('the first write since named connections (the state is initialized)', () => {
  test('a failed read of the earlier CONNECTION#ACTIVE answers 503 and leaves the state as it was, so the connection is not lost', async () => {
    const org = newOrg('init-legacy-read-fails');
    const legacy = await legacyItem(org, STORED_ONLY_DEFINITION, 2);
    const before = await rawItem(stateKey(org));
    failWhen((sent) => sent.command === 'GetItemCommand' && sameKey(sent.input.Key, connectionKey(org, 'legacy')));
    await expect(store.insertNamed(named(org, 'New'), now())).rejects.toBeInstanceOf(DependencyUnavailableError);
    expect(await rawItem(stateKey(org))).toEqual(before);
    table.interpose(undefined);
    await store.insertNamed(named(org, 'Later'), now());
    expect((await rawState(org))?.collection?.legacyId).toBe(legacy.id!.S);
    expect((await direct.getSummary(org))?.id).toBe(legacy.id!.S);
  });

  test('a state item gone right after it was initialized answers 503', async () => {
    const org = newOrg('init-state-gone');
    let initialized = false;
    table.interpose(async (sent) => {
      if (isStateWrite(sent, org)) initialized = true;
      else if (initialized && isStateRead(sent, org))
        await table.plain.send(new DeleteItemCommand({ TableName: tableName, Key: stateKey(org) }));
    });
    const error = await store.insertNamed(named(org, 'New'), now()).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(DependencyUnavailableError);
    expect(((error as Error).cause as Error).message).toBe('The state item was not initialized');
  });
});
