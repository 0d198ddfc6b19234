import { randomUUID } from 'node:crypto';
import * as v from 'valibot';
import type { EnvelopeCipher } from '../crypto/envelope.js';
import { ValidationError } from '../errors.js';
import { parseConnectionRequest } from '../schema/connection.js';
import { connectionName } from '../schema/connection-name.js';
import { toFieldIssues } from '../schema/issues.js';
import { newWriteStamp, type StoredConnection } from '../store/connection-item.js';
import { audit, type AuditTrail } from './audit.js';
import { splitDefinition } from './definition-parts.js';
import type { ConnectionRepository } from './ports.js';
import { sealSecrets } from './sealing.js';
import { connectionDetail } from './view.js';

export interface CreateDependencies {
  store: ConnectionRepository;
  cipher: EnvelopeCipher;
  audit?: AuditTrail;
  now?: () => Date;
}

/**
 * The seed POST: validates the body, seals its secrets under a new connection id and makes it the
 * organization's active connection, replacing the previous one unless that one has a name. One KMS
 * call; DynamoDB: read the state, put the item, update the state (and remove the replaced item).
 */
export async function createConnection(deps: CreateDependencies, organizationId: string, body: unknown, subject: string | null = null) {
  const { connection } = await prepare(deps, organizationId, body, null);
  await deps.store.insertActive(connection);
  await audit(deps.audit, { organizationId, event: 'connection.saved', connectionId: connection.id, actor: subject, outcome: 'ok' });
  return {
    id: connection.id,
    provider: connection.provider,
    project_id: connection.projectId,
    dataset_id: connection.datasetId,
    settings: connection.settings,
    created_at: connection.createdAt,
  };
}

const namedBody = v.looseObject({ name: connectionName });

/** POST /connections/named: a connection with a name unique in the organization; the active one stays. */
export async function createNamedConnection(deps: CreateDependencies, organizationId: string, body: unknown, subject: string | null) {
  const named = v.safeParse(namedBody, body);
  if (!named.success) throw new ValidationError(toFieldIssues(named.issues));
  const { name, ...rest } = named.output;
  const now = deps.now?.() ?? new Date();
  const { connection } = await prepare(deps, organizationId, rest, name);
  await deps.store.insertNamed({ ...connection, name }, now.getTime());
  await audit(deps.audit, { organizationId, event: 'connection.saved', connectionId: connection.id, actor: subject, outcome: 'ok' });
  return connectionDetail(connection, null);
}

async function prepare(deps: CreateDependencies, organizationId: string, body: unknown, name: string | null) {
  const definition = await parseConnectionRequest(body);
  const { plain, secrets } = splitDefinition(definition);
  const id = randomUUID();
  const now = deps.now?.() ?? new Date();
  const stamp = newWriteStamp(now.getTime(), id);
  const sealed = await sealSecrets(deps.cipher, organizationId, id, plain, secrets, stamp);
  const createdAt = now.toISOString();
  const connection: StoredConnection = {
    organizationId,
    id,
    name,
    provider: definition.provider,
    projectId: definition.project_id,
    datasetId: definition.dataset_id,
    settings: definition.settings,
    credentials: plain.credentials,
    storedSecrets: Object.keys(secrets).sort(),
    createdAt,
    updatedAt: createdAt,
    version: 1,
    formatVersion: sealed.formatVersion,
    sealedStamp: stamp,
    storedAtLegacyKey: false,
    status: null,
    lastTestedAt: null,
    latencyMs: null,
    lastStages: null,
    sealed,
  };
  return { connection };
}
