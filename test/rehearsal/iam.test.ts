import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import {
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { DecryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { addressesOf, ROUTE, ROUTES, routeKey } from '../../lib/routes.js';
import { functionNameOutputKey, OUTPUT_KEYS } from '../../infra/stack-contract.js';
import { startRehearsal, type Rehearsal } from '../../local/rehearsal/rehearsal.js';
import { postgresBody } from '../helpers/bodies.js';
import { synthesizedAssembly } from '../setup/synthesized-assembly.js';

/**
 * Both sides of the rehearsal's IAM: calls the template's policies do not grant are refused with
 * AWS's AccessDeniedException (signed as the function whose role is tested), and a template with
 * one needed permission removed fails the rehearsal with a denial that names the action.
 */
let rehearsal: Rehearsal;
beforeAll(async () => {
  rehearsal = await startRehearsal({ assemblyDir: await synthesizedAssembly(), onLog: () => undefined });
}, 600_000);
afterAll(async () => {
  await rehearsal?.close();
});

function logicalIdOf(functionName: string): string {
  const route = ROUTES.find((candidate) => candidate.functionName === functionName)!;
  const physical = rehearsal.outputs[functionNameOutputKey(route)];
  return rehearsal.model.functions.find((fn) => fn.functionName === physical)!.logicalId;
}

function kmsAs(functionName: string): KMSClient {
  return new KMSClient({
    endpoint: rehearsal.aws.kmsEndpoint,
    region: rehearsal.region,
    credentials: rehearsal.credentialsOf(logicalIdOf(functionName)),
    maxAttempts: 1,
  });
}

function dynamoDbAs(functionName: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint: rehearsal.aws.dynamoDbEndpoint,
    region: rehearsal.region,
    credentials: rehearsal.credentialsOf(logicalIdOf(functionName)),
    maxAttempts: 1,
  });
}

const keyArn = () => rehearsal.outputs[OUTPUT_KEYS.keyArn]!;
const tableName = () => rehearsal.outputs[OUTPUT_KEYS.tableName]!;
const CONTEXT = { organization_id: 'org-iam', connection_id: 'connection-iam' };

async function denial(send: Promise<unknown>): Promise<string> {
  const error = (await send.then(
    () => undefined,
    (caught: unknown) => caught,
  )) as { name?: string; message?: string } | undefined;
  expect(error?.name).toBe('AccessDeniedException');
  return error!.message!;
}

describe('KMS: the roles and the key policy', () => {
  test('the create function may generate a data key with exactly the connection context', async () => {
    const result = await kmsAs('create-connection').send(
      new GenerateDataKeyCommand({ KeyId: keyArn(), KeySpec: 'AES_256', EncryptionContext: CONTEXT }),
    );
    expect(result.CiphertextBlob?.length).toBeGreaterThan(0);
  });

  test.each([
    ['no context', {}],
    ['only organization_id', { organization_id: 'org-iam' }],
    ['only connection_id', { connection_id: 'connection-iam' }],
    ['a foreign key besides both', { ...CONTEXT, purpose: 'other' }],
  ])('a data key with %s is refused', async (_, context) => {
    const message = await denial(
      kmsAs('create-connection').send(new GenerateDataKeyCommand({ KeyId: keyArn(), KeySpec: 'AES_256', EncryptionContext: context })),
    );
    expect(message).toContain('kms:GenerateDataKey');
  });

  test('exactly one function may decrypt: the test function, which serves both test routes', () => {
    expect(ROUTES.filter((route) => route.key === 'decrypt').map((route) => route.functionName)).toEqual(['test-connection']);
    expect(addressesOf(ROUTE.test).map(routeKey)).toEqual([
      'POST /api/v2/warehouse/connections/test',
      'POST /api/v2/warehouse/connections/named/{connection_id}/test',
    ]);
  });

  test.each(ROUTES.filter((route) => route.functionName !== 'test-connection').map((route) => route.functionName))(
    'the %s role may not decrypt',
    async (functionName) => {
      const { CiphertextBlob } = await kmsAs('create-connection').send(
        new GenerateDataKeyCommand({ KeyId: keyArn(), KeySpec: 'AES_256', EncryptionContext: CONTEXT }),
      );
      const message = await denial(
        kmsAs(functionName).send(new DecryptCommand({ KeyId: keyArn(), CiphertextBlob, EncryptionContext: CONTEXT })),
      );
      expect(message).toContain('kms:Decrypt');
    },
  );

  test('the test function decrypts with the context, and not without it', async () => {
    const { CiphertextBlob, Plaintext } = await kmsAs('create-connection').send(
      new GenerateDataKeyCommand({ KeyId: keyArn(), KeySpec: 'AES_256', EncryptionContext: CONTEXT }),
    );
    const opened = await kmsAs('test-connection').send(new DecryptCommand({ KeyId: keyArn(), CiphertextBlob, EncryptionContext: CONTEXT }));
    expect(Buffer.from(opened.Plaintext!)).toEqual(Buffer.from(Plaintext!));
    await denial(
      kmsAs('test-connection').send(
        new DecryptCommand({ KeyId: keyArn(), CiphertextBlob, EncryptionContext: { organization_id: 'org-iam' } }),
      ),
    );
  });
});

describe('DynamoDB: attribute-level grants', () => {
  const key = { pk: { S: 'ORG#org-iam' }, sk: { S: `CONNECTION#${randomUUID()}` } };

  test('the test function may not touch the sealed secret in its status update', async () => {
    const message = await denial(
      dynamoDbAs('test-connection').send(
        new UpdateItemCommand({
          TableName: tableName(),
          Key: key,
          UpdateExpression: 'SET #c = :c',
          ExpressionAttributeNames: { '#c': 'ciphertext' },
          ExpressionAttributeValues: { ':c': { B: Buffer.from('x') } },
        }),
      ),
    );
    expect(message).toContain('dynamodb:UpdateItem');
  });

  const read = (projection: Record<string, unknown>) => new GetItemCommand({ TableName: tableName(), Key: key, ...projection });

  // The audit route reads only the organization's cursor key from this table; the others read records.
  const allowedRead = (table: string) =>
    table === 'cursor-key'
      ? { ProjectionExpression: '#k', ExpressionAttributeNames: { '#k': 'cursor_key' } }
      : { ProjectionExpression: '#i, #p', ExpressionAttributeNames: { '#i': 'id', '#p': 'provider' } };

  test.each(ROUTES.filter((route) => route.key !== 'decrypt' && route.table !== 'none').map((route) => [route.functionName, route.table]))(
    'the %s role reads plain attributes only, never the whole item or the sealed secret',
    async (functionName, table) => {
      const client = dynamoDbAs(functionName);
      await client.send(read(allowedRead(table)));
      expect(await denial(client.send(read({})))).toContain('dynamodb:GetItem');
      await denial(client.send(read({ ProjectionExpression: 'ciphertext' })));
      await denial(client.send(read({ ProjectionExpression: 'encrypted_data_key' })));
    },
  );

  test('the list function reads no credentials of any kind', async () => {
    await denial(dynamoDbAs('list-connections').send(read({ ProjectionExpression: 'credentials' })));
    await denial(
      dynamoDbAs('list-connections').send(
        new QueryCommand({
          TableName: tableName(),
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': { S: 'ORG#org-iam' } },
        }),
      ),
    );
  });

  test('no function but the writers may put or delete items, and readers may not write', async () => {
    for (const functionName of ['get-connection', 'get-named-connection', 'list-connections', 'test-connection']) {
      await denial(dynamoDbAs(functionName).send(new DeleteItemCommand({ TableName: tableName(), Key: key })));
    }
    for (const functionName of ['patch-connection', 'activate-connection', 'delete-connection', 'test-connection']) {
      await denial(dynamoDbAs(functionName).send(new PutItemCommand({ TableName: tableName(), Item: { ...key, id: { S: 'x' } } })));
    }
  });
});

describe('a template missing a needed permission', () => {
  let broken: Rehearsal | undefined;
  let dir: string | undefined;
  afterAll(async () => {
    await broken?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('fails the rehearsal: create answers 500 and the report names dynamodb:PutItem', async () => {
    dir = mkdtempSync(join(tmpdir(), 'rehearsal-broken-'));
    cpSync(await synthesizedAssembly(), dir, { recursive: true });
    const templateFile = readdirSync(dir).find((name) => name.endsWith('.template.json'))!;
    const template = JSON.parse(readFileSync(join(dir, templateFile), 'utf8')) as {
      Resources: Record<string, { Type: string; Properties: { PolicyDocument?: { Statement: { Action: unknown }[] } } }>;
    };
    const policies = Object.values(template.Resources).filter((resource) => resource.Type === 'AWS::IAM::Policy');
    for (const policy of policies) {
      const document = policy.Properties.PolicyDocument!;
      // CDK merges statements that differ only in their actions: take PutItem out of each list.
      document.Statement = document.Statement.flatMap((statement) => {
        const actions = ([] as unknown[]).concat(statement.Action).filter((action) => action !== 'dynamodb:PutItem');
        return actions.length === 0 ? [] : [{ ...statement, Action: actions.length === 1 ? actions[0] : actions }];
      });
    }
    writeFileSync(join(dir, templateFile), JSON.stringify(template));

    broken = await startRehearsal({ assemblyDir: dir, onLog: () => undefined });
    const { outputs } = broken;
    const token = await broken.issuer.idToken(outputs[OUTPUT_KEYS.jwtIssuer]!, outputs[OUTPUT_KEYS.userPoolClientId]!, {
      attributes: { [outputs[OUTPUT_KEYS.orgClaim]!]: 'org-broken' },
    });
    const response = await fetch(`${broken.apiUrl}/api/v2/warehouse/connections`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(postgresBody()),
    });
    expect(response.status).toBe(500);
    expect(broken.report().denials.map((call) => call.action)).toEqual(['dynamodb:PutItem']);
  }, 120_000);
});
