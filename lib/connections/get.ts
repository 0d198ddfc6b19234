import { ConnectionNotFoundError } from '../errors.js';
import type { ConnectionRepository } from './ports.js';
import { connectionDetail, entityTag, publicConnection } from './view.js';

/** The organization's active connection without secrets (the seed's shape), or null. Two DynamoDB reads, no KMS. */
export async function getConnection(store: ConnectionRepository, organizationId: string) {
  const record = await store.getSummary(organizationId);
  return record ? { connection: publicConnection(record), etag: entityTag(record) } : { connection: null };
}

/** One connection with what its edit form shows, never a secret. */
export async function getNamedConnection(store: ConnectionRepository, organizationId: string, connectionId: string) {
  const found = await store.getDetail(organizationId, connectionId);
  if (!found) throw new ConnectionNotFoundError(connectionId);
  return { connection: connectionDetail(found.record, found.activeId), etag: entityTag(found.record) };
}
