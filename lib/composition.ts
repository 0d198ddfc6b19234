import { dynamoDbClient, kmsClient } from './aws/clients.js';
import type { ServiceConfig } from './config.js';
import { EnvelopeCipher } from './crypto/envelope.js';
import { KmsDataKeys } from './crypto/kms-data-keys.js';
import type { EndpointSettings } from './http/endpoint.js';
import { setLogLevel } from './log.js';
import { AuditLog } from './store/audit-log.js';
import { ConnectionStore } from './store/connection-store.js';

/**
 * The composition root: builds the adapters from the configuration. A function calls what it
 * needs once at module scope (its cold start). Each builder is its own export, so a function's
 * bundle holds only the adapters and SDK clients it builds (get and delete carry no KMS client).
 */

/** What every HTTP endpoint needs; also applies the configured log level. */
export function composeEndpoint(config: ServiceConfig): EndpointSettings {
  setLogLevel(config.logLevel);
  return { orgClaim: config.orgClaim };
}

export function connectionStore(config: ServiceConfig): ConnectionStore {
  return new ConnectionStore(dynamoDbClient(config.aws), config.tableName, { maxConnections: config.maxConnections });
}

export function credentialCipher(config: ServiceConfig): EnvelopeCipher {
  return new EnvelopeCipher(new KmsDataKeys(kmsClient(config.aws), config.kmsKeyId));
}

/** The audit table, for a function that appends to it or reads it; undefined when it has none. */
export function auditLog(config: ServiceConfig): AuditLog | undefined {
  return config.auditTableName === undefined
    ? undefined
    : new AuditLog(dynamoDbClient(config.aws), config.auditTableName, config.auditRetentionDays);
}
