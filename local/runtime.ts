import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { join } from 'node:path';
import { DEFAULTS } from '../lib/config.js';
import { FUNCTIONS } from '../lib/routes.js';
import { loadFunctions, startLocalApi } from './api-gateway.js';
import { ensureTable, startLocalDynamoDb } from './dynamodb.js';
import { localIssuer, remoteVerifier, type LocalIssuer, type TokenVerifier } from './jwt.js';
import { startLocalKms } from './kms-server.js';

export interface LocalRuntimeOptions {
  /** Where DynamoDB data and keys persist; everything stays in memory when absent. */
  dataDir?: string;
  port?: number;
  tableName?: string;
}

export interface LocalRuntime {
  url: string;
  issuer: LocalIssuer;
  dynamoDbEndpoint: string;
  kmsEndpoint: string;
  close(): Promise<void>;
}

/** Local stand-ins for DynamoDB and KMS, pointed to by the standard AWS_ENDPOINT_URL_* variables. */
export async function startLocalBackends(options: { dataDir?: string; tableName?: string } = {}) {
  const dynamodb = await startLocalDynamoDb(options.dataDir ? { dataDir: join(options.dataDir, 'dynamodb') } : {});
  const kms = await startLocalKms(options.dataDir ? { dataDir: options.dataDir } : {});
  process.env.AWS_REGION ??= 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID ??= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
  process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamodb.endpoint;
  process.env.AWS_ENDPOINT_URL_KMS = kms.endpoint;
  process.env.TABLE_NAME = options.tableName ?? process.env.TABLE_NAME ?? 'warehouse-connections';
  process.env.AUDIT_TABLE_NAME ??= `${process.env.TABLE_NAME}-audit`;
  process.env.KMS_KEY_ID = kms.aliasName;
  // On one machine the warehouses under test usually are on this machine too (see README).
  process.env.WAREHOUSE_ALLOWED_CIDRS ??= '127.0.0.0/8,::1/128';
  const client = new DynamoDBClient({});
  await ensureTable(client, process.env.TABLE_NAME);
  await ensureTable(client, process.env.AUDIT_TABLE_NAME);
  client.destroy();
  return {
    dynamodb,
    kms,
    close: async () => {
      await kms.close();
      await dynamodb.close();
    },
  };
}

/** The whole service on one machine: backends, then the handler modules behind a local API Gateway. */
export async function startLocalRuntime(options: LocalRuntimeOptions = {}): Promise<LocalRuntime> {
  const backends = await startLocalBackends(options);
  const issuer = await localIssuer(options.dataDir ? { dataDir: options.dataDir } : {});
  const api = await startLocalApi({
    functions: await loadFunctions(FUNCTIONS),
    verifier: configuredVerifier(issuer),
    // The functions read the same variable (lib/config.ts).
    orgClaim: process.env.ORG_CLAIM || DEFAULTS.orgClaim,
    ...(options.port !== undefined ? { port: options.port } : {}),
  });
  return {
    url: api.url,
    issuer,
    dynamoDbEndpoint: backends.dynamodb.endpoint,
    kmsEndpoint: backends.kms.endpoint,
    close: async () => {
      await api.close();
      await backends.close();
    },
  };
}

/** JWT_JWKS_URL + JWT_ISSUER (+ JWT_AUDIENCE) verify tokens of an external issuer, as the deployed authorizer can. */
function configuredVerifier(issuer: LocalIssuer): TokenVerifier {
  const { JWT_JWKS_URL, JWT_ISSUER, JWT_AUDIENCE } = process.env;
  if (!JWT_JWKS_URL) return issuer.verifier();
  if (!JWT_ISSUER || !JWT_AUDIENCE) throw new Error('JWT_JWKS_URL needs JWT_ISSUER and JWT_AUDIENCE');
  return remoteVerifier(JWT_JWKS_URL, JWT_ISSUER, JWT_AUDIENCE.split(','));
}
