import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import type { AwsClientSettings } from '../config.js';

/**
 * SDK client options. Attempts and per-attempt timeouts are set on purpose: 3 attempts x 2 s stays
 * well inside every function's timeout. Region, credentials and endpoints come from the SDK's own
 * standard sources (AWS_REGION, the Lambda role, AWS_ENDPOINT_URL_*, which the local runtime sets).
 */
function clientOptions(settings: AwsClientSettings) {
  return {
    maxAttempts: settings.maxAttempts,
    requestHandler: {
      connectionTimeout: settings.connectTimeoutMs,
      requestTimeout: settings.requestTimeoutMs,
      // Without this the SDK only warns when requestTimeout passes and keeps waiting.
      throwOnRequestTimeout: true,
    },
  };
}

export function dynamoDbClient(settings: AwsClientSettings): DynamoDBClient {
  return new DynamoDBClient(clientOptions(settings));
}

export function kmsClient(settings: AwsClientSettings): KMSClient {
  return new KMSClient(clientOptions(settings));
}
