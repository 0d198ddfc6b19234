import type { ConnectionSummary, StoredConnection } from '../store/connection-item.js';
import type { TestAdmission, TestLimit, TestOutcome } from '../store/connection-store.js';

/**
 * What the use cases need of storage. ConnectionStore (DynamoDB) implements it; a use-case test
 * can hand in anything that keeps these promises.
 */
export interface ConnectionRepository {
  put(connection: StoredConnection): Promise<void>;
  /** The organization's current connection without its sealed secret, or null. */
  getSummary(organizationId: string): Promise<ConnectionSummary | null>;
  /** The organization's current connection with its sealed secret, or null. */
  getWithSecret(organizationId: string): Promise<StoredConnection | null>;
  /** False when there was nothing to delete. */
  delete(organizationId: string, stamp: string): Promise<boolean>;
  recordTestOutcome(organizationId: string, connectionId: string, outcome: TestOutcome): Promise<boolean>;
  admitTest(organizationId: string, limit: TestLimit, nowMs: number): Promise<TestAdmission>;
}
