import * as v from 'valibot';
import { externalIdFor } from '../aws/external-id.js';
import type { EnvelopeCipher } from '../crypto/envelope.js';
import { ServiceError } from '../errors.js';
import { isValidOrganizationId } from '../http/identity.js';
import { errorFields, log } from '../log.js';
import { withDeadline } from '../providers/deadline.js';
import { DRIVER_OPTIONS } from '../providers/driver-option-builders.js';
import type { DriverOptionsBuilder, ResolvedDriver } from '../providers/driver-options.js';
import { ProbeFailure, type ProbeLimits } from '../providers/verdict.js';
import type { ConnectionDefinition, Provider } from '../schema/connection.js';
import { text } from '../schema/fields.js';
import { toFieldIssues } from '../schema/issues.js';
import { audit, type AuditTrail } from './audit.js';
import type { ConnectionRepository } from './ports.js';
import { openDefinition } from './sealing.js';

export interface ResolveDependencies {
  store: ConnectionRepository;
  cipher: EnvelopeCipher;
  limits: ProbeLimits;
  /** Required: a resolve hands out no secret without its durable audit record. */
  audit: AuditTrail;
  deploymentId: string;
}

/** The version of the request and answer shapes (docs/consumers.md). */
export const RESOLVE_VERSION = 1;

const resolveRequest = v.strictObject({
  version: v.optional(v.literal(RESOLVE_VERSION, `must be ${RESOLVE_VERSION}`)),
  organization_id: v.pipe(v.string('must be a string'), v.check(isValidOrganizationId, 'must be an organization id')),
  connection_id: v.optional(v.pipe(v.string('must be a string'), v.uuid('must be a connection id (a UUID)'))),
  /** Who is asking (a worker's name): required, audited. */
  caller: text(128),
  /** Why (a job, a dashboard): required, audited. */
  purpose: text(256),
});

export type ResolveRequest = v.InferOutput<typeof resolveRequest>;

export type ResolveAnswer =
  | ({
      version: typeof RESOLVE_VERSION;
      ok: true;
      organization_id: string;
      connection: {
        id: string;
        name: string | null;
        provider: Provider;
        project_id: string | null;
        dataset_id: string | null;
        settings: Record<string, unknown>;
      };
      resolved_at: string;
    } & ResolvedDriver)
  | { version: typeof RESOLVE_VERSION; ok: false; code: string; error: string; field?: string };

/**
 * Hands the platform's own workers what they need to connect: the provider's driver options, the
 * decrypted secret included, for one organization's connection (its active one without an id).
 * Refuses what a test refuses, with the same codes (the SSRF guard on the destination, credentials
 * that do not open), and never answers in part. Every call that names an organization leaves one
 * audit record (who, why, which connection, the outcome); without it, no secret goes out.
 */
export async function resolveConnection(deps: ResolveDependencies, input: unknown): Promise<ResolveAnswer> {
  const parsed = v.safeParse(resolveRequest, input, { abortPipeEarly: true });
  if (!parsed.success) {
    const [issue] = toFieldIssues(parsed.issues);
    return refused('invalid_request', `${issue!.field}: ${issue!.message}`, issue!.field);
  }
  const request = parsed.output;
  const organizationId = request.organization_id;
  const record = (connectionId: string | null, outcome: string) =>
    audit(
      deps.audit,
      { organizationId, event: 'connection.resolved', connectionId, actor: request.caller, purpose: request.purpose, outcome },
      { required: true },
    );

  let answer: ResolveAnswer;
  let connectionId: string | null = request.connection_id ?? null;
  try {
    const stored = await deps.store.getWithSecret(organizationId, request.connection_id);
    if (!stored) {
      answer = refused(
        'connection_not_found',
        request.connection_id === undefined
          ? 'The organization has no active connection.'
          : `The organization has no connection with id ${request.connection_id}.`,
      );
    } else {
      connectionId = stored.id;
      const definition = await openDefinition(deps.cipher, stored);
      const driver = await driverOptions(definition, { ...deps.limits, externalId: externalIdFor(organizationId, deps.deploymentId) });
      answer = {
        version: RESOLVE_VERSION,
        ok: true,
        organization_id: organizationId,
        connection: {
          id: stored.id,
          name: stored.name,
          provider: stored.provider,
          project_id: stored.projectId,
          dataset_id: stored.datasetId,
          settings: stored.settings,
        },
        resolved_at: new Date().toISOString(),
        ...driver,
      };
    }
  } catch (error) {
    answer = refusalOf(error);
  }
  try {
    await record(connectionId, answer.ok ? 'ok' : answer.code);
  } catch (error) {
    log.error('resolve.audit_failed', { organization_id: organizationId, ...errorFields(error) });
    return refused('service_unavailable', 'The resolve could not be audited, so nothing was resolved. Retry shortly.');
  }
  return answer;
}

async function driverOptions(definition: ConnectionDefinition, limits: ProbeLimits): Promise<ResolvedDriver> {
  const build = await (DRIVER_OPTIONS[definition.provider] as () => Promise<DriverOptionsBuilder<Provider>>)();
  return withDeadline(limits.deadlineMs, (signal) => build(definition as never, { limits, signal }));
}

function refusalOf(error: unknown): ResolveAnswer {
  if (error instanceof ProbeFailure) return refused(error.code, error.message);
  if (error instanceof ServiceError) return refused(error.code, error.message);
  log.error('resolve.unexpected_error', errorFields(error));
  return refused('internal_error', 'The connection could not be resolved for an unexpected reason.');
}

function refused(code: string, error: string, field?: string): ResolveAnswer {
  return { version: RESOLVE_VERSION, ok: false, code, error, ...(field === undefined ? {} : { field }) };
}
