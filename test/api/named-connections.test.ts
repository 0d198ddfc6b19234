import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { createNamedConnection } from '../../lib/connections/create.js';
import { EnvelopeCipher } from '../../lib/crypto/envelope.js';
import { KmsDataKeys } from '../../lib/crypto/kms-data-keys.js';
import { ConnectionLimitError } from '../../lib/errors.js';
import { PROVIDER_IDS } from '../../lib/providers/registry.js';
import { pathFor, ROUTE } from '../../lib/routes.js';
import { ConnectionStore } from '../../lib/store/connection-store.js';
import { startBlackholeServer } from '../fakes/blackhole-server.js';
import type { LoopbackServer } from '../fakes/loopback-server.js';
import { bigqueryBody, postgresBody, SEED_BODIES, snowflakeBody } from '../helpers/bodies.js';
import { capturedLogLines } from '../helpers/logs.js';
import { redshiftIamBody } from '../helpers/redshift-iam.js';
import { putRawItem, rawConnectionItem } from '../helpers/stored-items.js';
import { useTestApi, type ApiResponse } from '../helpers/transports.js';

/**
 * The connection collection through the handler: names, edits with and without secrets, versions,
 * activation, limits, and what happens to a sealed secret moved to another destination.
 */
const { transport } = useTestApi();
const api = transport('handler');
const newOrg = () => `org-${randomUUID().slice(0, 8)}`;
const at = (template: string, id: string) => pathFor(template, { connection_id: id });
const TEST_BY_ID = ROUTE.test.alsoServes[0].path;
const outcome = (response: ApiResponse) => ({ status: response.status, code: response.body?.code, field: response.body?.field });

let blackhole: LoopbackServer;
beforeAll(async () => {
  blackhole = await startBlackholeServer();
});
afterAll(async () => {
  await blackhole.close();
});

async function createNamed(org: string, name: string, body: Record<string, unknown> = postgresBody()) {
  const response = await api.call({ org, method: 'POST', path: ROUTE.createNamed.path, body: { name, ...body } });
  expect(response.status).toBe(201);
  return response.body!.connection as { id: string; version: number };
}

const patch = (org: string, id: string, body: unknown, headers?: Record<string, string>) =>
  api.call({ org, method: 'PATCH', path: at(ROUTE.patchNamed.path, id), body, ...(headers ? { headers } : {}) });

const sealedBytes = async (org: string, id: string) => {
  const item = await rawConnectionItem(org, id);
  return [item.ciphertext, item.encrypted_data_key, item.iv, item.auth_tag, item.sealed_stamp];
};

describe('names', () => {
  test.each([
    ['missing', undefined, 'is required'],
    ['empty', '', 'must not be empty'],
    ['too long', 'x'.repeat(101), 'must be at most 100 characters'],
    ['with a space at an end', ' Prod', 'must not start or end with spaces'],
    ['not a string', 42, 'must be a string'],
  ])('%s: 400 naming the field', async (_, name, message) => {
    const response = await api.call({ org: newOrg(), method: 'POST', path: ROUTE.createNamed.path, body: { name, ...postgresBody() } });
    expect(outcome(response)).toEqual({ status: 400, code: 'validation_failed', field: 'name' });
    expect(response.body!.error).toContain(message);
  });

  test('unique per organization without regard to case; free again once released', async () => {
    const org = newOrg();
    const prod = await createNamed(org, 'Prod');
    await createNamed(newOrg(), 'Prod'); // another organization's names are its own
    expect(
      outcome(await api.call({ org, method: 'POST', path: ROUTE.createNamed.path, body: { name: 'PROD', ...postgresBody() } })),
    ).toEqual({
      status: 409,
      code: 'name_taken',
      field: 'name',
    });
    const other = await createNamed(org, 'Other');
    expect(outcome(await patch(org, other.id, { name: 'prod' }))).toMatchObject({ status: 409, code: 'name_taken' });
    // The holder may change its own name's case; the old name is then free.
    expect((await patch(org, prod.id, { name: 'PROD' })).body!.connection).toMatchObject({ name: 'PROD' });
    expect((await patch(org, prod.id, { name: 'Production' })).status).toBe(200);
    expect((await patch(org, other.id, { name: 'prod' })).body!.connection).toMatchObject({ name: 'prod' });
    expect((await api.call({ org, method: 'DELETE', path: at(ROUTE.deleteNamed.path, other.id) })).status).toBe(204);
    await createNamed(org, 'Prod');
  });
});

describe('edits', () => {
  test('a field that is not a destination changes in place: same sealed secret, new version, last test cleared, still testable', async () => {
    const org = newOrg();
    const { id } = await createNamed(org, 'Main');
    expect((await api.call({ org, method: 'POST', path: at(TEST_BY_ID, id) })).body).toMatchObject({ success: true });
    const sealed = await sealedBytes(org, id);

    const edited = await patch(org, id, { dataset_id: 'public' });
    expect(edited.status).toBe(200);
    expect(edited.headers.etag).toBe('"2"');
    expect(edited.body!.connection).toMatchObject({ id, dataset_id: 'public', version: 2, status: null, last_tested_at: null });
    expect(await sealedBytes(org, id)).toEqual(sealed);
    expect((await api.call({ org, method: 'POST', path: at(TEST_BY_ID, id) })).body).toMatchObject({ success: true });
  });

  test.each([
    ['host', { credentials: { host: 'localhost' } }, ['credentials.host']],
    ['port', { credentials: { port: 6543 } }, ['credentials.port']],
    ['database', { credentials: { database: 'other' } }, ['credentials.database']],
    ['username', { credentials: { username: 'someone_else' } }, ['credentials.username']],
    ['TLS mode (the channel the secret travels on)', { credentials: { ssl_mode: 'require' } }, ['credentials.ssl_mode']],
  ])('a new %s without the password: 400 secret_required naming it, nothing changed', async (_, body, moved) => {
    const org = newOrg();
    const { id } = await createNamed(org, 'Main');
    const response = await patch(org, id, body);
    expect(outcome(response)).toEqual({ status: 400, code: 'secret_required', field: 'credentials.password' });
    expect(response.body!.error).toContain(moved.join(', '));
    expect(response.body!.details).toEqual([{ field: 'credentials.password', message: expect.stringContaining(moved[0]!) }]);
    expect((await api.call({ org, method: 'GET', path: at(ROUTE.getNamed.path, id) })).body!.connection).toMatchObject({ version: 1 });
  });

  test('a new destination with the secret: sealed anew for it', async () => {
    const org = newOrg();
    const { id } = await createNamed(org, 'Main');
    const sealed = await sealedBytes(org, id);
    const response = await patch(org, id, { credentials: { host: 'localhost', password: postgresBody().credentials.password } });
    expect(response.status).toBe(200);
    expect(response.body!.connection).toMatchObject({ credentials: { host: 'localhost' }, stored_secrets: ['credentials.password'] });
    expect(await sealedBytes(org, id)).not.toEqual(sealed);
    expect((await api.call({ org, method: 'POST', path: at(TEST_BY_ID, id) })).body).toMatchObject({ success: true });
  });

  test.each([
    ['the provider', { provider: 'snowflake' }, 'provider'],
    ['an unknown field', { credentials: { hostname: 'x' } }, 'credentials.hostname'],
    ['an invalid port', { credentials: { port: 70000, password: 'p' } }, 'credentials.port'],
    ['an array body', [1], 'body'],
  ])('%s: 400 naming the field', async (_, body, field) => {
    const org = newOrg();
    const { id } = await createNamed(org, 'Main');
    expect(outcome(await patch(org, id, body))).toMatchObject({ status: 400, field });
  });

  test('an empty patch changes nothing (same version)', async () => {
    const org = newOrg();
    const { id } = await createNamed(org, 'Main');
    expect((await patch(org, id, {})).body!.connection).toMatchObject({ version: 1 });
  });

  test('If-Match: a stale version is refused (412), the current one and * pass, a malformed one is a 400', async () => {
    const org = newOrg();
    const { id } = await createNamed(org, 'Main');
    const read = await api.call({ org, method: 'GET', path: at(ROUTE.getNamed.path, id) });
    expect(read.headers.etag).toBe('"1"');
    expect((await patch(org, id, { name: 'Main 2' }, { 'if-match': read.headers.etag! })).status).toBe(200);
    const stale = await patch(org, id, { name: 'Main 3' }, { 'if-match': read.headers.etag! });
    expect(outcome(stale)).toEqual({ status: 412, code: 'version_mismatch', field: 'headers.if-match' });
    expect(stale.headers.etag).toBe('"2"');
    expect((await patch(org, id, { name: 'Main 3' }, { 'if-match': '*' })).status).toBe(200);
    expect(outcome(await patch(org, id, { name: 'Main 4' }, { 'if-match': 'W/"3"' }))).toMatchObject({
      status: 400,
      field: 'headers.if-match',
    });
    const staleDelete = await api.call({ org, method: 'DELETE', path: at(ROUTE.deleteNamed.path, id), headers: { 'if-match': '"1"' } });
    expect(outcome(staleDelete)).toMatchObject({ status: 412, code: 'version_mismatch' });
    expect((await api.call({ org, method: 'DELETE', path: at(ROUTE.deleteNamed.path, id), headers: { 'if-match': '"3"' } })).status).toBe(
      204,
    );
  });

  test('two edits at once: both land, one after the other (no lost update)', async () => {
    const org = newOrg();
    const { id } = await createNamed(org, 'Main');
    const [a, b] = await Promise.all([patch(org, id, { name: 'Renamed' }), patch(org, id, { dataset_id: 'public' })]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect((await api.call({ org, method: 'GET', path: at(ROUTE.getNamed.path, id) })).body!.connection).toMatchObject({
      name: 'Renamed',
      dataset_id: 'public',
      version: 3,
    });
  });

  test('each edit is an audit event naming the changed fields and who changed them, never a value', async () => {
    const org = newOrg();
    const { id } = await createNamed(org, 'Main');
    await patch(org, id, { name: 'Audited', credentials: { host: 'localhost', password: postgresBody().credentials.password } });
    const line = capturedLogLines().find((text) => text.includes('"connection.updated"') && text.includes(id));
    expect(JSON.parse(line!)).toMatchObject({
      audit: true,
      organization_id: org,
      connection_id: id,
      subject: 'user-1',
      changed_fields: ['name', 'credentials.host', 'credentials.password'],
      outcome: 'ok',
    });
    expect(line).not.toContain('localhost');
  });

  test('Snowflake: a warehouse or role changes without the password; a new account or user needs it', async () => {
    const org = newOrg();
    const { id } = await createNamed(org, 'Snow', snowflakeBody());
    expect((await patch(org, id, { credentials: { warehouse: 'OTHER_WH', role: 'ANALYST' } })).status).toBe(200);
    expect(outcome(await patch(org, id, { credentials: { account: 'acme-other' } }))).toMatchObject({
      status: 400,
      code: 'secret_required',
    });
    expect(outcome(await patch(org, id, { credentials: { auth_method: 'key_pair' } }))).toMatchObject({
      status: 400,
      code: 'secret_required',
    });
  });

  test('BigQuery: the dataset or bytes cap changes without the key; another service account needs it', async () => {
    const org = newOrg();
    const { id } = await createNamed(org, 'BQ', bigqueryBody());
    const sealed = await sealedBytes(org, id);
    const edited = await patch(org, id, { dataset_id: 'other_dataset', maximum_bytes_billed: 1024 });
    expect(edited.status).toBe(200);
    expect(edited.body!.connection).toMatchObject({ dataset_id: 'other_dataset', settings: { maximum_bytes_billed: 1024 } });
    expect(await sealedBytes(org, id)).toEqual(sealed);
    const moved = await patch(org, id, { credentials: { client_email: 'other@acme-analytics-123.iam.gserviceaccount.com' } });
    expect(outcome(moved)).toEqual({ status: 400, code: 'secret_required', field: 'credentials.private_key' });
    expect(edited.rawBody).not.toMatch(/BEGIN PRIVATE KEY/);
  });
});

describe('a connection with no secret (Redshift with an IAM role)', () => {
  const world = {
    names: { cluster: 'analytics', workgroup: 'reporting', dbUser: 'looker_ro', roleName: 'reader' },
    roleArn: () => 'arn:aws:iam::123456789012:role/reader',
  };

  test('a new role changes without a secret to give, and its empty seal is bound to the new destination', async () => {
    const org = newOrg();
    const { id } = await createNamed(org, 'Redshift', redshiftIamBody(world, 'provisioned'));
    const sealed = await sealedBytes(org, id);
    const moved = await patch(org, id, { credentials: { role_arn: 'arn:aws:iam::123456789012:role/other-reader' } });
    expect(moved.status).toBe(200);
    expect(moved.body!.connection).toMatchObject({
      stored_secrets: [],
      credentials: { role_arn: 'arn:aws:iam::123456789012:role/other-reader' },
    });
    expect(await sealedBytes(org, id)).not.toEqual(sealed);
  });
});

describe('a sealed secret moved to another destination in DynamoDB', () => {
  test('its host edited in the item: the secret never decrypts (credentials_unreadable) and nothing connects', async () => {
    const org = newOrg();
    const { id } = await createNamed(org, 'Main');
    const item = await rawConnectionItem(org, id);
    const credentials = JSON.parse(item.credentials!.S!) as Record<string, unknown>;
    await putRawItem({ ...item, credentials: { S: JSON.stringify({ ...credentials, host: '127.0.0.1', port: blackhole.port }) } });
    const acceptedBefore = blackhole.accepted;

    const response = await api.call({ org, method: 'POST', path: at(TEST_BY_ID, id) });
    expect(outcome(response)).toEqual({ status: 500, code: 'credentials_unreadable', field: undefined });
    expect(blackhole.accepted).toBe(acceptedBefore);
  });

  test("another connection's sealed attributes copied onto it: refused (bound to the other id and destination)", async () => {
    const org = newOrg();
    const source = await createNamed(org, 'Source');
    const target = await createNamed(org, 'Target', postgresBody({}, { host: 'localhost' }));
    const from = await rawConnectionItem(org, source.id);
    const to = await rawConnectionItem(org, target.id);
    // The target's own sealed stamp stays, so the copy passes as current and only the cryptography refuses it.
    const sealedNames = ['format_version', 'key_id', 'encrypted_data_key', 'iv', 'auth_tag', 'ciphertext'] as const;
    await putRawItem({ ...to, ...Object.fromEntries(sealedNames.map((name) => [name, from[name]!])) });
    expect(outcome(await api.call({ org, method: 'POST', path: at(TEST_BY_ID, target.id) }))).toMatchObject({
      status: 500,
      code: 'credentials_unreadable',
    });
  });
});

describe('the active connection', () => {
  test('the seed POST replaces an unnamed active connection, but a named one only stops being active', async () => {
    const org = newOrg();
    const named = await createNamed(org, 'Kept');
    await api.call({ org, method: 'POST', path: at(ROUTE.activate.path, named.id) });
    const seeded = await api.call({ org, method: 'POST', body: postgresBody() });
    const reseeded = await api.call({ org, method: 'POST', body: postgresBody() });
    const listed = (await api.call({ org, method: 'GET', path: ROUTE.list.path })).body!.connections as { id: string; active: boolean }[];
    expect(listed.map(({ id, active }) => ({ id, active })).sort((a, b) => a.id.localeCompare(b.id))).toEqual(
      [
        { id: named.id, active: false },
        { id: reseeded.body!.id as string, active: true },
      ].sort((a, b) => a.id.localeCompare(b.id)),
    );
    expect(listed.map(({ id }) => id)).not.toContain(seeded.body!.id);
  });

  test('PATCH of the active connection edits it in place (same id), with the same rules', async () => {
    const org = newOrg();
    const created = await api.call({ org, method: 'POST', body: postgresBody() });
    expect(outcome(await api.call({ org, method: 'PATCH', body: { credentials: { host: 'localhost' } } }))).toMatchObject({
      status: 400,
      code: 'secret_required',
    });
    const named = await api.call({ org, method: 'PATCH', body: { name: 'Now named', dataset_id: 'public' } });
    expect(named.body!.connection).toMatchObject({ id: created.body!.id, name: 'Now named', active: true, dataset_id: 'public' });
    expect((await api.call({ org, method: 'GET' })).body!.connection).toMatchObject({ id: created.body!.id, dataset_id: 'public' });
  });

  test('PATCH, activate and the named routes answer 404 for what does not exist, 400 for what is not an id', async () => {
    const org = newOrg();
    expect(outcome(await api.call({ org, method: 'PATCH', body: { dataset_id: 'x' } }))).toMatchObject({
      status: 404,
      code: 'connection_not_found',
    });
    const unknown = randomUUID();
    for (const [method, template] of [
      ['GET', ROUTE.getNamed.path],
      ['PATCH', ROUTE.patchNamed.path],
      ['DELETE', ROUTE.deleteNamed.path],
      ['POST', ROUTE.activate.path],
      ['POST', TEST_BY_ID],
    ] as const) {
      const body = method === 'PATCH' ? { dataset_id: 'x' } : undefined;
      expect(outcome(await api.call({ org, method, path: at(template, unknown), ...(body ? { body } : {}) }))).toEqual({
        status: 404,
        code: 'connection_not_found',
        field: 'path.connection_id',
      });
      expect(outcome(await api.call({ org, method, path: at(template, 'not-an-id'), ...(body ? { body } : {}) }))).toEqual({
        status: 400,
        code: 'invalid_connection_id',
        field: 'path.connection_id',
      });
    }
  });

  test("one organization cannot read, edit, test, activate or delete another's connection by id", async () => {
    const [owner, intruder] = [newOrg(), newOrg()];
    const { id } = await createNamed(owner, 'Private');
    for (const [method, template] of [
      ['GET', ROUTE.getNamed.path],
      ['PATCH', ROUTE.patchNamed.path],
      ['DELETE', ROUTE.deleteNamed.path],
      ['POST', ROUTE.activate.path],
      ['POST', TEST_BY_ID],
    ] as const) {
      const response = await api.call({
        org: intruder,
        method,
        path: at(template, id),
        ...(method === 'PATCH' ? { body: { name: 'x' } } : {}),
      });
      expect({ method, template, status: response.status }).toEqual({ method, template, status: 404 });
    }
    expect((await api.call({ org: owner, method: 'GET', path: at(ROUTE.getNamed.path, id) })).body!.connection).toMatchObject({
      name: 'Private',
    });
  });
});

describe('lists', () => {
  test('limit: 1 to 100, default 25; a tampered cursor is refused', async () => {
    const org = newOrg();
    for (const name of ['a', 'b', 'c']) await createNamed(org, name);
    const all = await api.call({ org, method: 'GET', path: ROUTE.list.path });
    expect((all.body!.connections as unknown[]).length).toBe(3);
    expect(all.body!.next_cursor).toBeNull();
    for (const limit of ['0', '101', 'x', '1.5']) {
      expect(outcome(await api.call({ org, method: 'GET', path: `${ROUTE.list.path}?limit=${limit}` }))).toEqual({
        status: 400,
        code: 'invalid_limit',
        field: 'query.limit',
      });
    }
    const page = await api.call({ org, method: 'GET', path: `${ROUTE.list.path}?limit=2` });
    const cursor = page.body!.next_cursor as string;
    const tampered = `${cursor.slice(0, 5)}${cursor[5] === 'A' ? 'B' : 'A'}${cursor.slice(6)}`;
    for (const bad of [tampered, 'garbage', `${cursor}.x`]) {
      expect(outcome(await api.call({ org, method: 'GET', path: `${ROUTE.list.path}?cursor=${encodeURIComponent(bad)}` }))).toEqual({
        status: 400,
        code: 'invalid_cursor',
        field: 'query.cursor',
      });
    }
  });

  test('an organization with no connection lists none', async () => {
    expect((await api.call({ org: newOrg(), method: 'GET', path: ROUTE.list.path })).body).toMatchObject({
      connections: [],
      next_cursor: null,
    });
  });
});

describe('limits', () => {
  test('an organization keeps at most the configured number of connections (409 connection_limit_reached)', async () => {
    const store = new ConnectionStore(new DynamoDBClient({}), process.env.TABLE_NAME!, { maxConnections: 2 });
    const deps = { store, cipher: new EnvelopeCipher(new KmsDataKeys(new KMSClient({}), process.env.KMS_KEY_ID!)) };
    const org = newOrg();
    await createNamedConnection(deps, org, { name: 'one', ...postgresBody() }, null);
    await createNamedConnection(deps, org, { name: 'two', ...postgresBody() }, null);
    await expect(createNamedConnection(deps, org, { name: 'three', ...postgresBody() }, null)).rejects.toBeInstanceOf(ConnectionLimitError);
    expect((await store.list(org)).records.map((record) => record.name).sort()).toEqual(['one', 'two']);
  });
});

describe.each(PROVIDER_IDS)('%s', (provider) => {
  test('created named, read back with its non-secret fields and the names of its stored secrets, never a secret', async () => {
    const org = newOrg();
    const body = SEED_BODIES[provider]();
    const { id } = await createNamed(org, provider, body);
    const read = await api.call({ org, method: 'GET', path: at(ROUTE.getNamed.path, id) });
    expect(read.body!.connection).toMatchObject({ provider, credentials: expect.any(Object), stored_secrets: expect.any(Array) });
    const { stored_secrets } = read.body!.connection as { stored_secrets: string[] };
    for (const path of stored_secrets) expect(JSON.stringify(read.body!.connection)).not.toContain(JSON.stringify(lookup(body, path)));
  });
});

function lookup(value: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((current, key) => (current as Record<string, unknown> | undefined)?.[key], value);
}
