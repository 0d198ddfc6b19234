import type { ConnectionRepository } from './ports.js';
import { publicConnection } from './view.js';

/** The organization's connection without secrets, or null. One DynamoDB read, no KMS. */
export async function getConnection(store: ConnectionRepository, organizationId: string) {
  const summary = await store.getSummary(organizationId);
  return summary ? publicConnection(summary) : null;
}
