import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { SealedSecret } from '../crypto/envelope.js';
import type { Provider } from '../schema/connection.js';

/**
 * One item per organization's active connection. The key leaves room for more connections per
 * organization later (another sort key) without moving existing items.
 */
export const ACTIVE_CONNECTION_SORT_KEY = 'CONNECTION#ACTIVE';

export function itemKey(organizationId: string): Record<string, AttributeValue> {
  return { pk: { S: `ORG#${organizationId}` }, sk: { S: ACTIVE_CONNECTION_SORT_KEY } };
}

export type TestStatus = 'connected' | 'failed';

export interface ConnectionSummary {
  organizationId: string;
  id: string;
  provider: Provider;
  projectId: string | null;
  datasetId: string | null;
  /** Provider options that are not secret (BigQuery location, bytes cap). */
  settings: Record<string, unknown>;
  createdAt: string;
  status: TestStatus | null;
  lastTestedAt: string | null;
  latencyMs: number | null;
}

export interface StoredConnection extends ConnectionSummary {
  sealed: SealedSecret;
}

/** Attributes GET reads: everything but the ciphertext. */
export const SUMMARY_ATTRIBUTES = ['id', 'provider', 'project_id', 'dataset_id', 'settings', 'created_at', 'status', 'last_tested_at', 'latency_ms'] as const;

export function toItem(connection: StoredConnection): Record<string, AttributeValue> {
  const { sealed } = connection;
  return {
    ...itemKey(connection.organizationId),
    id: { S: connection.id },
    provider: { S: connection.provider },
    project_id: nullableString(connection.projectId),
    dataset_id: nullableString(connection.datasetId),
    settings: { S: JSON.stringify(connection.settings) },
    created_at: { S: connection.createdAt },
    format_version: { N: String(sealed.formatVersion) },
    key_id: { S: sealed.keyId },
    encrypted_data_key: { B: sealed.encryptedDataKey },
    iv: { B: sealed.iv },
    auth_tag: { B: sealed.tag },
    ciphertext: { B: sealed.ciphertext },
  };
}

export function toSummary(organizationId: string, item: Record<string, AttributeValue>): ConnectionSummary {
  return {
    organizationId,
    id: requiredString(item, 'id'),
    provider: requiredString(item, 'provider') as Provider,
    projectId: optionalString(item, 'project_id'),
    datasetId: optionalString(item, 'dataset_id'),
    settings: JSON.parse(optionalString(item, 'settings') ?? '{}') as Record<string, unknown>,
    createdAt: requiredString(item, 'created_at'),
    status: optionalString(item, 'status') as TestStatus | null,
    lastTestedAt: optionalString(item, 'last_tested_at'),
    latencyMs: item.latency_ms?.N === undefined ? null : Number(item.latency_ms.N),
  };
}

export function toStoredConnection(organizationId: string, item: Record<string, AttributeValue>): StoredConnection {
  return {
    ...toSummary(organizationId, item),
    sealed: {
      formatVersion: Number(item.format_version?.N),
      keyId: requiredString(item, 'key_id'),
      encryptedDataKey: requiredBinary(item, 'encrypted_data_key'),
      iv: requiredBinary(item, 'iv'),
      tag: requiredBinary(item, 'auth_tag'),
      ciphertext: requiredBinary(item, 'ciphertext'),
    },
  };
}

function nullableString(value: string | null): AttributeValue {
  return value === null ? { NULL: true } : { S: value };
}

function optionalString(item: Record<string, AttributeValue>, name: string): string | null {
  return item[name]?.S ?? null;
}

function requiredString(item: Record<string, AttributeValue>, name: string): string {
  const value = item[name]?.S;
  if (value === undefined) throw new Error(`Stored connection item lacks attribute ${name}`);
  return value;
}

function requiredBinary(item: Record<string, AttributeValue>, name: string): Uint8Array {
  const value = item[name]?.B;
  if (value === undefined) throw new Error(`Stored connection item lacks attribute ${name}`);
  return value;
}
