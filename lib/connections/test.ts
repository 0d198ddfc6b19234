import type { EnvelopeCipher } from '../crypto/envelope.js';
import { ConnectionNotFoundError, CredentialsUnreadableError, DependencyUnavailableError } from '../errors.js';
import { errorFields, log } from '../log.js';
import { loadProbe, runProbe } from '../providers/probe.js';
import type { ProbeLimits, Verdict } from '../providers/verdict.js';
import type { ConnectionDefinition } from '../schema/connection.js';
import type { StoredConnection } from '../store/connection-item.js';
import type { ConnectionStore } from '../store/connection-store.js';

export interface TestDependencies {
  store: ConnectionStore;
  cipher: EnvelopeCipher;
  limits: () => ProbeLimits;
  now?: () => Date;
}

export type TestResult = Verdict & { latency_ms: number };

/**
 * Decrypts the stored credentials and runs the provider's probe under one deadline, then records
 * the verdict on the connection. One read, one KMS Decrypt, one conditional status update.
 */
export async function testConnection(deps: TestDependencies, organizationId: string): Promise<TestResult> {
  const stored = await deps.store.getWithSecret(organizationId);
  if (!stored) throw new ConnectionNotFoundError();
  const probe = await loadProbe(stored.provider);
  const definition = await decrypt(deps.cipher, stored);

  const startedAt = performance.now();
  const verdict = await runProbe(probe, definition, deps.limits());
  const latencyMs = Math.round(performance.now() - startedAt);

  const testedAt = (deps.now?.() ?? new Date()).toISOString();
  const status = verdict.success ? 'connected' : 'failed';
  await deps.store
    .recordTestOutcome(organizationId, stored.id, { status, testedAt, latencyMs })
    .catch((error: unknown) => log.warn('connection.status_not_recorded', { organization_id: organizationId, ...errorFields(error) }));
  log.info('connection.tested', {
    organization_id: organizationId,
    connection_id: stored.id,
    provider: stored.provider,
    status,
    latency_ms: latencyMs,
    ...(verdict.success ? {} : { code: verdict.code }),
  });
  return { ...verdict, latency_ms: latencyMs };
}

async function decrypt(cipher: EnvelopeCipher, stored: StoredConnection): Promise<ConnectionDefinition> {
  let plaintext: Buffer | undefined;
  try {
    plaintext = await cipher.open(stored.sealed, { organization_id: stored.organizationId, connection_id: stored.id });
    const credentials: unknown = JSON.parse(plaintext.toString('utf8'));
    return {
      provider: stored.provider,
      project_id: stored.projectId,
      dataset_id: stored.datasetId,
      settings: stored.settings,
      credentials,
    } as ConnectionDefinition;
  } catch (error) {
    if (error instanceof DependencyUnavailableError || error instanceof CredentialsUnreadableError) throw error;
    throw new CredentialsUnreadableError(error);
  } finally {
    plaintext?.fill(0);
  }
}
