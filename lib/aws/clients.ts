import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { config } from '../config.js';

/**
 * SDK clients, one per process (Lambda reuses them across invocations). Attempts and per-attempt
 * timeouts are set on purpose: 3 attempts x 2 s stays well inside every function's timeout.
 * Endpoints come from the standard AWS_ENDPOINT_URL_* variables, which the local runtime sets.
 */
function clientOptions() {
  return {
    maxAttempts: config.awsMaxAttempts(),
    requestHandler: {
      connectionTimeout: config.awsConnectTimeoutMs(),
      requestTimeout: config.awsRequestTimeoutMs(),
      // Without this the SDK only warns when requestTimeout passes and keeps waiting.
      throwOnRequestTimeout: true,
    },
  };
}

let dynamoDb: DynamoDBClient | undefined;
let kms: KMSClient | undefined;

export function dynamoDbClient(): DynamoDBClient {
  return (dynamoDb ??= new DynamoDBClient(clientOptions()));
}

export function kmsClient(): KMSClient {
  return (kms ??= new KMSClient(clientOptions()));
}
