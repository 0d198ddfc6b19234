import { randomUUID } from 'node:crypto';
import { ConnectionNotFoundError } from '../errors.js';
import { newWriteStamp } from '../store/connection-item.js';
import { audit, type AuditTrail } from './audit.js';
import type { ConnectionRepository } from './ports.js';
import { connectionDetail } from './view.js';

/**
 * Makes a connection the organization's active one (what the seed routes address), in one
 * conditional write of the state. The previously active connection stays, named or not.
 */
export async function activateConnection(
  deps: { store: ConnectionRepository; audit?: AuditTrail; now?: () => Date },
  organizationId: string,
  connectionId: string,
  subject: string | null,
) {
  const { store } = deps;
  const now = deps.now?.() ?? new Date();
  if (!(await store.activate(organizationId, connectionId, newWriteStamp(now.getTime(), randomUUID())))) {
    throw new ConnectionNotFoundError(connectionId);
  }
  await audit(deps.audit, { organizationId, event: 'connection.activated', connectionId, actor: subject, outcome: 'ok' });
  const found = await store.getDetail(organizationId, connectionId);
  if (!found) throw new ConnectionNotFoundError(connectionId);
  return connectionDetail(found.record, found.activeId);
}
