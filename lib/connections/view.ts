import type { ConnectionSummary } from '../store/connection-item.js';

/** What callers may see of a connection: never credentials, never ciphertext. */
export function publicConnection(connection: ConnectionSummary) {
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
