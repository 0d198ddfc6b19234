import type { SealedSecret } from '../crypto/envelope.js';
import type { ConnectionRecord, StoredConnection } from '../store/connection-item.js';
import type { TestAdmission, TestLimit, TestOutcome } from '../store/connection-store.js';

/** A connection id, or undefined for the organization's active connection (the seed routes). */
export type ConnectionTarget = string | undefined;

/** What an edit writes: a new name, new plain attributes, a new seal; always new stamps. */
export interface RecordChanges {
  name?: string;
  plain?: {
    projectId: string | null;
    datasetId: string | null;
    settings: Record<string, unknown>;
    credentials: Record<string, unknown>;
    storedSecrets: string[];
  };
  sealed?: SealedSecret;
  updatedAt: string;
  writeStamp: string;
}

/**
 * What the use cases need of storage. ConnectionStore (DynamoDB) implements it; a use-case test
 * can hand in anything that keeps these promises.
 */
export interface ConnectionRepository {
  /** A new connection made the active one (the seed POST); false when a newer write replaced it at once. */
  insertActive(connection: StoredConnection): Promise<boolean>;
  insertNamed(connection: StoredConnection & { name: string }, now: number): Promise<void>;
  /** The connection without its sealed secret, or null. */
  getSummary(organizationId: string, target?: ConnectionTarget): Promise<ConnectionRecord | null>;
  /** The connection without its sealed secret and which connection is active, or null. */
  getDetail(organizationId: string, target?: ConnectionTarget): Promise<{ record: ConnectionRecord; activeId: string | null } | null>;
  /** The connection with its sealed secret, or null. */
  getWithSecret(organizationId: string, target?: ConnectionTarget): Promise<StoredConnection | null>;
  list(organizationId: string): Promise<{ records: ConnectionRecord[]; activeId: string | null; cursorKey: Uint8Array | undefined }>;
  /** The organization's key for list cursors, made on first use. */
  cursorKey(organizationId: string): Promise<Uint8Array>;
  update(before: ConnectionRecord, changes: RecordChanges, now: number): Promise<void>;
  /** The id of the deleted connection, or null when there was none. */
  remove(organizationId: string, target: ConnectionTarget, expectedVersion: number | undefined, stamp: string): Promise<string | null>;
  activate(organizationId: string, connectionId: string, stamp: string): Promise<boolean>;
  recordTestOutcome(tested: ConnectionRecord, outcome: TestOutcome): Promise<boolean>;
  admitTest(organizationId: string, limit: TestLimit, nowMs: number): Promise<TestAdmission>;
}
