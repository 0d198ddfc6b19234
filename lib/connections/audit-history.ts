import { AUDIT_POSITION, type AuditLog } from '../store/audit-log.js';
import { decodeCursor, encodeCursor, invalidCursor } from './cursor.js';
import { pageSizeOf } from './list.js';
import type { ConnectionRepository } from './ports.js';

/**
 * GET /connections/audit: the organization's audit records, newest first, a page at a time
 * (saved, updated, activated, tested, resolved, deleted: who, when, what came of it). Never a value
 * of a connection. DynamoDB: the cursor key, one query of the audit table.
 */
export async function listAudit(
  deps: { store: ConnectionRepository; audit: AuditLog | undefined },
  organizationId: string,
  query: Record<string, string | undefined>,
) {
  if (!deps.audit) throw new Error('The audit route needs its audit table (AUDIT_TABLE_NAME)');
  const size = pageSizeOf(query);
  const key = await deps.store.cursorKey(organizationId);
  let after: string | undefined;
  if (query.cursor !== undefined) {
    after = decodeCursor(key, organizationId, 'audit', query.cursor);
    if (!AUDIT_POSITION.test(after)) throw invalidCursor();
  }
  const { records, end } = await deps.audit.page(organizationId, size, after);
  return {
    events: records.map((record) => ({
      event: record.event,
      at: record.at,
      connection_id: record.connectionId,
      actor: record.actor,
      ...(record.purpose === undefined ? {} : { purpose: record.purpose }),
      outcome: record.outcome,
      ...(record.changedFields === undefined ? {} : { changed_fields: record.changedFields }),
    })),
    next_cursor: end === undefined ? null : encodeCursor(key, organizationId, 'audit', end),
  };
}
