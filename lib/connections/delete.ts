import { randomUUID } from 'node:crypto';
import { ConnectionNotFoundError } from '../errors.js';
import { log } from '../log.js';
import { newWriteStamp } from '../store/connection-item.js';
import type { ConnectionRepository } from './ports.js';

/**
 * Removes the organization's connection, ciphertext included, and records the deletion, so the
 * deleted item cannot be put back into use. Two DynamoDB writes (the second only after a delete).
 */
export async function deleteConnection(
  store: ConnectionRepository,
  organizationId: string,
  now: () => Date = () => new Date(),
): Promise<void> {
  if (!(await store.delete(organizationId, newWriteStamp(now().getTime(), randomUUID())))) throw new ConnectionNotFoundError();
  log.info('connection.deleted', { organization_id: organizationId });
}
