import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { EncryptionContext } from '../lib/crypto/envelope.js';
import type { AuditAccess, FunctionSpec, KeyAccess, TableAccess } from '../lib/routes.js';
import { AUDIT_ATTRIBUTES } from '../lib/store/audit-log.js';
import { LIST_ATTRIBUTES, RECORD_ATTRIBUTES, STATUS_ATTRIBUTES, UPDATE_ATTRIBUTES } from '../lib/store/connection-item.js';
import { STATE_ATTRIBUTES, STATE_READ_ATTRIBUTES } from '../lib/store/organization-state.js';
import { TABLE_KEYS } from '../lib/store/table.js';

const KEYS = [TABLE_KEYS.partitionKey, TABLE_KEYS.sortKey];

/**
 * The KMS encryption context every data key is bound to (lib/crypto/envelope.ts). The type check
 * below fails to compile if EncryptionContext gains or loses a key and this list does not follow.
 */
export const ENCRYPTION_CONTEXT_KEYS = ['organization_id', 'connection_id'] as const satisfies readonly (keyof EncryptionContext)[];
type UnlistedContextKey = Exclude<keyof EncryptionContext, (typeof ENCRYPTION_CONTEXT_KEYS)[number]>;
const _contextKeysComplete: [UnlistedContextKey] extends [never] ? true : never = true;

/**
 * KMS conditions that admit a request only with exactly our encryption context: no key outside
 * the list (ForAllValues), and each listed key present (Null=false). ForAllValues alone would also
 * admit a request with no context at all, since it holds for an empty set.
 */
export const ENCRYPTION_CONTEXT_CONDITIONS = {
  'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': [...ENCRYPTION_CONTEXT_KEYS] },
  Null: {
    'kms:EncryptionContextKeys': 'false',
    ...Object.fromEntries(ENCRYPTION_CONTEXT_KEYS.map((key) => [`kms:EncryptionContext:${key}`, 'false'])),
  },
};

/**
 * The attributes the test function's status update may touch: the verdict, the item's key, and
 * `id` and `version`, which its condition expression compares (ConnectionStore.recordTestOutcome).
 * DynamoDB counts attributes named in condition expressions too, and key attributes must be listed.
 * The sealed secret is not among them, so this function can read it but never overwrite it.
 */
export const STATUS_UPDATE_ATTRIBUTES = [KEYS, 'id', 'version', ...STATUS_ATTRIBUTES].flat();
/** A rate-limit window item: its count of tests and the time it expires (ConnectionStore.admitTest). */
export const TEST_LIMIT_ATTRIBUTES = [...KEYS, 'tests', 'expires_at'];
/** The organization's state item (lib/store/organization-state.ts): what every writer may change there. */
export const STATE_UPDATE_ATTRIBUTES = [...KEYS, ...STATE_ATTRIBUTES];
/** An edit: the connection's plain attributes, stamps and seal, conditioned on its id and version; and the state. */
export const EDIT_UPDATE_ATTRIBUTES = [...new Set([...KEYS, 'id', ...UPDATE_ATTRIBUTES, ...STATE_ATTRIBUTES])];

/**
 * What a reader may see of an item: the key, the state, and a connection's attributes without the
 * sealed secret. `dynamodb:Select` refuses a read without a projection, which returns every
 * attribute: AWS's documented pattern for attribute-level reads (StringEqualsIfExists, as AWS
 * writes it). List reads no credentials of any kind, and is the one reader of the cursor key.
 */
export const RECORD_READ_ATTRIBUTES = [...new Set([...KEYS, ...RECORD_ATTRIBUTES, ...STATE_READ_ATTRIBUTES])];
export const CURSOR_KEY_ATTRIBUTES = [...KEYS, 'cursor_key'];
export const LIST_READ_ATTRIBUTES = [...new Set([...KEYS, ...LIST_ATTRIBUTES, ...STATE_ATTRIBUTES])];
const projectedTo = (attributes: readonly string[]) => ({
  'ForAllValues:StringEquals': { 'dynamodb:Attributes': [...attributes] },
  StringEqualsIfExists: { 'dynamodb:Select': 'SPECIFIC_ATTRIBUTES' },
});

export interface ProtectedResources {
  tableArn: string;
  keyArn: string;
  auditTableArn: string;
}

/**
 * The only place route access modes become IAM: each function gets the calls its route's
 * `table` and `key` modes name (lib/store/connection-store.ts, lib/crypto/kms-data-keys.ts), on
 * the one table and the one key, and nothing else.
 */
export function routePermissions(
  route: Pick<FunctionSpec, 'table' | 'key' | 'probes' | 'audit'>,
  resources: ProtectedResources,
): PolicyStatement[] {
  return [
    ...tableStatements(route.table, resources.tableArn),
    ...keyStatements(route.key, resources.keyArn),
    ...auditStatements(route.audit, resources.auditTableArn),
    ...(route.probes ? [ASSUME_CUSTOMER_ROLE] : []),
  ];
}

/** An audit record's attributes (lib/store/audit-log.ts): appends are puts of those only. */
export const AUDIT_PUT_ATTRIBUTES = [...KEYS, ...AUDIT_ATTRIBUTES];

function auditStatements(access: AuditAccess, auditTableArn: string): PolicyStatement[] {
  switch (access) {
    case 'append':
      return [
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions: ['dynamodb:PutItem'],
          resources: [auditTableArn],
          conditions: { 'ForAllValues:StringEquals': { 'dynamodb:Attributes': AUDIT_PUT_ATTRIBUTES } },
        }),
      ];
    case 'read':
      return [new PolicyStatement({ effect: Effect.ALLOW, actions: ['dynamodb:Query'], resources: [auditTableArn] })];
    case 'none':
      return [];
  }
}

/**
 * A probe assumes the role a customer names for Redshift with IAM or Athena: any role, since
 * customers' accounts are not known in advance, but only with an external id of the service's
 * form, which the probe derives from the caller's organization (lib/aws/external-id.ts). What
 * keeps one tenant out of another's role is that role's trust policy, which requires its own
 * organization's external id.
 */
export const ASSUME_CUSTOMER_ROLE = new PolicyStatement({
  effect: Effect.ALLOW,
  actions: ['sts:AssumeRole'],
  resources: ['arn:aws:iam::*:role/*'],
  conditions: { StringLike: { 'sts:ExternalId': 'wc-*' } },
});

function tableStatements(access: TableAccess, tableArn: string): PolicyStatement[] {
  const allow = (action: string, conditions?: Record<string, unknown>) =>
    new PolicyStatement({
      effect: Effect.ALLOW,
      actions: [`dynamodb:${action}`],
      resources: [tableArn],
      ...(conditions ? { conditions } : {}),
    });
  const updateOnly = (attributes: readonly string[]) =>
    allow('UpdateItem', { 'ForAllValues:StringEquals': { 'dynamodb:Attributes': [...attributes] } });
  // Every writer reads the state and may start it (ConnectionStore.collection); only an edit updates
  // a connection's item in place, the others change the state alone.
  const readRecords = allow('GetItem', projectedTo(RECORD_READ_ATTRIBUTES));
  const updateState = updateOnly(STATE_UPDATE_ATTRIBUTES);
  switch (access) {
    case 'write':
    case 'create-named':
      return [readRecords, updateState, allow('PutItem'), allow('DeleteItem')];
    case 'update':
      return [readRecords, updateOnly(EDIT_UPDATE_ATTRIBUTES)];
    case 'delete':
      return [readRecords, updateState, allow('DeleteItem')];
    case 'activate':
      return [readRecords, updateState];
    case 'read':
      return [allow('GetItem', projectedTo(RECORD_READ_ATTRIBUTES))];
    case 'list':
      return [allow('GetItem', projectedTo(LIST_READ_ATTRIBUTES)), allow('Query', projectedTo(LIST_READ_ATTRIBUTES))];
    case 'resolve':
      // The whole item, sealed secret included: what it decrypts. It writes nothing to this table.
      return [allow('GetItem')];
    case 'cursor-key':
      // The organization's list-cursor key, made on first use (ConnectionStore.cursorKey).
      return [allow('GetItem', projectedTo(CURSOR_KEY_ATTRIBUTES)), updateOnly(CURSOR_KEY_ATTRIBUTES)];
    case 'read-and-record-status':
      return [allow('GetItem'), updateOnly(STATUS_UPDATE_ATTRIBUTES), updateOnly(TEST_LIMIT_ATTRIBUTES)];
    case 'none':
      return [];
  }
}

function keyStatements(access: KeyAccess, keyArn: string): PolicyStatement[] {
  const allow = (action: string) =>
    new PolicyStatement({
      effect: Effect.ALLOW,
      actions: [`kms:${action}`],
      resources: [keyArn],
      conditions: ENCRYPTION_CONTEXT_CONDITIONS,
    });
  switch (access) {
    case 'generate-data-key':
      return [allow('GenerateDataKey')];
    case 'decrypt':
      return [allow('Decrypt')];
    case 'none':
      return [];
  }
}
