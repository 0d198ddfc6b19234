import { SealedSecretCorruptError, type EnvelopeCipher } from '../crypto/envelope.js';
import { isDeepStrictEqual } from 'node:util';
import { ConnectionNotFoundError, CredentialsUnreadableError, StoredConnectionUnreadableError, TestRateLimitedError } from '../errors.js';
import { externalIdFor } from '../aws/external-id.js';
import { errorFields, log } from '../log.js';
import { loadProbe } from '../providers/probe-loaders.js';
import { runProbe, type Probe } from '../providers/probe.js';
import type { ProbeLimits, Verdict } from '../providers/verdict.js';
import type { ConnectionDefinition, Provider } from '../schema/connection.js';
import { readStoredDefinition } from '../schema/stored-definition.js';
import type { StoredConnection } from '../store/connection-item.js';
import type { TestLimit } from '../store/connection-store.js';
import type { ConnectionRepository } from './ports.js';

export interface TestDependencies {
  store: ConnectionRepository;
  cipher: EnvelopeCipher;
  limits: ProbeLimits;
  /** The provider's probe (dynamic import of its driver); a use-case test may hand in its own. */
  loadProbe?: (provider: Provider) => Promise<Probe>;
  /** Tests per organization and window; none when absent. */
  testLimit: TestLimit | undefined;
  /** This deployment's name in the external ids presented to customers' roles. */
  deploymentId?: string;
  now?: () => Date;
}

export type TestResult = Verdict & { latency_ms: number };

/**
 * Counts the test against the organization's limit, decrypts the stored credentials and runs the
 * provider's probe under one deadline, then records the verdict on the connection. One admission
 * update, one read, one KMS Decrypt, one conditional status update.
 */
export async function testConnection(deps: TestDependencies, organizationId: string): Promise<TestResult> {
  const limit = deps.testLimit;
  if (limit) {
    const admission = await deps.store.admitTest(organizationId, limit, (deps.now?.() ?? new Date()).getTime());
    if (!admission.admitted) throw new TestRateLimitedError(limit, admission.retryAfterSeconds);
  }
  const stored = await deps.store.getWithSecret(organizationId);
  if (!stored) throw new ConnectionNotFoundError();
  const definition = await decrypt(deps.cipher, stored);
  assertPlainAttributesMatch(stored, definition);
  const probe = await (deps.loadProbe ?? loadProbe)(definition.provider);

  const startedAt = performance.now();
  const limits = { ...deps.limits, externalId: externalIdFor(organizationId, deps.deploymentId ?? 'local') };
  const verdict = await runProbe(probe, definition, limits);
  const latencyMs = Math.round(performance.now() - startedAt);

  const testedAt = (deps.now?.() ?? new Date()).toISOString();
  const status = verdict.success ? 'connected' : 'failed';
  // The verdict is the caller's answer either way; a connection replaced meanwhile keeps its own status.
  await deps.store
    .recordTestOutcome(organizationId, stored.id, { status, testedAt, latencyMs, stages: verdict.stages })
    .then((recorded) => {
      if (!recorded)
        log.info('connection.status_not_recorded', {
          organization_id: organizationId,
          connection_id: stored.id,
          reason: 'replaced_or_deleted',
        });
    })
    .catch((error: unknown) => log.warn('connection.status_not_recorded', { organization_id: organizationId, ...errorFields(error) }));
  log.info('connection.tested', {
    organization_id: organizationId,
    connection_id: stored.id,
    provider: definition.provider,
    status,
    code: verdict.code,
    latency_ms: latencyMs,
  });
  return { ...verdict, latency_ms: latencyMs };
}

/** The plain attributes GET shows must be the sealed definition's: an edited item is refused, not tested. */
function assertPlainAttributesMatch(stored: StoredConnection, definition: ConnectionDefinition): void {
  const plain = { provider: stored.provider, project_id: stored.projectId, dataset_id: stored.datasetId, settings: stored.settings };
  const sealed = {
    provider: definition.provider,
    project_id: definition.project_id,
    dataset_id: definition.dataset_id,
    settings: definition.settings,
  };
  if (!isDeepStrictEqual(plain, sealed)) throw new StoredConnectionUnreadableError('plain attributes disagree with the sealed definition');
}

/** The sealed definition. Unusable sealed bytes are the stored data's fault; KMS errors keep their own meaning. */
async function decrypt(cipher: EnvelopeCipher, stored: StoredConnection): Promise<ConnectionDefinition> {
  let plaintext: Buffer | undefined;
  try {
    plaintext = await cipher.open(stored.sealed, { organization_id: stored.organizationId, connection_id: stored.id });
    const definition = readStoredDefinition(JSON.parse(plaintext.toString('utf8')));
    if (!definition) throw new StoredConnectionUnreadableError('the sealed definition is not of a shape this version reads');
    return definition;
  } catch (error) {
    if (error instanceof SealedSecretCorruptError || error instanceof SyntaxError) throw new CredentialsUnreadableError(error);
    throw error;
  } finally {
    plaintext?.fill(0);
  }
}
