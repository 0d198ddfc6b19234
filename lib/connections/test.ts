import { SealedSecretCorruptError, type EnvelopeCipher } from '../crypto/envelope.js';
import { ConnectionNotFoundError, CredentialsUnreadableError } from '../errors.js';
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
  const definition = await decrypt(deps.cipher, stored);
  const probe = await loadProbe(definition.provider);

  const startedAt = performance.now();
  const verdict = await runProbe(probe, definition, deps.limits());
  const latencyMs = Math.round(performance.now() - startedAt);

  const testedAt = (deps.now?.() ?? new Date()).toISOString();
  const status = verdict.success ? 'connected' : 'failed';
  await deps.store
    .recordTestOutcome(organizationId, stored.id, { status, testedAt, latencyMs })
    .catch((error: unknown) => log.warn('connection.status_not_recorded', { organization_id: organizationId, ...errorFields(error) }));
  log.info('connection.tested', { organization_id: organizationId, connection_id: stored.id, provider: definition.provider, status, code: verdict.code, latency_ms: latencyMs });
  return { ...verdict, latency_ms: latencyMs };
}

/** The sealed definition. Unusable sealed bytes are the stored data's fault; KMS errors keep their own meaning. */
async function decrypt(cipher: EnvelopeCipher, stored: StoredConnection): Promise<ConnectionDefinition> {
  let plaintext: Buffer | undefined;
  try {
    plaintext = await cipher.open(stored.sealed, { organization_id: stored.organizationId, connection_id: stored.id });
    return JSON.parse(plaintext.toString('utf8')) as ConnectionDefinition;
  } catch (error) {
    if (error instanceof SealedSecretCorruptError || error instanceof SyntaxError) throw new CredentialsUnreadableError(error);
    throw error;
  } finally {
    plaintext?.fill(0);
  }
}
