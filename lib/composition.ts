import { dynamoDbClient, kmsClient } from './aws/clients.js';
import type { ServiceConfig } from './config.js';
import { EnvelopeCipher } from './crypto/envelope.js';
import { KmsDataKeys } from './crypto/kms-data-keys.js';
import type { EndpointSettings } from './http/endpoint.js';
import { setLogLevel } from './log.js';
import type { ProbeLimits } from './providers/verdict.js';
import { ConnectionStore } from './store/connection-store.js';
import type { TestLimit } from './store/connection-store.js';

/** Everything a function is made of, assembled from one configuration. */
export interface Service {
  endpoint: EndpointSettings;
  store(): ConnectionStore;
  cipher(): EnvelopeCipher;
  probeLimits: ProbeLimits;
  testLimit: TestLimit | undefined;
  deploymentId: string;
}

/**
 * The composition root: builds the adapters from the configuration. A function calls it once at
 * module scope (its cold start), and builds only the adapters it uses, so each function creates
 * only its own SDK clients, once per process.
 */
export function composeService(config: ServiceConfig): Service {
  setLogLevel(config.logLevel);
  return {
    endpoint: { orgClaim: config.orgClaim },
    store: () => new ConnectionStore(dynamoDbClient(config.aws), config.tableName),
    cipher: () => new EnvelopeCipher(new KmsDataKeys(kmsClient(config.aws), config.kmsKeyId)),
    probeLimits: config.probe,
    testLimit: config.testLimit,
    deploymentId: config.deploymentId,
  };
}
