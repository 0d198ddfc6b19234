import { describe, expect, test } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import { bigqueryBody, clickhouseBody, motherduckBody, mysqlBody, postgresBody, SECRETS, snowflakeBody } from '../helpers/bodies.js';
import { testMysqlCertificateAuthorities } from '../setup/test-mysql-fixture.js';
import { decoyKey, rsaKeyPem } from '../providers/hostile-keys.js';
import { useTestApi } from '../helpers/transports.js';
import { ROUTE } from '../../lib/routes.js';

const { api, transport } = useTestApi();
const handler = transport('handler');
const http = transport('http');

const ORG = 'org-validation';
const without = (object: Record<string, unknown>, key: string) =>
  Object.fromEntries(Object.entries(object).filter(([name]) => name !== key));
const encryptedPkcs8 = generateKeyPairSync('rsa', { modulusLength: 2048 })
  .privateKey.export({
    type: 'pkcs8',
    format: 'pem',
    cipher: 'aes-256-cbc',
    passphrase: 'right-passphrase',
  })
  .toString();

const ecKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const keyPair = (privateKey: string, passphrase?: string) => ({
  auth_method: 'key_pair',
  password: undefined,
  private_key: privateKey,
  private_key_passphrase: passphrase,
});

describe('every invalid body is a 400 naming the field, and nothing is stored', () => {
  const pg = postgresBody();
  const sf = snowflakeBody();
  const bq = bigqueryBody();
  test.each<[string, unknown, string, RegExp]>([
    ['a missing provider', without(pg, 'provider'), 'provider', /is required/],
    ['an unknown provider', { ...pg, provider: 'oracle' }, 'provider', /must be one of/],
    ['a body that is an array', [pg], 'body', /JSON object/],
    ['a body that is a string', 'postgres', 'body', /JSON object/],
    ['a body that is null', null, 'body', /JSON object/],
    ['missing credentials', without(pg, 'credentials'), 'credentials', /is required/],
    ['credentials that are a string', { ...pg, credentials: 'host=db' }, 'credentials', /JSON object/],
    ['an unknown top-level field', { ...pg, region: 'eu' }, 'region', /not a known field/],
    ['an unknown credentials field', postgresBody({}, { sslcert: 'x' }), 'credentials.sslcert', /not a known field/],
    ['an unknown Snowflake top-level field', { ...sf, region: 'eu' }, 'region', /not a known field/],
    [
      'an unknown Snowflake credentials field',
      snowflakeBody({}, { authenticator: 'oauth' }),
      'credentials.authenticator',
      /not a known field/,
    ],
    ['an unknown BigQuery top-level field', { ...bq, credentials_json: '{}' }, 'credentials_json', /not a known field/],
    [
      'an unknown field named like a secret, in credentials',
      postgresBody({}, { LEAKCANARY_S: 'x' }),
      'credentials',
      /^has a field that is not known \(its name is not shown\)$/,
    ],
    [
      'an unknown field named like a secret, at the top',
      { ...sf, 'leak canary': 1 },
      'body',
      /^has a field that is not known \(its name is not shown\)$/,
    ],
    ['an unknown field with a very long name', snowflakeBody({}, { ['x'.repeat(200)]: 'x' }), 'credentials', /its name is not shown/],
    [
      'a BigQuery key file field named like a secret, not a string',
      bigqueryBody({}, { LEAKCANARY_S: 1 }),
      'credentials',
      /^has a field \(its name is not shown\) that must be a string$/,
    ],
    ['a missing host', { ...pg, credentials: without(pg.credentials, 'host') }, 'credentials.host', /is required/],
    ['a host with a path (a unix socket)', postgresBody({}, { host: '/var/run/postgresql' }), 'credentials.host', /hostname or an IP/],
    ['a host with a space', postgresBody({}, { host: 'db example.com' }), 'credentials.host', /hostname or an IP/],
    ['a port out of range', postgresBody({}, { port: 70000 }), 'credentials.port', /1 to 65535/],
    ['a port of zero', postgresBody({}, { port: 0 }), 'credentials.port', /1 to 65535/],
    ['a port that is a string', postgresBody({}, { port: '5432' }), 'credentials.port', /1 to 65535/],
    ['a fractional port', postgresBody({}, { port: 5432.5 }), 'credentials.port', /1 to 65535/],
    ['an empty password', postgresBody({}, { password: '' }), 'credentials.password', /must not be empty/],
    ['a password with a NUL byte', postgresBody({}, { password: 'a\u0000b' }), 'credentials.password', /NUL/],
    ['a password that is a number', postgresBody({}, { password: 12345 }), 'credentials.password', /must be a string/],
    ['an unknown ssl_mode', postgresBody({}, { ssl_mode: 'prefer' }), 'credentials.ssl_mode', /must be one of/],
    [
      'a CA certificate that is not PEM',
      postgresBody({}, { ssl_mode: 'verify-full', ca_certificate: 'not a cert' }),
      'credentials.ca_certificate',
      /PEM certificates/,
    ],
    ['a database name with a control character', postgresBody({}, { database: 'a\nb' }), 'credentials.database', /control characters/],
    ['a database name over 63 characters', postgresBody({}, { database: 'd'.repeat(64) }), 'credentials.database', /at most 63/],
    ['an unknown MySQL top-level field', { ...mysqlBody(), ssl: true }, 'ssl', /not a known field/],
    ['a MySQL driver flag', mysqlBody({}, { flags: ['LOCAL_FILES'] }), 'credentials.flags', /not a known field/],
    ['a MySQL connection string', mysqlBody({}, { uri: 'mysql://db.example.com/warehouse' }), 'credentials.uri', /not a known field/],
    [
      'a MySQL socket path field',
      mysqlBody({}, { socket_path: '/run/mysqld/mysqld.sock' }),
      'credentials.socket_path',
      /not a known field/,
    ],
    ['a MySQL host that is a socket path', mysqlBody({}, { host: '/run/mysqld/mysqld.sock' }), 'credentials.host', /hostname or an IP/],
    ['a MySQL port out of range', mysqlBody({}, { port: 65536 }), 'credentials.port', /1 to 65535/],
    ['a MySQL port that is a string', mysqlBody({}, { port: '3306' }), 'credentials.port', /1 to 65535/],
    [
      "a MySQL ssl_mode in MySQL's own words",
      mysqlBody({}, { ssl_mode: 'VERIFY_IDENTITY' }),
      'credentials.ssl_mode',
      /must be one of 'disable', 'require', 'verify-ca', 'verify-full'/,
    ],
    ['a MySQL ssl_mode that is a boolean', mysqlBody({}, { ssl_mode: true }), 'credentials.ssl_mode', /must be one of/],
    [
      'a MySQL CA certificate that is a file path',
      mysqlBody({}, { ssl_mode: 'verify-ca', ca_certificate: '/etc/ssl/certs/ca.pem' }),
      'credentials.ca_certificate',
      /PEM certificates/,
    ],
    [
      'a MySQL CA certificate where nothing is verified',
      mysqlBody({}, { ssl_mode: 'require', ca_certificate: testMysqlCertificateAuthorities().ca }),
      'credentials.ca_certificate',
      /only used with ssl_mode 'verify-ca' or 'verify-full'/,
    ],
    ['a MySQL database name over 64 characters', mysqlBody({}, { database: 'd'.repeat(65) }), 'credentials.database', /at most 64/],
    ['a MySQL dataset_id over 64 characters', mysqlBody({ dataset_id: 's'.repeat(65) }), 'dataset_id', /at most 64/],
    ['a MySQL password with a NUL byte', mysqlBody({}, { password: 'a\u0000b' }), 'credentials.password', /NUL/],
    ['an unknown ClickHouse top-level field', { ...clickhouseBody(), url: 'https://x.clickhouse.cloud:8443' }, 'url', /not a known field/],
    [
      'a ClickHouse connection string',
      clickhouseBody({}, { url: 'https://default:pw@x.clickhouse.cloud:8443/db?readonly=0' }),
      'credentials.url',
      /not a known field/,
    ],
    [
      'ClickHouse settings (driver options)',
      clickhouseBody({}, { clickhouse_settings: { readonly: 0 } }),
      'credentials.clickhouse_settings',
      /not a known field/,
    ],
    [
      'extra ClickHouse HTTP headers',
      clickhouseBody({}, { http_headers: { 'X-Forwarded-For': '10.0.0.1' } }),
      'credentials.http_headers',
      /not a known field/,
    ],
    ['a ClickHouse path prefix', clickhouseBody({}, { pathname: '/proxy' }), 'credentials.pathname', /not a known field/],
    [
      'a ClickHouse host that is a URL',
      clickhouseBody({}, { host: 'https://x.clickhouse.cloud:8443' }),
      'credentials.host',
      /hostname or an IP/,
    ],
    ['a ClickHouse username with a colon', clickhouseBody({}, { username: 'ana:lyst' }), 'credentials.username', /must not contain ':'/],
    ['a ClickHouse ssl_mode that is a boolean', clickhouseBody({}, { ssl_mode: true }), 'credentials.ssl_mode', /must be one of/],
    [
      'a ClickHouse CA certificate that is a file path',
      clickhouseBody({}, { ssl_mode: 'verify-full', ca_certificate: '/etc/clickhouse-server/ca.pem' }),
      'credentials.ca_certificate',
      /PEM certificates/,
    ],
    [
      'a ClickHouse CA certificate with ssl_mode require (it would not be used)',
      clickhouseBody({}, { ssl_mode: 'require', ca_certificate: testMysqlCertificateAuthorities().ca }),
      'credentials.ca_certificate',
      /only used with ssl_mode 'verify-ca' or 'verify-full'/,
    ],
    ['a ClickHouse port that is a string', clickhouseBody({}, { port: '8443' }), 'credentials.port', /1 to 65535/],
    ['an empty ClickHouse password', clickhouseBody({}, { password: '' }), 'credentials.password', /must not be empty/],
    ['a ClickHouse dataset_id over 255 characters', clickhouseBody({ dataset_id: 'd'.repeat(256) }), 'dataset_id', /at most 255/],
    ['a ClickHouse dataset_id with a control character', clickhouseBody({ dataset_id: 'a\nb' }), 'dataset_id', /control characters/],
    ['an unknown MotherDuck top-level field', { ...motherduckBody(), path: 'md:analytics' }, 'path', /not a known field/],
    [
      'a MotherDuck connection string',
      motherduckBody({}, { connection_string: 'md:analytics?motherduck_token=x' }),
      'credentials.connection_string',
      /not a known field/,
    ],
    [
      'MotherDuck DuckDB settings',
      motherduckBody({}, { config: { enable_external_access: 'true' } }),
      'credentials.config',
      /not a known field/,
    ],
    ['a missing MotherDuck token', motherduckBody({}, { token: undefined }), 'credentials.token', /is required/],
    ['an empty MotherDuck token', motherduckBody({}, { token: '' }), 'credentials.token', /must not be empty/],
    ['a MotherDuck token over 4096 characters', motherduckBody({}, { token: 'canary'.repeat(683) }), 'credentials.token', /at most 4096/],
    [
      'a MotherDuck token with a control character',
      motherduckBody({}, { token: 'canary-md\r\ntoken' }),
      'credentials.token',
      /control characters/,
    ],
    ['a missing MotherDuck database', motherduckBody({}, { database: undefined }), 'credentials.database', /is required/],
    [
      'a MotherDuck database that is a local path',
      motherduckBody({}, { database: '/var/task/data.duckdb' }),
      'credentials.database',
      /MotherDuck database name/,
    ],
    [
      'a MotherDuck database that is a relative file',
      motherduckBody({}, { database: 'data.duckdb' }),
      'credentials.database',
      /MotherDuck database name/,
    ],
    [
      'a MotherDuck database with the md: prefix',
      motherduckBody({}, { database: 'md:analytics' }),
      'credentials.database',
      /MotherDuck database name/,
    ],
    [
      'a MotherDuck database with parameters',
      motherduckBody({}, { database: 'analytics?saas_mode=false' }),
      'credentials.database',
      /MotherDuck database name/,
    ],
    [
      'a MotherDuck database that is a URL',
      motherduckBody({}, { database: 's3://bucket/db.duckdb' }),
      'credentials.database',
      /MotherDuck database name/,
    ],
    ['an in-memory MotherDuck database', motherduckBody({}, { database: ':memory:' }), 'credentials.database', /MotherDuck database name/],
    [
      'a MotherDuck database over 63 characters',
      motherduckBody({}, { database: 'd'.repeat(64) }),
      'credentials.database',
      /MotherDuck database name/,
    ],
    [
      'a MotherDuck database starting with a digit',
      motherduckBody({}, { database: '1db' }),
      'credentials.database',
      /MotherDuck database name/,
    ],
    ['a MotherDuck dataset_id over 255 characters', motherduckBody({ dataset_id: 's'.repeat(256) }), 'dataset_id', /at most 255/],
    [
      'a Snowflake account that smuggles a host',
      snowflakeBody({ project_id: null }, { account: 'evil.com/x' }),
      'credentials.account',
      /account identifier/,
    ],
    [
      'a Snowflake account with the domain',
      snowflakeBody({ project_id: null }, { account: 'acme.snowflakecomputing.com.evil' }),
      'credentials.account',
      /account identifier/,
    ],
    [
      'a Snowflake region that is only a dash',
      snowflakeBody({ project_id: null }, { account: 'xy1.-' }),
      'credentials.account',
      /account identifier/,
    ],
    [
      'a Snowflake connection without an account anywhere',
      snowflakeBody({ project_id: null }, { account: undefined }),
      'project_id',
      /is required/,
    ],
    ['a Snowflake project_id that differs from the account', snowflakeBody({ project_id: 'other-account' }), 'project_id', /must match/],
    [
      'a Snowflake password missing',
      { ...sf, credentials: without(sf.credentials, 'password') },
      'credentials.password',
      /is required when auth_method is 'password'/,
    ],
    [
      'a Snowflake key pair without the key',
      snowflakeBody({}, { auth_method: 'key_pair', password: undefined }),
      'credentials.private_key',
      /is required when auth_method is 'key_pair'/,
    ],
    [
      'a Snowflake key that is not PEM',
      snowflakeBody({}, { auth_method: 'key_pair', password: undefined, private_key: 'MIIE...' }),
      'credentials.private_key',
      /PEM private key/,
    ],
    [
      'an encrypted Snowflake key with the wrong passphrase',
      snowflakeBody({}, { auth_method: 'key_pair', password: undefined, private_key: encryptedPkcs8, private_key_passphrase: 'wrong' }),
      'credentials.private_key',
      /passphrase/,
    ],
    [
      'an unknown Snowflake auth_method',
      snowflakeBody({}, { auth_method: 'oauth' }),
      'credentials.auth_method',
      /'password' or 'key_pair'/,
    ],
    [
      'the decoy PEM of issue 10 (text, a cheap key, a 16,000,000-iteration key)',
      snowflakeBody({}, keyPair(decoyKey('right-passphrase'), 'right-passphrase')),
      'credentials.private_key',
      /^must be one PEM private key .* with nothing but whitespace around it$/,
    ],
    [
      'a Snowflake RSA key with public exponent 3',
      snowflakeBody({}, keyPair(rsaKeyPem(2048, 3))),
      'credentials.private_key',
      /2048 to 4096 bits with public exponent 65537/,
    ],
    [
      'a BigQuery RSA key of 1024 bits',
      bigqueryBody({}, { private_key: rsaKeyPem(1024) }),
      'credentials.private_key',
      /^must be an RSA key of 2048 to 4096 bits with public exponent 65537, as Snowflake and BigQuery require$/,
    ],
    ['a BigQuery EC key', bigqueryBody({}, { private_key: ecKey }), 'credentials.private_key', /must be an RSA key/],
    ['a BigQuery key of another type', bigqueryBody({}, { type: 'authorized_user' }), 'credentials.type', /service_account/],
    ['a BigQuery private key that is not PEM', bigqueryBody({}, { private_key: 'abc' }), 'credentials.private_key', /PEM private key/],
    [
      'a BigQuery private key that is a broken PEM',
      bigqueryBody({}, { private_key: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n' }),
      'credentials.private_key',
      /valid PEM/,
    ],
    ['a BigQuery client_email that is not an email', bigqueryBody({}, { client_email: 'robot' }), 'credentials.client_email', /email/],
    [
      'a BigQuery key file field that is not a string',
      bigqueryBody({}, { client_id: { nested: true } }),
      'credentials.client_id',
      /must be a string/,
    ],
    ['a BigQuery connection without dataset_id', without(bq, 'dataset_id'), 'dataset_id', /is required/],
    ['a BigQuery connection without project_id', without(bq, 'project_id'), 'project_id', /is required/],
    ['a BigQuery project id with capitals', { ...bq, project_id: 'Acme' }, 'project_id', /project id/],
    ['a BigQuery dataset id with a dash', { ...bq, dataset_id: 'my-dataset' }, 'dataset_id', /dataset id/],
    ['a BigQuery location with a slash', { ...bq, location: 'us/central' }, 'location', /location/],
    ['a negative maximum_bytes_billed', { ...bq, maximum_bytes_billed: -1 }, 'maximum_bytes_billed', /at least 1/],
  ])('%s', async (_, body, field, message) => {
    const response = await handler.call({ org: ORG, method: 'POST', body });

    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({
      code: 'validation_failed',
      field,
      error: expect.stringContaining(`${field}:`),
      meta: { organization_id: ORG },
    });
    const details = response.body!.details as { field: string; message: string }[];
    expect(details.find((detail) => detail.field === field)?.message).toMatch(message);
    for (const secret of [...SECRETS, 'right-passphrase']) expect(response.rawBody).not.toContain(secret);
    expect(response.rawBody).not.toMatch(/at \w+ \(|node_modules|\.ts:\d+/); // no stack trace

    const read = await handler.call({ org: ORG, method: 'GET' });
    expect(read.body!.connection).toBeNull();
  });

  test('a wrong-typed value is described by what was expected, never echoed', async () => {
    const response = await handler.call({ org: ORG, method: 'POST', body: postgresBody({}, { port: 'canary-port-value' }) });
    expect(response.status).toBe(400);
    expect(response.rawBody).not.toContain('canary-port-value');
  });

  test('a body with a thousand bad key-file fields gets a short answer naming none of them', async () => {
    const extra = Object.fromEntries(Array.from({ length: 1_000 }, (_, index) => [`LEAKCANARY_${index}`, index]));
    const response = await handler.call({ org: ORG, method: 'POST', body: bigqueryBody({}, extra) });
    expect(response.status).toBe(400);
    expect(response.body!.details).toEqual([
      { field: 'credentials', message: 'has a field (its name is not shown) that must be a string' },
    ]);
  });

  test('distinct problems beyond the first 20 are counted, not listed', async () => {
    const extra = Object.fromEntries(Array.from({ length: 30 }, (_, index) => [`field_${index}`, index]));
    const response = await handler.call({ org: ORG, method: 'POST', body: bigqueryBody({}, extra) });
    const details = response.body!.details as { field: string; message: string }[];
    expect(details).toHaveLength(21);
    expect(details[20]).toEqual({ field: 'body', message: 'has 10 more problems, not listed' });
  });

  test('all problems are listed in details', async () => {
    const response = await handler.call({ org: ORG, method: 'POST', body: postgresBody({}, { port: 0, database: '', extra: 1 }) });
    expect((response.body!.details as { field: string }[]).map((detail) => detail.field).sort()).toEqual([
      'credentials.database',
      'credentials.extra',
      'credentials.port',
    ]);
  });

  test('defaults are applied: port 5432, schema public, ssl_mode require', async () => {
    const org = 'org-defaults';
    const { port: _port, ssl_mode: _ssl, ...credentials } = postgresBody().credentials;
    const created = await handler.call({ org, method: 'POST', body: { provider: 'postgres', credentials } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ dataset_id: 'public', project_id: null });
  });
});

describe('malformed requests', () => {
  test.each([
    ['malformed JSON', { rawBody: '{"provider":' }, 400, 'invalid_json', 'body'],
    ['an empty body', { rawBody: '' }, 400, 'invalid_json', 'body'],
    [
      'a text/plain body',
      { rawBody: JSON.stringify(postgresBody()), headers: { 'content-type': 'text/plain' } },
      415,
      'unsupported_media_type',
      'headers.content-type',
    ],
    [
      'a form body',
      { rawBody: 'provider=postgres', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
      415,
      'unsupported_media_type',
      'headers.content-type',
    ],
    ['a body over 64 KiB', { body: postgresBody({}, { password: 'x'.repeat(70_000) }) }, 413, 'payload_too_large', 'body'],
  ])('%s is refused with a clear 4xx through HTTP and the handler alike', async (_, request, status, code, field) => {
    for (const transport of [handler, http]) {
      const response = await transport.call({ org: ORG, method: 'POST', ...request });
      expect({ via: transport.name, status: response.status }).toEqual({ via: transport.name, status });
      expect(response.body).toMatchObject({ code, field, error: expect.any(String), meta: { request_id: expect.any(String) } });
    }
  });

  test('application/json with a charset is accepted', async () => {
    const response = await http.call({
      org: 'org-charset',
      method: 'POST',
      body: postgresBody(),
      headers: { 'content-type': 'application/json; charset=utf-8' },
    });
    expect(response.status).toBe(201);
  });

  test.each([
    ['PUT', ROUTE.create.path, 405, 'method_not_allowed'],
    ['GET', ROUTE.test.path, 405, 'method_not_allowed'],
    ['GET', '/api/v2/warehouse/other', 404, 'route_not_found'],
    ['GET', '/api/v1/warehouse/connections', 404, 'route_not_found'],
  ] as const)('%s %s answers %i', async (method, path, status, code) => {
    const response = await http.call({ org: ORG, method, path });
    expect(response.status).toBe(status);
    expect(response.body).toMatchObject({ code, error: expect.any(String) });
    if (status === 405) expect(response.headers.allow).toBeDefined();
  });

  test('an event that is not an HTTP API event is refused, not crashed on', async () => {
    const fn = api().functions.find((candidate) => candidate.route.functionName === 'get-connection')!;
    const result = (await fn.handler({ hello: 'world' }, {} as never)) as { statusCode: number; body: string };
    expect(result.statusCode).toBe(400);
    expect(JSON.parse(result.body)).toMatchObject({ code: 'invalid_event' });
  });
});
