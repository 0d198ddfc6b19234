import { randomUUID } from 'node:crypto';
import type { EnvelopeCipher } from '../crypto/envelope.js';
import { log } from '../log.js';
import { parseConnectionRequest } from '../schema/connection.js';
import { newWriteStamp } from '../store/connection-item.js';
import type { ConnectionRepository } from './ports.js';

export interface CreateDependencies {
  store: ConnectionRepository;
  cipher: EnvelopeCipher;
  now?: () => Date;
}

/**
 * Validates the body, seals it under a new connection id and replaces the organization's active
 * connection in one write. One KMS call, one DynamoDB call. The whole definition is sealed, not
 * only the credentials: the test runs on authenticated data alone, so whoever can write the table
 * cannot change the provider, the schema or the BigQuery bytes cap a test uses. The plain
 * attributes beside it serve GET.
 */
export async function createConnection(deps: CreateDependencies, organizationId: string, body: unknown) {
  const definition = await parseConnectionRequest(body);
  const id = randomUUID();
  const now = deps.now?.() ?? new Date();
  const plaintext = Buffer.from(JSON.stringify(definition), 'utf8');
  const sealed = await deps.cipher
    .seal(plaintext, { organization_id: organizationId, connection_id: id }, newWriteStamp(now.getTime(), id))
    .finally(() => plaintext.fill(0));
  const createdAt = now.toISOString();
  await deps.store.put({
    organizationId,
    id,
    provider: definition.provider,
    projectId: definition.project_id,
    datasetId: definition.dataset_id,
    settings: definition.settings,
    createdAt,
    status: null,
    lastTestedAt: null,
    latencyMs: null,
    lastStages: null,
    writeStamp: sealed.writtenAt,
    sealed,
  });
  log.info('connection.saved', { organization_id: organizationId, connection_id: id, provider: definition.provider });
  return {
    id,
    provider: definition.provider,
    project_id: definition.project_id,
    dataset_id: definition.dataset_id,
    settings: definition.settings,
    created_at: createdAt,
  };
}
