import type { ConnectionRecord } from '../store/connection-item.js';

/** What the seed routes show of the active connection: the seed's shape, never credentials or ciphertext. */
export function publicConnection(connection: ConnectionRecord) {
  return {
    id: connection.id,
    provider: connection.provider,
    project_id: connection.projectId,
    dataset_id: connection.datasetId,
    settings: connection.settings,
    created_at: connection.createdAt,
    status: connection.status,
    last_tested_at: connection.lastTestedAt,
    /** How long the last test took, in milliseconds. */
    latency_ms: connection.latencyMs,
    /** How far the last test got: its stages, stopping at the first that failed. */
    stages: connection.lastStages,
  };
}

/** One connection in a list: what a picker shows, no credentials of any kind. */
export function listedConnection(connection: ConnectionRecord, activeId: string | null) {
  return {
    id: connection.id,
    name: connection.name,
    active: connection.id === activeId,
    provider: connection.provider,
    project_id: connection.projectId,
    dataset_id: connection.datasetId,
    settings: connection.settings,
    created_at: connection.createdAt,
    updated_at: connection.updatedAt,
    version: connection.version,
    status: connection.status,
    last_tested_at: connection.lastTestedAt,
    latency_ms: connection.latencyMs,
    stages: connection.lastStages,
  };
}

/**
 * One connection as its edit form needs it: the non-secret credential fields, and which secrets
 * are stored (by field path, never their values). `credentials` is null for a connection saved
 * before edits without secrets existed: it is edited by giving its credentials in full once.
 */
export function connectionDetail(connection: ConnectionRecord, activeId: string | null) {
  return {
    ...listedConnection(connection, activeId),
    credentials: connection.credentials,
    stored_secrets: connection.storedSecrets,
  };
}

/** The entity tag of a connection's version, for ETag and If-Match. */
export function entityTag(connection: Pick<ConnectionRecord, 'version'>): string {
  return `"${connection.version}"`;
}
