import { describe, expect, test } from '@jest/globals';
import {
  accepted,
  type Body,
  caCertificateField,
  CERTIFICATE,
  checkCases,
  hostField,
  hostnameOf,
  MINIMAL,
  nullableTextField,
  OMIT,
  parsed,
  picklistField,
  portField,
  refused,
  sslModeField,
  stringField,
  unknownFields,
  withFields,
} from './schema-cases.js';

/** The request schemas of the providers reached over HTTP(S) or their own client: ClickHouse, Trino, Databricks, MotherDuck. */
const quoted = (value: string) => JSON.stringify(value.length > 40 ? `${value.length} characters` : value);

describe('ClickHouse', () => {
  const base = MINIMAL.clickhouse;
  const credentials = base.credentials as Body;

  test.each([
    ['disable', 8123],
    ['require', 8443],
    ['verify-ca', 8443],
    ['verify-full', 8443],
  ])('ssl_mode %s without a port: port %d', async (sslMode, port) => {
    expect(await parsed(withFields(base, { 'credentials.ssl_mode': sslMode }))).toMatchObject({ credentials: { port, ssl_mode: sslMode } });
  });

  test('a full body is kept as given, the port too', async () => {
    const body = withFields(base, {
      project_id: 'cloud',
      dataset_id: 'analytics',
      'credentials.port': 9440,
      'credentials.ssl_mode': 'verify-ca',
      'credentials.ca_certificate': CERTIFICATE,
    });
    expect(await parsed(body)).toEqual({ ...body, settings: {} });
    expect(await parsed(withFields(base, { 'credentials.port': 8124, 'credentials.ssl_mode': 'disable' }))).toMatchObject({
      credentials: { port: 8124 },
    });
  });

  test('dataset_id null: the default database', async () => {
    expect(await parsed(withFields(base, { dataset_id: null }))).toMatchObject({ dataset_id: 'default', credentials });
  });

  const COLON = "must not contain ':' (HTTP basic authentication cannot carry it)";
  checkCases([
    ...hostField(base),
    ...portField(base),
    ...stringField(base, 'credentials.username', 255, 'text'),
    refused(
      'credentials.username with a colon',
      withFields(base, { 'credentials.username': 'reader:admin' }),
      'credentials.username',
      COLON,
    ),
    refused(
      'credentials.username ending in a colon',
      withFields(base, { 'credentials.username': 'reader:' }),
      'credentials.username',
      COLON,
    ),
    ...stringField(base, 'credentials.password', 1_024, 'secret'),
    accepted('credentials.password with a colon', withFields(base, { 'credentials.password': 'ch-canary:password' })),
    ...nullableTextField(base, 'project_id', 255),
    ...nullableTextField(base, 'dataset_id', 255),
    ...sslModeField(base),
    ...caCertificateField(base, true),
    ...unknownFields(base, ['url', 'database', 'http_headers', 'clickhouse_settings', 'pathname']),
  ]);
});

describe('Trino', () => {
  const base = MINIMAL.trino;
  const withPassword = withFields(base, { 'credentials.password': 'trino-canary-password' });

  test.each([
    ['disable', 8080],
    ['require', 443],
    ['verify-ca', 443],
    ['verify-full', 443],
  ])('ssl_mode %s without a port: port %d', async (sslMode, port) => {
    expect(await parsed(withFields(base, { 'credentials.ssl_mode': sslMode }))).toMatchObject({ credentials: { port, ssl_mode: sslMode } });
  });

  test('a full body is kept as given, the port too', async () => {
    const body = withFields(withPassword, {
      project_id: 'lake',
      'credentials.port': 8443,
      'credentials.ssl_mode': 'verify-ca',
      'credentials.ca_certificate': CERTIFICATE,
    });
    expect(await parsed(body)).toEqual({ ...body, settings: {} });
    expect(await parsed(withFields(base, { 'credentials.port': 8081, 'credentials.ssl_mode': 'disable' }))).toMatchObject({
      credentials: { port: 8081 },
    });
  });

  const PLAIN_HTTP =
    "must not be set with ssl_mode 'disable': a password is only sent over HTTPS (Trino itself refuses it over plain HTTP)";
  const ASCII = 'must be printable ASCII without leading or trailing spaces';
  const user = (value: unknown) => withFields(base, { 'credentials.username': value });
  checkCases([
    refused(
      'a password over plain HTTP',
      withFields(withPassword, { 'credentials.ssl_mode': 'disable' }),
      'credentials.password',
      PLAIN_HTTP,
    ),
    ...['require', 'verify-ca', 'verify-full'].map((mode) =>
      accepted(`a password with ssl_mode ${mode}`, withFields(withPassword, { 'credentials.ssl_mode': mode })),
    ),
    accepted('a password with the default ssl_mode', withPassword),
    ...stringField(withPassword, 'credentials.password', 1_024, 'secret'),
    ...stringField(base, 'credentials.username', 255, 'text'),
    ...['a', '!', '~', 'a b', '!analyst~', 'x'.repeat(255)].map((value) => accepted(`credentials.username ${quoted(value)}`, user(value))),
    ...[' analyst', 'analyst ', ' ', 'é', 'éa', 'aé', 'anal\u00a0yst'].map((value) =>
      refused(`credentials.username ${quoted(value)}`, user(value), 'credentials.username', ASCII),
    ),
    refused(
      'credentials.username with a colon',
      user('analyst:admin'),
      'credentials.username',
      "must not contain ':' (HTTP Basic authentication cannot carry it)",
    ),
    ...stringField(base, 'credentials.catalog', 255, 'text'),
    ...stringField(base, 'dataset_id', 255, 'text'),
    refused('dataset_id null (it names the schema)', withFields(base, { dataset_id: null }), 'dataset_id', 'must be a string'),
    ...nullableTextField(base, 'project_id', 255),
    ...hostField(base),
    ...portField(base),
    ...sslModeField(base),
    ...caCertificateField(base, true),
    ...unknownFields(base, ['url', 'schema', 'session_properties', 'extra_headers', 'source']),
  ]);
});

describe('Databricks', () => {
  const base = MINIMAL.databricks;
  const CLIENT_ID = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
  const oauth = withFields(base, {
    'credentials.auth_method': 'oauth_m2m',
    'credentials.token': OMIT,
    'credentials.client_id': CLIENT_ID,
    'credentials.client_secret': 'dose-canary-secret',
  });
  const credential = (field: string, value: unknown, body = base) => withFields(body, { [`credentials.${field}`]: value });

  test('OAuth: no token, the client kept', async () => {
    expect(await parsed(oauth)).toEqual({ ...oauth, project_id: null, dataset_id: 'default', settings: {} });
  });

  test('a full body is kept as given; the host in lower case', async () => {
    const body = withFields(base, {
      project_id: 'workspace',
      dataset_id: 'reporting',
      'credentials.host': 'DBC-1234ABCD-5678.Cloud.Databricks.COM',
    });
    expect(await parsed(body)).toEqual({
      ...body,
      credentials: { ...(base.credentials as Body), auth_method: 'token', client_id: null },
      settings: {},
    });
  });

  test('client_id null with a token is no client id', async () => {
    expect(await parsed(credential('client_id', null))).toMatchObject({ credentials: { client_id: null } });
  });

  describe('the workspace host: a DNS name, nothing else', () => {
    const HOST_MESSAGE = "must be the workspace's host name, such as 'dbc-1234abcd-5678.cloud.databricks.com' (no https://, path or port)";
    const host = (value: unknown) => credential('host', value);
    checkCases([
      ...[
        'localhost',
        'a',
        'adb-1234.5.azuredatabricks.net',
        'Dbc-1.Cloud.Databricks.COM',
        `${'a'.repeat(63)}.com`,
        hostnameOf(253),
        'x.1e',
      ].map((value) => accepted(`host ${quoted(value)}`, host(value))),
      ...[
        '127.0.0.1',
        '127.1',
        '0x7f.1',
        '2130706433',
        '10.0.0.1',
        '::1',
        '[::1]',
        'https://dbc.cloud.databricks.com',
        'dbc.cloud.databricks.com/sql',
        'dbc.cloud.databricks.com:443',
        'user@dbc.cloud.databricks.com',
        '-dbc.example.com',
        'dbc-.example.com',
        'dbc..example.com',
        '.dbc.example.com',
        'dbc.example.com.',
        'dbc_1.example.com',
        'dbc example.com',
        `${'a'.repeat(64)}.com`,
        `dbc.${'a'.repeat(64)}`,
        hostnameOf(254),
        '',
      ].map((value) => refused(`host ${quoted(value)}`, host(value), 'credentials.host', HOST_MESSAGE)),
      refused('host a number', host(42), 'credentials.host', 'must be a string'),
    ]);
  });

  describe('fields', () => {
    const PATH_MESSAGE = "must be the SQL warehouse's HTTP path, '/sql/1.0/warehouses/' and its 16-character id";
    const CLIENT_ID_MESSAGE = "must be the service principal's application id (a UUID)";
    const path = (value: unknown) => credential('http_path', value);
    const clientId = (value: unknown) => credential('client_id', value, oauth);
    checkCases([
      accepted('http_path of a warehouse', path('/sql/1.0/warehouses/abcdef0123456789')),
      accepted('http_path of an endpoint (the older name)', path('/sql/1.0/endpoints/0123456789abcdef')),
      ...[
        '/sql/1.0/warehouses/0123456789abcde',
        '/sql/1.0/warehouses/0123456789abcdef0',
        '/sql/1.0/warehouses/0123456789ABCDEF',
        '/sql/1.0/warehouses/0123456789abcdeg',
        '/sql/1.0/warehouses/0123456789abcdef?o=1',
        '/sql/1.0/warehouses/0123456789abcdef/',
        'x/sql/1.0/warehouses/0123456789abcdef',
        'sql/1.0/warehouses/0123456789abcdef',
        '/sql/1.0/clusters/0123456789abcdef',
        '/sql/protocolv1/o/1234567890/0123-456789-abcdefgh',
        '/sql/1x0/warehouses/0123456789abcdef',
        '',
      ].map((value) => refused(`http_path ${quoted(value)}`, path(value), 'credentials.http_path', PATH_MESSAGE)),
      ...stringField(base, 'credentials.catalog', 255, 'text'),
      ...stringField(base, 'credentials.token', 1_024, 'secret'),
      ...stringField(oauth, 'credentials.client_secret', 1_024, 'secret'),
      ...nullableTextField(base, 'project_id', 255),
      ...nullableTextField(base, 'dataset_id', 255),
      ...picklistField(
        base,
        'credentials.auth_method',
        ['token'],
        ['oauth', 'pat', 'OAUTH_M2M', 'oauth-m2m', ''],
        "must be 'token' or 'oauth_m2m'",
      ),
      accepted("credentials.auth_method 'oauth_m2m'", oauth),
      accepted('client_id in capitals', clientId(CLIENT_ID.toUpperCase())),
      ...[
        '0123',
        `${CLIENT_ID}x`,
        `x${CLIENT_ID}`,
        CLIENT_ID.replaceAll('-', ''),
        CLIENT_ID.replace('0a1b2c3d', '0a1b2c3g'),
        `{${CLIENT_ID}}`,
        '',
      ].map((value) => refused(`client_id ${quoted(value)}`, clientId(value), 'credentials.client_id', CLIENT_ID_MESSAGE)),
      refused('client_id a number', clientId(42), 'credentials.client_id', 'must be a string'),
      ...unknownFields(base, ['url', 'proxy', 'azure_tenant_id', 'socket_timeout', 'port']),
    ]);
  });

  describe('which fields go with which auth_method', () => {
    const ONLY_TOKEN = "is only used when auth_method is 'token'";
    const ONLY_OAUTH = "is only used when auth_method is 'oauth_m2m'";
    const NOT_OAUTH_HOST =
      "must be a workspace on .cloud.databricks.com, .gcp.databricks.com, .azuredatabricks.net, .databricks.azure.cn when auth_method is 'oauth_m2m'";
    checkCases([
      refused('a token without token', credential('token', OMIT), 'credentials.token', "is required when auth_method is 'token'"),
      refused('a token with client_id', credential('client_id', CLIENT_ID), 'credentials.client_id', ONLY_OAUTH),
      refused('a token with client_secret', credential('client_secret', 'dose-canary-secret'), 'credentials.client_secret', ONLY_OAUTH),
      refused('OAuth with token', credential('token', 'dapi-canary-token', oauth), 'credentials.token', ONLY_TOKEN),
      refused(
        'OAuth without client_id',
        credential('client_id', OMIT, oauth),
        'credentials.client_id',
        "is required when auth_method is 'oauth_m2m'",
      ),
      refused(
        'OAuth with client_id null',
        credential('client_id', null, oauth),
        'credentials.client_id',
        "is required when auth_method is 'oauth_m2m'",
      ),
      refused(
        'OAuth without client_secret',
        credential('client_secret', OMIT, oauth),
        'credentials.client_secret',
        "is required when auth_method is 'oauth_m2m'",
      ),
      ...['dbc-1.cloud.databricks.com', 'x.gcp.databricks.com', 'adb-1.2.azuredatabricks.net', 'adb-1.databricks.azure.cn'].map((host) =>
        accepted(`OAuth on ${host}`, credential('host', host, oauth)),
      ),
      accepted('OAuth on a workspace named in capitals', credential('host', 'DBC-1.CLOUD.DATABRICKS.COM', oauth)),
      ...[
        'localhost',
        'xcloud.databricks.com',
        'dbc-1.cloud.databricks.com.example.org',
        'databricks.com',
        'dbc.azuredatabricks.net.cn',
      ].map((host) => refused(`OAuth on ${host}`, credential('host', host, oauth), 'credentials.host', NOT_OAUTH_HOST)),
      accepted('a token on any host', credential('host', 'localhost')),
    ]);
  });
});

describe('MotherDuck', () => {
  const base = MINIMAL.motherduck;

  test('a full body is kept as given', async () => {
    const body = withFields(base, { project_id: 'org', dataset_id: 'reporting' });
    expect(await parsed(body)).toEqual({ ...body, settings: {} });
  });

  const DATABASE_MESSAGE =
    "must be a MotherDuck database name: letters, digits and '_', starting with a letter or '_', at most 63 characters";
  const database = (value: unknown) => withFields(base, { 'credentials.database': value });
  checkCases([
    ...stringField(base, 'credentials.token', 4_096, 'token'),
    ...['a', '_x', 'Analytics_2', `d${'b'.repeat(62)}`].map((value) => accepted(`database ${quoted(value)}`, database(value))),
    ...[
      `d${'b'.repeat(63)}`,
      '1db',
      'md:analytics',
      'analytics/x',
      '/tmp/analytics',
      'a.b',
      'a-b',
      'analytics?x=1',
      ' analytics',
      'analytics ',
      '',
    ].map((value) => refused(`database ${quoted(value)}`, database(value), 'credentials.database', DATABASE_MESSAGE)),
    refused('database a number', database(42), 'credentials.database', 'must be a string'),
    ...nullableTextField(base, 'project_id', 255),
    ...nullableTextField(base, 'dataset_id', 255),
    ...unknownFields(base, ['connection_string', 'path', 'motherduck_token', 'saas_mode', 'settings']),
  ]);
});
