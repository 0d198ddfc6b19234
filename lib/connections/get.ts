import type { ConnectionStore } from '../store/connection-store.js';
import { publicConnection } from './view.js';

/** The organization's connection without secrets, or null. One DynamoDB read, no KMS. */
export async function getConnection(store: ConnectionStore, organizationId: string) {
  const summary = await store.getSummary(organizationId);
  return summary ? publicConnection(summary) : null;
}
