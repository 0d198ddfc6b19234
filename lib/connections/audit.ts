import { log } from '../log.js';

/**
 * Audit events: who (the token's subject) did what to which connection. Field names only, never
 * values: an audit line must not carry a secret, or a host someone wanted kept out of the logs.
 */
export type AuditEvent = 'connection.saved' | 'connection.updated' | 'connection.deleted' | 'connection.activated';

export function audit(
  event: AuditEvent,
  fields: { organization_id: string; connection_id: string; subject: string | null } & Record<string, unknown>,
): void {
  log.info(event, { audit: true, ...fields });
}
