import type { EnvelopeCipher } from '../crypto/envelope.js';
import { ConnectionNotFoundError, TestRateLimitedError } from '../errors.js';
import { externalIdFor } from '../aws/external-id.js';
import { errorFields, log } from '../log.js';
import { loadProbe } from '../providers/probe-loaders.js';
import { runProbe, type Probe } from '../providers/probe.js';
import type { ProbeLimits, Verdict } from '../providers/verdict.js';
import type { Provider } from '../schema/connection.js';
import type { TestLimit } from '../store/connection-store.js';
import type { ConnectionRepository, ConnectionTarget } from './ports.js';
import { audit, type AuditTrail } from './audit.js';
import { openDefinition } from './sealing.js';

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
  audit?: AuditTrail;
  now?: () => Date;
}

export type TestResult = Verdict & { latency_ms: number };

/**
 * Counts the test against the organization's limit, decrypts the stored credentials and runs the
 * provider's probe under one deadline, then records the verdict on the connection. One admission
 * update, two reads (state, item), one KMS Decrypt, one conditional status update. Without a
 * target, the active connection (the seed route).
 */
export async function testConnection(
  deps: TestDependencies,
  organizationId: string,
  target?: ConnectionTarget,
  subject: string | null = null,
): Promise<TestResult> {
  const limit = deps.testLimit;
  if (limit) {
    const admission = await deps.store.admitTest(organizationId, limit, (deps.now?.() ?? new Date()).getTime());
    if (!admission.admitted) throw new TestRateLimitedError(limit, admission.retryAfterSeconds);
  }
  const stored = await deps.store.getWithSecret(organizationId, target);
  if (!stored) throw new ConnectionNotFoundError(target);
  const definition = await openDefinition(deps.cipher, stored);
  const probe = await (deps.loadProbe ?? loadProbe)(definition.provider);

  const startedAt = performance.now();
  const limits = { ...deps.limits, externalId: externalIdFor(organizationId, deps.deploymentId ?? 'local') };
  const verdict = await runProbe(probe, definition, limits);
  const latencyMs = Math.round(performance.now() - startedAt);

  const testedAt = (deps.now?.() ?? new Date()).toISOString();
  const status = verdict.success ? 'connected' : 'failed';
  // The verdict is the caller's answer either way; a connection replaced meanwhile keeps its own status.
  await deps.store
    .recordTestOutcome(stored, { status, testedAt, latencyMs, stages: verdict.stages })
    .then((recorded) => {
      if (!recorded)
        log.info('connection.status_not_recorded', {
          organization_id: organizationId,
          connection_id: stored.id,
          reason: 'edited_replaced_or_deleted',
        });
    })
    .catch((error: unknown) => log.warn('connection.status_not_recorded', { organization_id: organizationId, ...errorFields(error) }));
  await audit(
    deps.audit,
    { organizationId, event: 'connection.tested', connectionId: stored.id, actor: subject, outcome: verdict.code },
    { details: { provider: definition.provider, status, code: verdict.code, latency_ms: latencyMs } },
  );
  return { ...verdict, latency_ms: latencyMs };
}
