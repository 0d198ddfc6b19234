import { randomUUID } from 'node:crypto';
import { ConnectionNotFoundError, VersionMismatchError } from '../errors.js';
import { ifMatchAdmits } from '../http/if-match.js';
import { newWriteStamp } from '../store/connection-item.js';
import { audit, type AuditTrail } from './audit.js';
import type { ConnectionRepository, ConnectionTarget } from './ports.js';

/**
 * Removes a connection (the active one without a target), ciphertext included, and drops it from
 * the organization's state, so its item cannot be put back into use; deleting the active connection
 * leaves none active. With If-Match, only a version it names is deleted.
 */
export async function deleteConnection(
  store: ConnectionRepository,
  organizationId: string,
  options: {
    target?: ConnectionTarget;
    ifMatch?: number[] | '*' | undefined;
    subject?: string | null;
    audit?: AuditTrail;
    now?: () => Date;
  } = {},
): Promise<void> {
  const now = options.now?.() ?? new Date();
  let expectedVersion: number | undefined;
  if (Array.isArray(options.ifMatch)) {
    // The version read is the one deleted (a conditional delete), so an edit in between is not lost.
    const current = await store.getSummary(organizationId, options.target);
    if (!current) throw new ConnectionNotFoundError(options.target);
    if (!ifMatchAdmits(options.ifMatch, current.version)) throw new VersionMismatchError(current.version);
    expectedVersion = current.version;
  }
  const deleted = await store.remove(organizationId, options.target, expectedVersion, newWriteStamp(now.getTime(), randomUUID()));
  if (deleted === null) throw new ConnectionNotFoundError(options.target);
  await audit(options.audit, {
    organizationId,
    event: 'connection.deleted',
    connectionId: deleted,
    actor: options.subject ?? null,
    outcome: 'ok',
  });
}
