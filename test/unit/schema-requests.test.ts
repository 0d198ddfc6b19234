import { describe, expect, test } from '@jest/globals';
import { ValidationError } from '../../lib/errors.js';
import { PROVIDER_IDS, type ProviderId } from '../../lib/providers/ids.js';
import { parseConnectionRequest } from '../../lib/schema/connection.js';
import { readStoredDefinition } from '../../lib/schema/stored-definition.js';
import {
  type Body,
  CA_ONLY_WHEN_VERIFIED,
  caCertificateField,
  CERTIFICATE,
  checkCases,
  hostField,
  issuesOf,
  MINIMAL,
  nullableTextField,
  OMIT,
  parsed,
  picklistField,
  portField,
  refused,
  requiredFields,
  ROLE_ARN,
  SERVICE_ACCOUNT_KEY,
  SSL_MODE_MESSAGE,
  SSL_MODES,
  sslModeField,
  stringField,
  unknownFields,
  withFields,
} from './schema-cases.js';

/**
 * The request schemas, called in process (no handler): what every provider shares (the body, the
 * provider, required and unknown fields, defaults, the stored shape), the shared field rules of
 * lib/schema/fields.ts, and PostgreSQL and MySQL. Other providers: test/unit/schema-*.test.ts.
 */
const PROVIDER_LIST =
  "'postgres', 'snowflake', 'bigquery', 'mysql', 'redshift', 'databricks', 'clickhouse', 'trino', 'athena' or 'motherduck'";

describe('the body and its provider', () => {
  const pg = MINIMAL.postgres;
  test.each<[string, unknown]>([
    ['an array (valibot would read it as an object)', [pg]],
    ['a string', 'postgres'],
    ['null', null],
    ['a number', 42],
  ])('a body that is %s: refused as not a JSON object', async (_, body) => {
    const refusal = parseConnectionRequest(body);
    await expect(refusal).rejects.toBeInstanceOf(ValidationError);
    await expect(refusal).rejects.toMatchObject({ details: [{ field: 'body', message: 'must be a JSON object' }] });
  });

  checkCases([
    refused('a body without provider', withFields(pg, { provider: OMIT }), 'provider', `is required: one of ${PROVIDER_LIST}`),
    refused('an unknown provider', withFields(pg, { provider: 'oracle' }), 'provider', `must be one of ${PROVIDER_LIST}`),
    refused('a provider in capitals', withFields(pg, { provider: 'Postgres' }), 'provider', `must be one of ${PROVIDER_LIST}`),
    refused('a provider that is null', withFields(pg, { provider: null }), 'provider', `must be one of ${PROVIDER_LIST}`),
    refused('credentials that are a string', withFields(pg, { credentials: 'host=db user=x' }), 'credentials', 'must be a JSON object'),
    refused('credentials that are null', withFields(pg, { credentials: null }), 'credentials', 'must be a JSON object'),
  ]);

  test('a body with several problems lists each field once, in the schema order', async () => {
    expect(await issuesOf({ provider: 'postgres', credentials: {} })).toEqual([
      { field: 'credentials.host', message: 'is required' },
      { field: 'credentials.database', message: 'is required' },
      { field: 'credentials.username', message: 'is required' },
      { field: 'credentials.password', message: 'is required' },
    ]);
  });

  test('each field reports only its first problem (abortPipeEarly): too long and a control character gives the length', async () => {
    const body = withFields(pg, { 'credentials.username': `a\u0000${'x'.repeat(62)}` });
    expect(await issuesOf(body)).toEqual([{ field: 'credentials.username', message: 'must be at most 63 characters' }]);
  });
});

/** What each provider's minimal body becomes: every default applied, every derived field set. */
const MINIMAL_OUTPUT: Record<ProviderId, unknown> = {
  postgres: {
    provider: 'postgres',
    project_id: null,
    dataset_id: 'public',
    credentials: { ...(MINIMAL.postgres.credentials as Body), port: 5432, ssl_mode: 'require' },
    settings: {},
  },
  snowflake: {
    provider: 'snowflake',
    project_id: 'acme-analytics',
    dataset_id: 'PUBLIC',
    credentials: { ...(MINIMAL.snowflake.credentials as Body), auth_method: 'password', schema: 'PUBLIC' },
    settings: {},
  },
  bigquery: {
    provider: 'bigquery',
    project_id: 'acme-analytics-123',
    dataset_id: 'levered',
    credentials: {
      type: 'service_account',
      project_id: 'acme-analytics-123',
      private_key: SERVICE_ACCOUNT_KEY,
      client_email: 'reader@acme-analytics-123.iam.gserviceaccount.com',
    },
    settings: { maximum_bytes_billed: 10_485_760 },
  },
  mysql: {
    provider: 'mysql',
    project_id: null,
    dataset_id: 'analytics',
    credentials: { ...(MINIMAL.mysql.credentials as Body), port: 3306, ssl_mode: 'require' },
    settings: {},
  },
  redshift: {
    provider: 'redshift',
    project_id: null,
    dataset_id: 'public',
    credentials: { ...(MINIMAL.redshift.credentials as Body), port: 5439, auth_method: 'password', ssl_mode: 'require' },
    settings: {},
  },
  databricks: {
    provider: 'databricks',
    project_id: null,
    dataset_id: 'default',
    credentials: { ...(MINIMAL.databricks.credentials as Body), auth_method: 'token', client_id: null },
    settings: {},
  },
  clickhouse: {
    provider: 'clickhouse',
    project_id: null,
    dataset_id: 'default',
    credentials: { ...(MINIMAL.clickhouse.credentials as Body), port: 8443, ssl_mode: 'verify-full' },
    settings: {},
  },
  trino: {
    provider: 'trino',
    project_id: null,
    dataset_id: 'sales',
    credentials: { ...(MINIMAL.trino.credentials as Body), port: 443, ssl_mode: 'verify-full' },
    settings: {},
  },
  athena: {
    provider: 'athena',
    project_id: null,
    dataset_id: 'analytics',
    credentials: { role_arn: ROLE_ARN, region: 'us-east-1', workgroup: 'primary', catalog: 'AwsDataCatalog' },
    settings: {},
  },
  motherduck: {
    provider: 'motherduck',
    project_id: null,
    dataset_id: 'main',
    credentials: { token: 'md-canary-token', database: 'analytics' },
    settings: {},
  },
};

/** The fields each provider's minimal body cannot do without. */
const REQUIRED: Record<ProviderId, string[]> = {
  postgres: ['credentials', 'credentials.host', 'credentials.database', 'credentials.username', 'credentials.password'],
  snowflake: ['credentials', 'credentials.username', 'credentials.warehouse', 'credentials.database'],
  bigquery: [
    'credentials',
    'project_id',
    'dataset_id',
    'credentials.type',
    'credentials.project_id',
    'credentials.private_key',
    'credentials.client_email',
  ],
  mysql: ['credentials', 'credentials.host', 'credentials.database', 'credentials.username', 'credentials.password'],
  redshift: ['credentials', 'credentials.host', 'credentials.database'],
  databricks: ['credentials', 'credentials.host', 'credentials.http_path', 'credentials.catalog'],
  clickhouse: ['credentials', 'credentials.host', 'credentials.username', 'credentials.password'],
  trino: ['credentials', 'dataset_id', 'credentials.host', 'credentials.username', 'credentials.catalog'],
  athena: ['credentials', 'dataset_id', 'credentials.role_arn', 'credentials.region'],
  motherduck: ['credentials', 'credentials.token', 'credentials.database'],
};

describe.each(PROVIDER_IDS)('every provider: %s', (provider) => {
  const base = MINIMAL[provider];

  test('the minimal body is accepted with every default applied', async () => {
    expect(await parsed(base)).toEqual(MINIMAL_OUTPUT[provider]);
  });

  test('the definition reads back as its stored shape (stored-definition.ts), through JSON', async () => {
    const definition = await parsed(base);
    expect(readStoredDefinition(JSON.parse(JSON.stringify(definition)))).toEqual(definition);
  });

  test('a stored definition without credentials, or of another provider, is not read', async () => {
    const definition = await parsed(base);
    expect(readStoredDefinition({ ...definition, credentials: undefined })).toBeUndefined();
    expect(readStoredDefinition({ ...definition, provider: 'oracle' })).toBeUndefined();
    expect(readStoredDefinition({ ...definition, settings: { extra: 1 } })).toBeUndefined();
  });

  checkCases([
    ...requiredFields(base, REQUIRED[provider]),
    refused('an unknown top-level field', withFields(base, { url: 'x' }), 'url', 'is not a known field'),
    // A BigQuery key file keeps its other fields (schema-keys.test.ts); every other provider's credentials are strict.
    ...(provider === 'bigquery' ? [] : unknownFields(base, ['options', 'connection_string'])),
    refused('credentials that are a number', withFields(base, { credentials: 7 }), 'credentials', 'must be a JSON object'),
  ]);
});

describe('PostgreSQL: the shared field rules (lib/schema/fields.ts) and its own', () => {
  const base = MINIMAL.postgres;

  test('a full body is kept as given', async () => {
    const body = withFields(base, {
      project_id: 'reporting',
      dataset_id: 'sales',
      'credentials.port': 6432,
      'credentials.ssl_mode': 'verify-ca',
      'credentials.ca_certificate': CERTIFICATE,
    });
    expect(await parsed(body)).toEqual({ ...body, settings: {} });
  });

  test('project_id and dataset_id null: null and the default schema', async () => {
    expect(await parsed(withFields(base, { project_id: null, dataset_id: null }))).toMatchObject({
      project_id: null,
      dataset_id: 'public',
    });
  });

  checkCases([
    ...hostField(base),
    ...portField(base),
    ...stringField(base, 'credentials.database', 63, 'text'),
    ...stringField(base, 'credentials.username', 63, 'text'),
    ...stringField(base, 'credentials.password', 1_024, 'secret'),
    ...nullableTextField(base, 'project_id', 255),
    ...nullableTextField(base, 'dataset_id', 63),
    ...sslModeField(base),
    ...caCertificateField(base, false),
    ...unknownFields(base, ['sslcert', 'sslrootcert', 'application_name']),
  ]);
});

describe('MySQL', () => {
  const base = MINIMAL.mysql;

  test('dataset_id defaults to the database connected to', async () => {
    expect(await parsed(withFields(base, { 'credentials.database': 'shop' }))).toMatchObject({ dataset_id: 'shop' });
    expect(await parsed(withFields(base, { dataset_id: null }))).toMatchObject({ dataset_id: 'analytics' });
    expect(await parsed(withFields(base, { dataset_id: 'other' }))).toMatchObject({ dataset_id: 'other' });
  });

  test('a full body is kept as given', async () => {
    const body = withFields(base, {
      project_id: 'shop',
      dataset_id: 'orders',
      'credentials.port': 3307,
      'credentials.ssl_mode': 'verify-full',
      'credentials.ca_certificate': CERTIFICATE,
    });
    expect(await parsed(body)).toEqual({ ...body, settings: {} });
  });

  checkCases([
    ...hostField(base),
    ...portField(base),
    ...stringField(base, 'credentials.database', 64, 'text'),
    ...stringField(base, 'credentials.username', 80, 'text'),
    ...stringField(base, 'credentials.password', 1_024, 'secret'),
    ...nullableTextField(base, 'project_id', 255),
    ...nullableTextField(base, 'dataset_id', 64),
    ...picklistField(base, 'credentials.ssl_mode', SSL_MODES, ['verify_ca', 'REQUIRE', 'preferred', true], SSL_MODE_MESSAGE),
    ...caCertificateField(base, false),
    refused(
      'credentials.ca_certificate with the default ssl_mode require',
      withFields(base, { 'credentials.ca_certificate': CERTIFICATE }),
      'credentials.ca_certificate',
      CA_ONLY_WHEN_VERIFIED,
    ),
    ...unknownFields(base, ['ssl', 'socket_path', 'multiple_statements', 'local_infile', 'flags']),
  ]);
});
