import { randomUUID } from 'node:crypto';
import { ConnectionNotFoundError } from '../errors.js';
import { newWriteStamp } from '../store/connection-item.js';
import { audit } from './audit.js';
import type { ConnectionRepository } from './ports.js';
import { connectionDetail } from './view.js';

/**
 * Makes a connection the organization's active one (what the seed routes address), in one
 * conditional write of the state. The previously active connection stays, named or not.
 */
export async function activateConnection(
  store: ConnectionRepository,
  organizationId: string,
  connectionId: string,
  subject: string | null,
  now: () => Date = () => new Date(),
) {
  if (!(await store.activate(organizationId, connectionId, newWriteStamp(now().getTime(), randomUUID())))) {
    throw new ConnectionNotFoundError(connectionId);
  }
  audit('connection.activated', { organization_id: organizationId, connection_id: connectionId, subject });
  const found = await store.getDetail(organizationId, connectionId);
  if (!found) throw new ConnectionNotFoundError(connectionId);
  return connectionDetail(found.record, found.activeId);
}
