import { errorFields, log } from '../log.js';
import type { AuditRecord } from '../store/audit-log.js';

/** Where audit records are kept (lib/store/audit-log.ts in AWS and locally). */
export interface AuditTrail {
  append(record: AuditRecord): Promise<void>;
}

export type AuditEntry = Omit<AuditRecord, 'at'>;

/**
 * Records one thing done to a connection: one structured log line, and one durable record in the
 * audit table when the function has one. Field names only, never values: an audit record must not
 * carry a secret, or a host someone wanted kept out of the logs.
 *
 * `required`: the durable record must land or the caller hears the failure (a resolve hands out no
 * secret without its record). Otherwise a failed append is logged and the operation, which has
 * already happened, still answers.
 */
export async function audit(
  trail: AuditTrail | undefined,
  entry: AuditEntry,
  options: {
    required?: boolean;
    /** For the log line only (metrics read them): never values of the connection. */ details?: Record<string, unknown>;
  } = {},
): Promise<void> {
  const record: AuditRecord = { ...entry, at: new Date().toISOString() };
  log.info(record.event, {
    audit: true,
    organization_id: record.organizationId,
    connection_id: record.connectionId,
    subject: record.actor,
    outcome: record.outcome,
    ...(record.purpose === undefined ? {} : { purpose: record.purpose }),
    ...(record.changedFields === undefined ? {} : { changed_fields: record.changedFields }),
    ...options.details,
  });
  if (!trail) return;
  try {
    await trail.append(record);
  } catch (error) {
    if (options.required) throw error;
    log.warn('audit.not_recorded', { organization_id: record.organizationId, event: record.event, ...errorFields(error) });
  }
}
