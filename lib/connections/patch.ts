import * as v from 'valibot';
import type { EnvelopeCipher } from '../crypto/envelope.js';
import {
  ConnectionNotFoundError,
  DependencyUnavailableError,
  FullCredentialsRequiredError,
  SecretRequiredError,
  ValidationError,
  VersionMismatchError,
} from '../errors.js';
import { ifMatchAdmits } from '../http/if-match.js';
import { connectionName } from '../schema/connection-name.js';
import { parseConnectionRequest } from '../schema/connection.js';
import { toFieldIssues } from '../schema/issues.js';
import { newWriteStamp, type ConnectionRecord } from '../store/connection-item.js';
import { audit, type AuditTrail } from './audit.js';
import {
  changedDestinationFields,
  readPath,
  secretPaths,
  splitDefinition,
  type PlainDefinition,
  type SecretFields,
} from './definition-parts.js';
import { requestFormOf } from './edit-form.js';
import { changedPaths, isPlainObject, mergePatch } from './merge-patch.js';
import type { ConnectionRepository, ConnectionTarget, RecordChanges } from './ports.js';
import { plainDefinitionOf, sealSecrets } from './sealing.js';
import { secretPlaceholders } from './secret-placeholders.js';
import { connectionDetail } from './view.js';

export interface PatchDependencies {
  store: ConnectionRepository;
  cipher: EnvelopeCipher;
  audit?: AuditTrail;
  now?: () => Date;
}

export interface PatchRequest {
  target: ConnectionTarget;
  body: unknown;
  /** Parsed If-Match (lib/http/if-match.ts). */
  ifMatch: number[] | '*' | undefined;
  subject: string | null;
}

/** Attempts when another edit lands between this one's read and write (without If-Match). */
const ATTEMPTS = 3;

const patchBody = v.looseObject({ name: v.optional(connectionName) });

/**
 * Edits a connection in place (same id), as a JSON merge patch of the body POST takes:
 * - secret fields given: the secrets are replaced as a set (those not given are dropped) and sealed
 *   anew for the edited destination (GenerateDataKey; nothing is decrypted);
 * - no secret given: the sealed secret stays as it is, which is allowed only while every
 *   destination field stays as it is; otherwise `400 secret_required` naming the secret fields;
 * - the edited definition is validated whole by the provider's request schema, as at create.
 * Conditional on the version read (If-Match when given: 412 on another version), so two edits never
 * overwrite each other. Logged as `connection.updated` with the names of the changed fields.
 */
export async function patchConnection(deps: PatchDependencies, organizationId: string, request: PatchRequest) {
  if (Array.isArray(request.body) || !isPlainObject(request.body))
    throw new ValidationError([{ field: 'body', message: 'must be a JSON object' }]);
  const parsed = v.safeParse(patchBody, request.body);
  if (!parsed.success) throw new ValidationError(toFieldIssues(parsed.issues));

  for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
    const found = await deps.store.getDetail(organizationId, request.target);
    if (!found) throw new ConnectionNotFoundError(request.target);
    const before = found.record;
    if (!ifMatchAdmits(request.ifMatch, before.version)) throw new VersionMismatchError(before.version);

    const edit = await planEdit(before, parsed.output);
    if (edit.changedFields.length === 0) return connectionDetail(before, found.activeId);

    const now = deps.now?.() ?? new Date();
    const writeStamp = newWriteStamp(now.getTime(), before.id);
    const changes: RecordChanges = { updatedAt: now.toISOString(), writeStamp };
    if (edit.name !== undefined) changes.name = edit.name;
    if (edit.plain) {
      changes.plain = {
        projectId: edit.plain.project_id,
        datasetId: edit.plain.dataset_id,
        settings: edit.plain.settings,
        credentials: edit.plain.credentials,
        storedSecrets: edit.storedSecrets,
      };
    }
    if (edit.secrets) changes.sealed = await sealSecrets(deps.cipher, organizationId, before.id, edit.plain!, edit.secrets, writeStamp);
    try {
      await deps.store.update(before, changes, now.getTime());
    } catch (error) {
      // Another edit landed first: with If-Match the caller decides; without, merge into the new version.
      if (error instanceof VersionMismatchError && request.ifMatch === undefined) continue;
      throw error;
    }
    await audit(deps.audit, {
      organizationId,
      event: 'connection.updated',
      connectionId: before.id,
      actor: request.subject,
      outcome: 'ok',
      changedFields: edit.changedFields,
    });
    return connectionDetail(edited(before, changes), found.activeId);
  }
  throw new DependencyUnavailableError(new Error('The connection changed on every attempt to edit it'));
}

/** The record as the edit left it (what a read would now return). */
function edited(before: ConnectionRecord, changes: RecordChanges): ConnectionRecord {
  const plain = changes.plain;
  return {
    ...before,
    ...(changes.name === undefined ? {} : { name: changes.name }),
    ...(plain
      ? {
          projectId: plain.projectId,
          datasetId: plain.datasetId,
          settings: plain.settings,
          credentials: plain.credentials,
          storedSecrets: plain.storedSecrets,
          status: null,
          lastTestedAt: null,
          latencyMs: null,
          lastStages: null,
        }
      : {}),
    ...(changes.sealed ? { formatVersion: changes.sealed.formatVersion, sealedStamp: changes.sealed.writtenAt! } : {}),
    updatedAt: changes.updatedAt,
    version: before.version + 1,
  };
}

interface PlannedEdit {
  name?: string;
  /** The edited plain part, when a definition field changed. */
  plain?: PlainDefinition;
  storedSecrets: string[];
  /** The secrets to seal, when the body gave secrets. */
  secrets?: SecretFields;
  changedFields: string[];
}

async function planEdit(before: ConnectionRecord, body: { name?: string } & Record<string, unknown>): Promise<PlannedEdit> {
  const { name, ...fields } = body;
  const renamed = name !== undefined && name !== before.name;
  const plannedName = renamed ? { name } : {};
  const nameChange = renamed ? ['name'] : [];
  if (fields.provider !== undefined && fields.provider !== before.provider) {
    throw new ValidationError([
      { field: 'provider', message: `cannot change (it is '${before.provider}'): create a new connection for another provider` },
    ]);
  }
  if (Object.keys(fields).filter((key) => key !== 'provider').length === 0) {
    return { ...plannedName, storedSecrets: before.storedSecrets ?? [], changedFields: nameChange };
  }

  const provider = before.provider;
  const givenSecrets = secretPaths(provider).filter((path) => readPath(fields, path) !== undefined);
  const sealedWhole = before.credentials === null;
  if (sealedWhole && givenSecrets.length === 0) throw new FullCredentialsRequiredError();
  const current = plainDefinitionOf(before);
  const form = mergePatch(requestFormOf(current), { ...fields, provider });

  if (givenSecrets.length > 0) {
    // Secrets are replaced as a set: the merged form holds only the ones given.
    const { plain, secrets } = splitDefinition(await parseConnectionRequest(form));
    const changedFields = [...nameChange, ...changedPaths(current, plain), ...givenSecrets];
    return { ...plannedName, plain, secrets, storedSecrets: Object.keys(secrets).sort(), changedFields: [...new Set(changedFields)] };
  }

  const kept = before.storedSecrets ?? [];
  let plain: PlainDefinition;
  try {
    ({ plain } = splitDefinition(await parseConnectionRequest(mergePatch(form, nest(await secretPlaceholders(kept))))));
  } catch (error) {
    // A destination change without the secret is the problem to report, whatever else is wrong.
    const moved = storedDestinationFieldsChanged(current, form);
    if (error instanceof ValidationError && moved.length > 0 && kept.length > 0) throw new SecretRequiredError(moved, kept);
    throw error;
  }
  const moved = changedDestinationFields(current, plain);
  const changed = changedPaths(current, plain);
  if (moved.length > 0) {
    if (kept.length > 0) throw new SecretRequiredError(moved, kept);
    // Nothing secret is stored (Redshift with IAM): there is no secret to move, but the empty seal
    // is bound to the old destination, so it is sealed anew for the new one.
    return { ...plannedName, plain, secrets: {}, storedSecrets: [], changedFields: [...nameChange, ...changed] };
  }
  return { ...plannedName, ...(changed.length > 0 ? { plain } : {}), storedSecrets: kept, changedFields: [...nameChange, ...changed] };
}

/**
 * Before validation: the destination fields the connection has that the form changes. A field the
 * connection does not have (an unknown one, say) is the schema's to report, not a destination change.
 */
function storedDestinationFieldsChanged(current: PlainDefinition, form: unknown): string[] {
  return changedDestinationFields(current, asPlain(form)).filter((path) => readPath(current, path) !== undefined);
}

/** A merged request form read as a plain definition, for comparing its destination fields before validation. */
function asPlain(form: unknown): PlainDefinition {
  const { provider, project_id, dataset_id, credentials, ...settings } = form as Record<string, unknown>;
  return {
    provider,
    project_id,
    dataset_id,
    credentials: isPlainObject(credentials) ? credentials : {},
    settings,
  } as unknown as PlainDefinition;
}

/** `{ 'credentials.password': x }` as `{ credentials: { password: x } }`, for merging. */
function nest(fields: SecretFields): Record<string, unknown> {
  const nested: Record<string, unknown> = {};
  for (const [path, value] of Object.entries(fields)) {
    const names = path.split('.');
    const last = names.pop()!;
    let current = nested;
    for (const part of names) current = (current[part] ??= {}) as Record<string, unknown>;
    current[last] = value;
  }
  return nested;
}
