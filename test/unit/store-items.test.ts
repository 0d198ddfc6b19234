import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { describe, expect, test } from '@jest/globals';
import { createHash, randomUUID } from 'node:crypto';
import { StoredConnectionUnreadableError } from '../../lib/errors.js';
import {
  connectionKey,
  LIST_ATTRIBUTES,
  newWriteStamp,
  RECORD_ATTRIBUTES,
  SEALED_ATTRIBUTES,
  stateKey,
  STATUS_ATTRIBUTES,
  testLimitKey,
  toItem,
  toRecord,
  toStoredConnection,
  UNSTAMPED,
  UPDATE_ATTRIBUTES,
  type StoredConnection,
} from '../../lib/store/connection-item.js';
import { ExpressionParts, projection } from '../../lib/store/expressions.js';
import { isNamed, nameKey, nameKeysOf, STATE_ATTRIBUTES, STATE_READ_ATTRIBUTES, toState } from '../../lib/store/organization-state.js';
import { TABLE_KEYS } from '../../lib/store/table.js';
import { recordOf, storedConnection } from '../helpers/stored-connection.js';

/**
 * The item format of lib/store, without a table: the keys every item lives at, the attributes a
 * connection is written as and read back from, the attribute lists each read projects, the state
 * item's reading, and the expression placeholders. A silent change to any of them strands stored
 * data or widens what a read returns.
 */

const id = '6f1c2a4e-8b3d-4c5e-9f60-7a8b9c0d1e2f';
const stamp = newWriteStamp(1_764_000_000_000, id);

const connection = (overrides: Partial<StoredConnection> = {}): StoredConnection =>
  storedConnection('Acme', id, 1_764_000_000_000, {
    name: 'Warehouse',
    createdAt: '2026-11-26T12:00:00.000Z',
    updatedAt: '2026-11-26T12:30:00.000Z',
    version: 3,
    ...overrides,
  });

describe('item keys', () => {
  test('a connection item lives at pk ORG#<org id as given>, sk CONNECTION#<id>', () => {
    expect(connectionKey('Acme', id)).toEqual({ pk: { S: 'ORG#Acme' }, sk: { S: `CONNECTION#${id}` } });
  });

  test('organization ids are case-sensitive in every key: Acme and acme are two partitions', () => {
    expect(connectionKey('acme', id).pk).toEqual({ S: 'ORG#acme' });
    expect(stateKey('ACME').pk).toEqual({ S: 'ORG#ACME' });
    expect(testLimitKey('aCmE', 60).pk).toEqual({ S: 'ORG#aCmE' });
  });

  test('the connection stored before named connections lives at sk CONNECTION#ACTIVE', () => {
    expect(connectionKey('Acme', 'legacy')).toEqual({ pk: { S: 'ORG#Acme' }, sk: { S: 'CONNECTION#ACTIVE' } });
  });

  test('the state item lives at sk STATE and a test-limit window at sk LIMIT#TEST#<window start>', () => {
    expect(stateKey('Acme')).toEqual({ pk: { S: 'ORG#Acme' }, sk: { S: 'STATE' } });
    expect(testLimitKey('Acme', 1_764_000_060)).toEqual({ pk: { S: 'ORG#Acme' }, sk: { S: 'LIMIT#TEST#1764000060' } });
  });

  test('the table keys are pk and sk', () => {
    expect(TABLE_KEYS).toEqual({ partitionKey: 'pk', sortKey: 'sk' });
  });
});

describe('write stamps', () => {
  test('a stamp is the time zero-padded to 15 digits, #, the unique part, so stamps sort as times do', () => {
    expect(newWriteStamp(1234, 'u')).toBe('000000000001234#u');
    expect(newWriteStamp(999, 'z') < newWriteStamp(1000, 'a')).toBe(true);
  });

  test('UNSTAMPED sorts before every real stamp', () => {
    expect(UNSTAMPED).toBe('0');
    expect(UNSTAMPED < newWriteStamp(0, 'a')).toBe(true);
  });
});

describe('attribute lists (what each read projects)', () => {
  test('the sealed secret is exactly these attributes', () => {
    expect([...SEALED_ATTRIBUTES]).toEqual(['format_version', 'key_id', 'encrypted_data_key', 'iv', 'auth_tag', 'ciphertext']);
  });

  test('the last test is recorded in status, last_tested_at, latency_ms, last_stages', () => {
    expect([...STATUS_ATTRIBUTES]).toEqual(['status', 'last_tested_at', 'latency_ms', 'last_stages']);
  });

  test('list reads the plain attributes and the last test, never credentials nor any sealed byte', () => {
    expect([...LIST_ATTRIBUTES]).toEqual([
      'sk',
      'id',
      'name',
      'provider',
      'project_id',
      'dataset_id',
      'settings',
      'created_at',
      'updated_at',
      'version',
      'write_stamp',
      'sealed_stamp',
      'format_version',
      'status',
      'last_tested_at',
      'latency_ms',
      'last_stages',
    ]);
  });

  test('GET and PATCH read the list attributes plus the plain credentials, never a sealed byte', () => {
    expect([...RECORD_ATTRIBUTES]).toEqual([...LIST_ATTRIBUTES, 'credentials', 'stored_secrets']);
    const sealedBytes = SEALED_ATTRIBUTES.filter((name) => name !== 'format_version');
    expect(RECORD_ATTRIBUTES.filter((name) => (sealedBytes as readonly string[]).includes(name))).toEqual([]);
  });

  test('PATCH writes the plain attributes, its stamps, the seal and the test status, never the keys, id, provider or created_at', () => {
    expect([...UPDATE_ATTRIBUTES]).toEqual([
      'name',
      'project_id',
      'dataset_id',
      'settings',
      'credentials',
      'stored_secrets',
      'updated_at',
      'version',
      'write_stamp',
      'sealed_stamp',
      ...SEALED_ATTRIBUTES,
      ...STATUS_ATTRIBUTES,
    ]);
  });

  test('the state item holds these attributes, and readers other than list skip the cursor key', () => {
    expect([...STATE_ATTRIBUTES]).toEqual(['active_connection_id', 'write_stamp', 'live', 'names', 'legacy_id', 'cursor_key']);
    expect([...STATE_READ_ATTRIBUTES]).toEqual(['active_connection_id', 'write_stamp', 'live', 'names', 'legacy_id']);
  });
});

describe('toItem and toRecord', () => {
  test('toItem writes every plain attribute, both stamps and the seal, at the connection key', () => {
    expect(toItem(connection())).toEqual({
      pk: { S: 'ORG#Acme' },
      sk: { S: `CONNECTION#${id}` },
      id: { S: id },
      name: { S: 'Warehouse' },
      provider: { S: 'postgres' },
      project_id: { NULL: true },
      dataset_id: { S: 'public' },
      settings: { S: '{"statement_timeout_ms":5000}' },
      credentials: { S: '{"host":"db.example.test","port":5432,"username":"reader"}' },
      stored_secrets: { S: '["password"]' },
      created_at: { S: '2026-11-26T12:00:00.000Z' },
      updated_at: { S: '2026-11-26T12:30:00.000Z' },
      version: { N: '3' },
      write_stamp: { S: stamp },
      sealed_stamp: { S: stamp },
      format_version: { N: '3' },
      key_id: { S: 'arn:aws:kms:local:key/test' },
      encrypted_data_key: { B: Uint8Array.from([1, 2, 3]) },
      iv: { B: Uint8Array.from([4, 5, 6]) },
      auth_tag: { B: Uint8Array.from([7, 8, 9]) },
      ciphertext: { B: Uint8Array.from([10, 11, 12]) },
    });
  });

  test('toItem leaves out a null name and writes null project/dataset ids as NULL', () => {
    const item = toItem(connection({ name: null, projectId: null, datasetId: null }));
    expect(item.name).toBeUndefined();
    expect(item.project_id).toEqual({ NULL: true });
    expect(item.dataset_id).toEqual({ NULL: true });
  });

  test('toItem refuses a seal without its write stamp', () => {
    const stored = connection();
    expect(() => toItem({ ...stored, sealed: { ...stored.sealed, writtenAt: undefined } })).toThrow('write stamp');
  });

  test('toRecord reads back every field toItem wrote (round trip), the test status null', () => {
    expect(toRecord('Acme', toItem(connection()))).toEqual(recordOf(connection()));
    const bare = connection({ name: null, projectId: 'proj-1', datasetId: null, settings: {}, credentials: {}, storedSecrets: [] });
    expect(toRecord('Acme', toItem(bare))).toEqual(recordOf(bare));
  });

  test('toRecord takes the organization id it is given', () => {
    expect(toRecord('other-org', toItem(connection())).organizationId).toBe('other-org');
  });

  test('a listed read shows neither credentials nor stored secrets', () => {
    expect(toRecord('Acme', toItem(connection()), true)).toEqual({ ...recordOf(connection()), credentials: null, storedSecrets: null });
  });

  test('a listed format 3 item need not carry credentials; a read for GET must', () => {
    const { credentials, stored_secrets, ...listed } = toItem(connection());
    expect(credentials).toBeDefined();
    expect(stored_secrets).toBeDefined();
    expect(toRecord('Acme', listed, true).credentials).toBeNull();
    expect(() => toRecord('Acme', listed)).toThrow(StoredConnectionUnreadableError);
    expect(() => toRecord('Acme', { ...listed, credentials: toItem(connection()).credentials! })).toThrow(StoredConnectionUnreadableError);
  });

  test('a format 3 item without its sealed stamp is unreadable, listed or not', () => {
    const { sealed_stamp, ...item } = toItem(connection());
    expect(sealed_stamp).toEqual({ S: stamp });
    const reason = 'a format 3 item without its plain credentials or sealed stamp';
    expect(() => toRecord('Acme', item)).toThrow(expect.objectContaining({ reason }));
    expect(() => toRecord('Acme', item, true)).toThrow(expect.objectContaining({ reason }));
  });

  test('the last test read back: status, time, latency, stages', () => {
    const stages = [{ name: 'connect', ok: true, ms: 12 }];
    const item = {
      ...toItem(connection()),
      status: { S: 'failed' },
      last_tested_at: { S: '2026-11-26T13:00:00.000Z' },
      latency_ms: { N: '42' },
      last_stages: { S: JSON.stringify(stages) },
    };
    expect(toRecord('Acme', item)).toEqual({
      ...recordOf(connection()),
      status: 'failed',
      lastTestedAt: '2026-11-26T13:00:00.000Z',
      latencyMs: 42,
      lastStages: stages,
    });
  });

  test('an item of an earlier format: whole-sealed (credentials null), version 0, updated_at = created_at, stamps by format', () => {
    const format2 = {
      sk: { S: 'CONNECTION#ACTIVE' },
      id: { S: id },
      provider: { S: 'bigquery' },
      dataset_id: { S: 'analytics' },
      created_at: { S: '2025-01-01T00:00:00Z' },
      format_version: { N: '2' },
      write_stamp: { S: stamp },
    };
    expect(toRecord('Acme', format2)).toEqual({
      organizationId: 'Acme',
      id,
      name: null,
      provider: 'bigquery',
      projectId: null,
      datasetId: 'analytics',
      settings: {},
      credentials: null,
      storedSecrets: null,
      createdAt: '2025-01-01T00:00:00Z',
      updatedAt: '2025-01-01T00:00:00Z',
      version: 0,
      formatVersion: 2,
      sealedStamp: stamp,
      storedAtLegacyKey: true,
      status: null,
      lastTestedAt: null,
      latencyMs: null,
      lastStages: null,
    });
    const { format_version, write_stamp, ...format1 } = format2;
    expect([format_version, write_stamp]).toEqual([{ N: '2' }, { S: stamp }]);
    expect(toRecord('Acme', format1)).toMatchObject({ formatVersion: 1, sealedStamp: UNSTAMPED, credentials: null });
    expect(toRecord('Acme', { ...format1, format_version: { N: '1' }, write_stamp: { S: stamp } }).sealedStamp).toBe(UNSTAMPED);
    // A format 2 item that lost its stamp is read as sealed before stamps, so any newer write supersedes it.
    expect(toRecord('Acme', { ...format1, format_version: { N: '2' } }).sealedStamp).toBe(UNSTAMPED);
  });

  test.each([
    ['an id that is no uuid', { id: { S: 'not-a-uuid' } }],
    ['an unknown provider', { provider: { S: 'oracle' } }],
    ['an empty name', { name: { S: '' } }],
    ['settings that are no JSON object', { settings: { S: '[1]' } }],
    ['a created_at that is no ISO time', { created_at: { S: 'yesterday' } }],
    ['a negative version', { version: { N: '-1' } }],
    ['an unknown format version', { format_version: { N: '4' } }],
    ['an unknown status', { status: { S: 'ok' } }],
    ['stages of an unknown stage', { last_stages: { S: '[{"name":"warp","ok":true,"ms":1}]' } }],
  ])('an item with %s is unreadable, never passed on', (_, change) => {
    expect(() => toRecord('Acme', { ...toItem(connection()), ...change })).toThrow(StoredConnectionUnreadableError);
  });

  test.each([
    ['settings that are not JSON at all', { settings: { S: '{not json' } }, 'attribute settings.S'],
    ['a created_at with more after its Z', { created_at: { S: '2026-11-26T12:00:00.000Zz' } }, 'attribute created_at.S'],
    ['a last_tested_at with something before it', { last_tested_at: { S: 'x2026-11-26T12:00:00Z' } }, 'attribute last_tested_at.S'],
    ['a version with more after its digits', { version: { N: '3x' } }, 'attribute version.N'],
    ['a version with something before its digits', { version: { N: 'x3' } }, 'attribute version.N'],
    ['a version of ten digits', { version: { N: '1234567890' } }, 'attribute version.N'],
    ['a latency with more after its digits', { latency_ms: { N: '12ms' } }, 'attribute latency_ms.N'],
    ['a latency with something before its digits', { latency_ms: { N: '~12' } }, 'attribute latency_ms.N'],
  ])('an item with %s is unreadable, and the reason names the attribute', (_, change, reason) => {
    expect(() => toRecord('Acme', { ...toItem(connection()), ...change })).toThrow(expect.objectContaining({ reason }));
  });

  test('versions and latencies of several digits, and times with and without milliseconds, read back', () => {
    const item = {
      ...toItem(connection({ version: 123_456_789 })),
      status: { S: 'connected' },
      last_tested_at: { S: '2026-11-26T12:00:00Z' },
      latency_ms: { N: '1234' },
    };
    expect(toRecord('Acme', item)).toMatchObject({ version: 123_456_789, latencyMs: 1_234, lastTestedAt: '2026-11-26T12:00:00Z' });
  });

  test('something that is no item at all is unreadable as a whole', () => {
    expect(() => toRecord('Acme', 'not an item' as never)).toThrow(expect.objectContaining({ reason: 'attribute item' }));
    expect(() => toState('not an item' as never)).toThrow(expect.objectContaining({ reason: 'state attribute item' }));
  });

  test('a connection without a secret list (a listed record) is written with an empty one', () => {
    expect(toItem(connection({ storedSecrets: null })).stored_secrets).toEqual({ S: '[]' });
  });

  test('toStoredConnection reads the seal back byte for byte (with its stamp from format 2 on)', () => {
    const stored = toStoredConnection('Acme', toItem(connection()));
    expect({ ...stored, sealed: { ...stored.sealed } }).toEqual(connection());
    const format1: Record<string, AttributeValue> = { ...toItem(connection()), format_version: { N: '1' } };
    delete format1.sealed_stamp;
    delete format1.write_stamp;
    expect(toStoredConnection('Acme', format1).sealed).toEqual({
      formatVersion: 1,
      keyId: 'arn:aws:kms:local:key/test',
      encryptedDataKey: Uint8Array.from([1, 2, 3]),
      iv: Uint8Array.from([4, 5, 6]),
      tag: Uint8Array.from([7, 8, 9]),
      ciphertext: Uint8Array.from([10, 11, 12]),
    });
  });

  test.each(['key_id', 'encrypted_data_key', 'iv', 'auth_tag', 'ciphertext'])('toStoredConnection refuses an item without %s', (name) => {
    const item = toItem(connection());
    delete item[name];
    expect(() => toStoredConnection('Acme', item)).toThrow(StoredConnectionUnreadableError);
    expect(() => toStoredConnection('Acme', item)).toThrow(expect.objectContaining({ reason: `attribute ${name}` }));
  });
});

describe('the state item', () => {
  const other = randomUUID();
  const nameDigest = nameKey('Warehouse');

  test('no state item: undefined', () => {
    expect(toState(undefined)).toBeUndefined();
  });

  test('a state of an organization that has not written since named connections exist has no collection', () => {
    expect(toState({ active_connection_id: { S: id }, write_stamp: { S: stamp } })).toEqual({
      activeConnectionId: id,
      writeStamp: stamp,
      collection: undefined,
    });
  });

  test('a full state reads as its active id, stamp, live listing, name reservations, legacy id and cursor key', () => {
    const cursorKey = Uint8Array.from([9, 9, 9]);
    const state = toState({
      active_connection_id: { NULL: true },
      write_stamp: { S: stamp },
      live: { M: { [id]: { S: stamp }, [other]: { S: UNSTAMPED } } },
      names: { M: { [nameDigest]: { M: { id: { S: id }, at: { S: stamp } } } } },
      legacy_id: { S: other },
      cursor_key: { B: cursorKey },
    });
    expect(state).toEqual({
      activeConnectionId: null,
      writeStamp: stamp,
      collection: {
        live: new Map([
          [id, stamp],
          [other, UNSTAMPED],
        ]),
        names: new Map([[nameDigest, { connectionId: id, reservedAt: stamp }]]),
        legacyId: other,
        cursorKey,
      },
    });
    expect(isNamed(state!.collection!, id)).toBe(true);
    expect(isNamed(state!.collection!, other)).toBe(false);
    expect(nameKeysOf(state!.collection!, id)).toEqual([nameDigest]);
    expect(nameKeysOf(state!.collection!, other)).toEqual([]);
  });

  test('a live state without names, legacy id or cursor key reads them as empty, null, undefined', () => {
    expect(toState({ live: { M: {} } })).toEqual({
      activeConnectionId: null,
      writeStamp: undefined,
      collection: { live: new Map(), names: new Map(), legacyId: null, cursorKey: undefined },
    });
  });

  test.each([
    ['a live key that is no uuid', { live: { M: { nope: { S: stamp } } } }],
    ['a name key that is no digest', { live: { M: {} }, names: { M: { Warehouse: { M: { id: { S: id }, at: { S: stamp } } } } } }],
    ['an active id that is no uuid', { active_connection_id: { S: 'x' } }],
    [
      'a name key with more after its digest',
      { live: { M: {} }, names: { M: { [`${'a'.repeat(64)}x`]: { M: { id: { S: id }, at: { S: stamp } } } } } },
    ],
    [
      'a name key with something before its digest',
      { live: { M: {} }, names: { M: { [`x${'a'.repeat(64)}`]: { M: { id: { S: id }, at: { S: stamp } } } } } },
    ],
  ])('a state with %s is unreadable', (_, item) => {
    expect(() => toState(item)).toThrow(StoredConnectionUnreadableError);
    expect(() => toState(item)).toThrow(
      expect.objectContaining({ reason: expect.stringMatching(/^state attribute (live|names|active_connection_id)\./) }),
    );
  });

  test('a name key is the sha256 of the NFC, lower-cased name: names are compared without regard to case', () => {
    expect(nameKey('Warehouse')).toBe(createHash('sha256').update('warehouse', 'utf8').digest('hex'));
    expect(nameKey('WAREHOUSE')).toBe(nameKey('warehouse'));
    expect(nameKey('Cafe\u0301')).toBe(nameKey('caf\u00e9'));
    expect(nameKey('warehouse')).not.toBe(nameKey('warehouse2'));
  });
});

describe('expression placeholders', () => {
  test('every path part gets its own #n placeholder, reused for a repeated part', () => {
    const parts = new ExpressionParts();
    expect(parts.path('live')).toBe('#n0');
    expect(parts.path(`live.${id}`)).toBe('#n0.#n1');
    expect(parts.path('name')).toBe('#n2');
    expect(parts.request()).toEqual({ ExpressionAttributeNames: { '#n0': 'live', '#n1': id, '#n2': 'name' } });
  });

  test('every value gets its own :v placeholder, even an equal one, and the request carries them', () => {
    const parts = new ExpressionParts();
    expect(parts.value({ S: 'a' })).toBe(':v0');
    expect(parts.value({ S: 'a' })).toBe(':v1');
    expect(parts.path('status')).toBe('#n0');
    expect(parts.request()).toEqual({
      ExpressionAttributeNames: { '#n0': 'status' },
      ExpressionAttributeValues: { ':v0': { S: 'a' }, ':v1': { S: 'a' } },
    });
  });

  test('a request without values has no ExpressionAttributeValues (DynamoDB refuses an empty map)', () => {
    const parts = new ExpressionParts();
    parts.path('pk');
    expect(Object.keys(parts.request())).toEqual(['ExpressionAttributeNames']);
  });

  test('the request is a copy: values added later do not change one already built', () => {
    const parts = new ExpressionParts();
    parts.value({ N: '1' });
    const request = parts.request();
    parts.value({ N: '2' });
    expect(request.ExpressionAttributeValues).toEqual({ ':v0': { N: '1' } });
  });

  test('a projection names every attribute through a placeholder (reserved words like name and status are safe)', () => {
    expect(projection(['name', 'status', 'sk'])).toEqual({
      ProjectionExpression: '#n0, #n1, #n2',
      ExpressionAttributeNames: { '#n0': 'name', '#n1': 'status', '#n2': 'sk' },
    });
  });
});
