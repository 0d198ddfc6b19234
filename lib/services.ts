import { dynamoDbClient, kmsClient } from './aws/clients.js';
import { config } from './config.js';
import { EnvelopeCipher } from './crypto/envelope.js';
import { KmsDataKeys } from './crypto/kms-data-keys.js';
import type { ProbeLimits } from './providers/verdict.js';
import { ConnectionStore, type TestLimit } from './store/connection-store.js';

/**
 * The adapters each function needs, built from configuration. Functions call these at module
 * scope, so SDK clients are created once per process, and only the ones the function uses.
 */
export function connectionStore(): ConnectionStore {
  return new ConnectionStore(dynamoDbClient(), config.tableName());
}

export function credentialCipher(): EnvelopeCipher {
  return new EnvelopeCipher(new KmsDataKeys(kmsClient(), config.kmsKeyId()));
}

export function probeLimits(): ProbeLimits {
  return {
    connectTimeoutMs: config.connectTimeoutMs(),
    statementTimeoutMs: config.statementTimeoutMs(),
    deadlineMs: config.testDeadlineMs(),
    allowedCidrs: config.allowedCidrs(),
  };
}

export function testLimit(): TestLimit | undefined {
  const rate = config.testRatePerMinute();
  if (rate === 0) return undefined;
  const tests = config.testBurst();
  return { tests, windowSeconds: Math.ceil((tests * 60) / rate) };
}
