import { ConnectionNotFoundError } from '../errors.js';
import { log } from '../log.js';
import type { ConnectionStore } from '../store/connection-store.js';

/** Removes the organization's connection, ciphertext included. One conditional DynamoDB delete. */
export async function deleteConnection(store: ConnectionStore, organizationId: string): Promise<void> {
  if (!(await store.delete(organizationId))) throw new ConnectionNotFoundError();
  log.info('connection.deleted', { organization_id: organizationId });
}
