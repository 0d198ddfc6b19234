import { DynamoDBClient, PutItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { rawActiveItem } from '../helpers/stored-items.js';
import { postgresBody, SECRETS } from '../helpers/bodies.js';
import { useTestApi } from '../helpers/transports.js';
import { TEST_POSTGRES } from '../setup/test-postgres-fixture.js';
import { ROUTE } from '../../lib/routes.js';

const { transport } = useTestApi();
const handler = transport('handler');

const TEST_PATH = ROUTE.test.path;
const dynamoDb = new DynamoDBClient({});
const tableName = process.env.TABLE_NAME!;

afterAll(async () => {
  dynamoDb.destroy();
});

const newOrg = () => `org-${randomUUID().slice(0, 8)}`;
const rawItem = rawActiveItem;

/** Every byte of an item, binary attributes as text too, so a plaintext secret cannot hide. */
function itemText(item: Record<string, AttributeValue>): string {
  return Object.values(item)
    .map((value) => (value.B ? Buffer.from(value.B).toString('latin1') + Buffer.from(value.B).toString('base64') : JSON.stringify(value)))
    .join('|');
}

describe('one organization never reaches another', () => {
  test('B cannot see, test, replace or delete A’s connection', async () => {
    const orgA = newOrg();
    const orgB = newOrg();
    const created = await handler.call({ org: orgA, method: 'POST', body: postgresBody() });

    expect((await handler.call({ org: orgB, method: 'GET' })).body!.connection).toBeNull();
    expect((await handler.call({ org: orgB, method: 'POST', path: TEST_PATH })).status).toBe(404);
    expect((await handler.call({ org: orgB, method: 'DELETE' })).status).toBe(404);
    const createdByB = await handler.call({ org: orgB, method: 'POST', body: postgresBody({ dataset_id: 'public' }) });
    expect(createdByB.status).toBe(201);

    const readByA = await handler.call({ org: orgA, method: 'GET' });
    expect(readByA.body!.connection).toMatchObject({ id: created.body!.id, dataset_id: TEST_POSTGRES.schema });
    expect((await handler.call({ org: orgA, method: 'POST', path: TEST_PATH })).body).toMatchObject({ success: true });
  });
});

describe('what is stored', () => {
  test('the item holds ciphertext, a wrapped data key and its metadata, and no plaintext secret', async () => {
    const org = newOrg();
    const created = await handler.call({ org, method: 'POST', body: postgresBody() });
    const item = await rawItem(org);

    expect(item.id?.S).toBe(created.body!.id);
    expect(item.format_version?.N).toBe('3');
    expect(item.sealed_stamp?.S).toMatch(new RegExp(`^\\d{15}#${created.body!.id as string}$`));
    expect(item.key_id?.S).toMatch(/^arn:aws:kms:[a-z0-9-]+:\d{12}:key\//);
    expect(item.iv?.B).toHaveLength(12);
    expect(item.auth_tag?.B).toHaveLength(16);
    expect(item.encrypted_data_key?.B?.length).toBeGreaterThan(32);
    for (const secret of SECRETS) expect(itemText(item)).not.toContain(secret);
    // Only the secret fields are sealed; the others are plain, for edit forms.
    expect(JSON.parse(item.credentials!.S!)).toMatchObject({ username: TEST_POSTGRES.username });
    expect(JSON.parse(item.credentials!.S!)).not.toHaveProperty('password');
    expect(JSON.parse(item.stored_secrets!.S!)).toEqual(['credentials.password']);
  });

  test('the provider edited beside the sealed secret: the secret does not open and nothing is tested', async () => {
    const org = newOrg();
    await handler.call({ org, method: 'POST', body: postgresBody() });
    const item = await rawItem(org);
    await dynamoDb.send(
      new PutItemCommand({
        TableName: tableName,
        Item: { ...item, provider: { S: 'redshift' }, dataset_id: { S: TEST_POSTGRES.lockedSchema } },
      }),
    );

    const tested = await handler.call({ org, method: 'POST', path: TEST_PATH });
    expect(tested.status).toBe(500);
    expect(tested.body).toMatchObject({ code: 'credentials_unreadable' });
    expect((await rawItem(org)).status).toBeUndefined(); // no verdict recorded: nothing was tested
  });

  test('a replaced connection leaves no trace of the old credentials', async () => {
    const org = newOrg();
    await handler.call({ org, method: 'POST', body: postgresBody({}, { password: 'old-password-canary' }) });
    const before = await rawItem(org);
    await handler.call({ org, method: 'POST', body: postgresBody() });
    const after = await rawItem(org);

    expect(Buffer.from(after.ciphertext!.B!).equals(Buffer.from(before.ciphertext!.B!))).toBe(false);
    expect(Buffer.from(after.encrypted_data_key!.B!).equals(Buffer.from(before.encrypted_data_key!.B!))).toBe(false);
  });

  test.each([
    // The victim's key and sealed stamp go along, so the copy passes as current and only the cryptography stands in the way.
    [
      'with its own connection id',
      (stolen: Record<string, AttributeValue>, victim: Record<string, AttributeValue>) => ({
        ...stolen,
        pk: victim.pk!,
        sk: victim.sk!,
        id: victim.id!,
        sealed_stamp: victim.sealed_stamp!,
      }),
      'credentials_unreadable',
    ],
    [
      // Refused before KMS is asked: the item names another connection than its key.
      'under the copied connection id',
      (stolen: Record<string, AttributeValue>, victim: Record<string, AttributeValue>) => ({
        ...stolen,
        pk: victim.pk!,
        sk: victim.sk!,
        sealed_stamp: victim.sealed_stamp!,
      }),
      'connection_unreadable',
    ],
  ])('a ciphertext copied into another organization’s item (%s) never decrypts', async (_, forge, code) => {
    const orgA = newOrg();
    const orgB = newOrg();
    await handler.call({ org: orgA, method: 'POST', body: postgresBody() });
    await handler.call({ org: orgB, method: 'POST', body: postgresBody({}, { password: 'b-password-canary' }) });
    await dynamoDb.send(new PutItemCommand({ TableName: tableName, Item: forge(await rawItem(orgA), await rawItem(orgB)) }));

    const tested = await handler.call({ org: orgB, method: 'POST', path: TEST_PATH });
    expect(tested.status).toBe(500);
    expect(tested.body).toMatchObject({ code });
    for (const secret of [...SECRETS, 'b-password-canary']) expect(tested.rawBody).not.toContain(secret);
  });
});

describe('organization ids are case-sensitive', () => {
  test('Acme and acme are two organizations: each creates, reads, tests and deletes only its own connection', async () => {
    const suffix = randomUUID().slice(0, 8);
    const upper = `Acme-${suffix}`;
    const lower = `acme-${suffix}`;
    const createdUpper = await handler.call({ org: upper, method: 'POST', body: postgresBody() });
    expect((await handler.call({ org: lower, method: 'GET' })).body).toMatchObject({ connection: null, meta: { organization_id: lower } });
    const createdLower = await handler.call({ org: lower, method: 'POST', body: postgresBody({ dataset_id: 'public' }) });

    expect((await handler.call({ org: upper, method: 'GET' })).body!.connection).toMatchObject({
      id: createdUpper.body!.id,
      dataset_id: TEST_POSTGRES.schema,
    });
    expect((await handler.call({ org: lower, method: 'GET' })).body!.connection).toMatchObject({
      id: createdLower.body!.id,
      dataset_id: 'public',
    });
    expect((await rawItem(upper)).id?.S).toBe(createdUpper.body!.id);
    expect((await rawItem(lower)).id?.S).toBe(createdLower.body!.id);

    expect((await handler.call({ org: lower, method: 'DELETE' })).status).toBe(204);
    expect((await handler.call({ org: upper, method: 'GET' })).body!.connection).toMatchObject({ id: createdUpper.body!.id });
    expect((await handler.call({ org: upper, method: 'POST', path: TEST_PATH })).body).toMatchObject({
      success: true,
      meta: { organization_id: upper },
    });
  });
});

describe('concurrent requests of several organizations through one warm handler', () => {
  test('each response names its own organization and carries only its own data', async () => {
    const orgs = Array.from({ length: 6 }, (_, index) => ({
      org: `org-concurrent-${index}-${randomUUID().slice(0, 6)}`,
      schema: `schema_${index}`,
    }));
    const created = await Promise.all(
      orgs.map(({ org, schema }) => handler.call({ org, method: 'POST', body: postgresBody({ dataset_id: schema }) })),
    );
    created.forEach((response, index) =>
      expect({ status: response.status, org: response.body!.meta }).toEqual({
        status: 201,
        org: expect.objectContaining({ organization_id: orgs[index]!.org }),
      }),
    );
    const idOf = new Map(orgs.map(({ org }, index) => [org, created[index]!.body!.id]));

    // The invocations interleave in one process (a Lambda instance runs one at a time, but it keeps its
    // module state between them): per-invocation state kept anywhere shared answers for the wrong organization.
    const rounds = orgs.flatMap(({ org, schema }) => [1, 2, 3].map(() => ({ org, schema })));
    const answers = await Promise.all(rounds.map(({ org }) => handler.call({ org, method: 'GET' })));
    answers.forEach((answer, index) => {
      const { org, schema } = rounds[index]!;
      expect({ org: answer.body!.meta, connection: answer.body!.connection }).toEqual({
        org: expect.objectContaining({ organization_id: org }),
        connection: expect.objectContaining({ id: idOf.get(org), dataset_id: schema }),
      });
    });
  });
});
