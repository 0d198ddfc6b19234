import { randomUUID } from 'node:crypto';
import type { RecordChanges } from '../../lib/connections/ports.js';
import { newWriteStamp, type ConnectionRecord, type StoredConnection } from '../../lib/store/connection-item.js';

/**
 * A PostgreSQL connection as the store holds it, first written at `writtenAt`, with made-up sealed
 * bytes: the store only carries them (the crypto tests open real ones).
 */
export function storedConnection(
  organizationId: string,
  id: string,
  writtenAt: number,
  overrides: Partial<StoredConnection> = {},
): StoredConnection {
  const stamp = newWriteStamp(writtenAt, id);
  const createdAt = new Date(writtenAt).toISOString();
  return {
    organizationId,
    id,
    name: null,
    provider: 'postgres',
    projectId: null,
    datasetId: 'public',
    settings: { statement_timeout_ms: 5000 },
    credentials: { host: 'db.example.test', port: 5432, username: 'reader' },
    storedSecrets: ['password'],
    createdAt,
    updatedAt: createdAt,
    version: 1,
    formatVersion: 3,
    sealedStamp: stamp,
    storedAtLegacyKey: false,
    status: null,
    lastTestedAt: null,
    latencyMs: null,
    lastStages: null,
    sealed: {
      formatVersion: 3,
      writtenAt: stamp,
      keyId: 'arn:aws:kms:local:key/test',
      encryptedDataKey: Uint8Array.from([1, 2, 3]),
      iv: Uint8Array.from([4, 5, 6]),
      tag: Uint8Array.from([7, 8, 9]),
      ciphertext: Uint8Array.from([10, 11, 12]),
    },
    ...overrides,
  };
}

/** What a read without the sealed attributes gives back. */
export function recordOf(stored: StoredConnection): ConnectionRecord {
  const { sealed, ...record } = stored;
  void sealed;
  return record;
}

/**
 * The changes a PATCH at `at` hands the store: a new name, new plain attributes, a new seal (made-up
 * bytes), each only when asked for.
 */
export function connectionEdit(changes: { name?: string; plain?: boolean; seal?: boolean }, at: number): RecordChanges {
  const writeStamp = newWriteStamp(at, randomUUID());
  return {
    ...(changes.name === undefined ? {} : { name: changes.name }),
    ...(changes.plain
      ? {
          plain: {
            projectId: 'proj-2',
            datasetId: null,
            settings: { statement_timeout_ms: 9000 },
            credentials: { host: 'db2.example.test', port: 6543, username: 'writer' },
            storedSecrets: ['password', 'ssl_key'],
          },
        }
      : {}),
    ...(changes.seal
      ? {
          sealed: {
            formatVersion: 3,
            writtenAt: writeStamp,
            keyId: 'arn:aws:kms:local:key/other',
            encryptedDataKey: Uint8Array.from([21]),
            iv: Uint8Array.from([22]),
            tag: Uint8Array.from([23]),
            ciphertext: Uint8Array.from([24]),
          },
        }
      : {}),
    updatedAt: new Date(at).toISOString(),
    writeStamp,
  };
}

/**
 * What the store tests make connections with: organizations of their own (`org-<prefix>-<label>-`
 * and a random part), and a clock that only moves forward, so each write's stamp is newer than the last.
 */
export function storeFixtures(prefix: string) {
  let clock = Date.now();
  const tick = () => (clock += 1_000);
  const connection = (organizationId: string, overrides: Partial<StoredConnection> = {}): StoredConnection =>
    storedConnection(organizationId, overrides.id ?? randomUUID(), tick(), overrides);
  return {
    newOrg: (label: string) => `org-${prefix}-${label}-${randomUUID().slice(0, 8)}`,
    /** The clock's time (ms), not moved. */
    now: () => clock,
    /** Moves the clock a second on and answers the new time. */
    tick,
    connection,
    named: (organizationId: string, name: string, overrides: Partial<StoredConnection> = {}) =>
      connection(organizationId, { name, ...overrides }) as StoredConnection & { name: string },
    stampAt: (time: number) => newWriteStamp(time, randomUUID()),
  };
}
