import { generateKeyPairSync } from 'node:crypto';
import type { ProviderId } from '../../lib/providers/ids.js';
import { TEST_POSTGRES, testPostgresAddress } from '../setup/test-postgres-fixture.js';
import { TEST_MYSQL, testMysqlAddress } from '../setup/test-mysql-fixture.js';
import { TEST_TRINO, testTrinoPort, testTrinoTls } from '../setup/trino-fixture.js';

/**
 * Request bodies as customers send them. Every secret is a canary: a unique string that must
 * never show up in a response, a log line or a stored item in plaintext.
 */
export const CANARY = {
  snowflakePassword: 'sf-canary-P4ss!word-7d1e',
  bigqueryKeyMarker: 'bq-canary-key',
  // A colon and non-ASCII letters: HTTP basic authentication must carry both (UTF-8, base64).
  clickhousePassword: 'ch-canary-pässwörd:9f3b',
  databricksToken: 'dapi-canary-databricks-token-5f3a',
  // A JWT's shape, as MotherDuck's access tokens have.
  motherduckToken: 'eyJhbGciOiJIUzI1NiJ9.eyJtZCI6ImNhbmFyeSJ9.md-canary-token-8c2e',
} as const;

const serviceAccountKey = generateKeyPairSync('rsa', { modulusLength: 2048 })
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString();

export const SECRETS = [
  TEST_POSTGRES.password,
  TEST_MYSQL.password,
  TEST_TRINO.password,
  CANARY.snowflakePassword,
  CANARY.clickhousePassword,
  CANARY.databricksToken,
  CANARY.motherduckToken,
  serviceAccountKey.split('\n')[5]!,
];

export function postgresBody(overrides: Record<string, unknown> = {}, credentialOverrides: Record<string, unknown> = {}) {
  const { host, port } = testPostgresAddress();
  return {
    provider: 'postgres',
    dataset_id: TEST_POSTGRES.schema,
    credentials: {
      host,
      port,
      database: TEST_POSTGRES.database,
      username: TEST_POSTGRES.username,
      password: TEST_POSTGRES.password,
      ssl_mode: 'disable',
      ...credentialOverrides,
    },
    ...overrides,
  };
}

export function snowflakeBody(overrides: Record<string, unknown> = {}, credentialOverrides: Record<string, unknown> = {}) {
  return {
    provider: 'snowflake',
    project_id: 'acme-analytics',
    dataset_id: 'PUBLIC',
    credentials: {
      account: 'acme-analytics',
      username: 'LOADER',
      password: CANARY.snowflakePassword,
      warehouse: 'COMPUTE_WH',
      database: 'ANALYTICS',
      schema: 'PUBLIC',
      ...credentialOverrides,
    },
    ...overrides,
  };
}

export function bigqueryBody(overrides: Record<string, unknown> = {}, credentialOverrides: Record<string, unknown> = {}) {
  return {
    provider: 'bigquery',
    project_id: 'acme-analytics-123',
    dataset_id: 'levered',
    credentials: {
      type: 'service_account',
      project_id: 'acme-analytics-123',
      private_key_id: '0123456789abcdef0123456789abcdef01234567',
      private_key: serviceAccountKey,
      client_email: 'warehouse-reader@acme-analytics-123.iam.gserviceaccount.com',
      client_id: '112233445566778899001',
      auth_uri: 'https://accounts.google.com/o/oauth2/auth',
      token_uri: 'https://oauth2.googleapis.com/token',
      auth_provider_x509_cert_url: 'https://www.googleapis.com/oauth2/v1/certs',
      client_x509_cert_url:
        'https://www.googleapis.com/robot/v1/metadata/x509/warehouse-reader%40acme-analytics-123.iam.gserviceaccount.com',
      universe_domain: 'googleapis.com',
      ...credentialOverrides,
    },
    ...overrides,
  };
}

export function mysqlBody(overrides: Record<string, unknown> = {}, credentialOverrides: Record<string, unknown> = {}) {
  const { host, port } = testMysqlAddress();
  return {
    provider: 'mysql',
    dataset_id: TEST_MYSQL.schema,
    credentials: {
      host,
      port,
      database: TEST_MYSQL.database,
      username: TEST_MYSQL.username,
      password: TEST_MYSQL.password,
      ssl_mode: 'disable',
      ...credentialOverrides,
    },
    ...overrides,
  };
}

/** Redshift with a password: the wire is PostgreSQL's, so the test cluster answers (over TLS, Redshift's default). */
export function redshiftBody(overrides: Record<string, unknown> = {}, credentialOverrides: Record<string, unknown> = {}) {
  const { host, port } = testPostgresAddress();
  return {
    provider: 'redshift',
    dataset_id: TEST_POSTGRES.schema,
    credentials: {
      host,
      port,
      database: TEST_POSTGRES.database,
      username: TEST_POSTGRES.username,
      password: TEST_POSTGRES.password,
      ssl_mode: 'require',
      ...credentialOverrides,
    },
    ...overrides,
  };
}

/**
 * Databricks with a personal access token. The host is `localhost` (answered from /etc/hosts, so no
 * DNS query leaves the machine), where nothing serves HTTPS on 443: a test of this body fails on the
 * connection. The probe's tests use workspace names that they resolve to the stand-in themselves.
 */
export function databricksBody(overrides: Record<string, unknown> = {}, credentialOverrides: Record<string, unknown> = {}) {
  return {
    provider: 'databricks',
    dataset_id: 'reporting',
    credentials: {
      host: 'localhost',
      http_path: '/sql/1.0/warehouses/0123456789abcdef',
      catalog: 'analytics',
      token: CANARY.databricksToken,
      ...credentialOverrides,
    },
    ...overrides,
  };
}

/**
 * ClickHouse over plain HTTP on its usual port: loopback, where no ClickHouse runs unless a test
 * starts its stand-in (test/fakes/clickhouse-server.ts) and points `port` at it.
 */
export function clickhouseBody(overrides: Record<string, unknown> = {}, credentialOverrides: Record<string, unknown> = {}) {
  return {
    provider: 'clickhouse',
    dataset_id: 'analytics',
    credentials: {
      host: '127.0.0.1',
      port: 8123,
      username: 'wc_reader',
      password: CANARY.clickhousePassword,
      ssl_mode: 'disable',
      ...credentialOverrides,
    },
    ...overrides,
  };
}

/**
 * Trino over HTTPS with a password, checked against the stand-in the global setup starts
 * (test/setup/trino-stand-in.ts): `localhost`, whose certificate it holds, verified with its CA.
 */
export function trinoBody(overrides: Record<string, unknown> = {}, credentialOverrides: Record<string, unknown> = {}) {
  return {
    provider: 'trino',
    dataset_id: TEST_TRINO.schema,
    credentials: {
      host: 'localhost',
      port: testTrinoPort(),
      username: TEST_TRINO.username,
      password: TEST_TRINO.password,
      ssl_mode: 'verify-full',
      ca_certificate: testTrinoTls().ca,
      catalog: TEST_TRINO.catalog,
      ...credentialOverrides,
    },
    ...overrides,
  };
}

/**
 * Amazon Athena: nothing secret. The role of the stand-ins' customer account (test/fakes/athena-world.ts)
 * that the service assumes with the organization's external id; its results go to `output_location`.
 */
export function athenaBody(overrides: Record<string, unknown> = {}, credentialOverrides: Record<string, unknown> = {}) {
  return {
    provider: 'athena',
    dataset_id: 'analytics',
    credentials: {
      role_arn: 'arn:aws:iam::222233334444:role/athena-reader',
      region: 'us-east-1',
      workgroup: 'analysts',
      output_location: 's3://acme-athena-results/warehouse-connections/',
      catalog: 'AwsDataCatalog',
      ...credentialOverrides,
    },
    ...overrides,
  };
}

/**
 * MotherDuck: an access token and a database name. Nothing reaches MotherDuck from here: the test
 * first installs DuckDB's MotherDuck extension from the extension repository, which in the tests is
 * a loopback stand-in (WAREHOUSE_MOTHERDUCK_EXTENSION_REPOSITORY) or a closed loopback port.
 */
export function motherduckBody(overrides: Record<string, unknown> = {}, credentialOverrides: Record<string, unknown> = {}) {
  return {
    provider: 'motherduck',
    dataset_id: 'reporting',
    credentials: {
      token: CANARY.motherduckToken,
      database: 'analytics',
      ...credentialOverrides,
    },
    ...overrides,
  };
}

/** A valid body per provider: a provider without one does not compile. */
export const SEED_BODIES = {
  postgres: postgresBody,
  snowflake: snowflakeBody,
  bigquery: bigqueryBody,
  mysql: mysqlBody,
  redshift: redshiftBody,
  databricks: databricksBody,
  clickhouse: clickhouseBody,
  trino: trinoBody,
  athena: athenaBody,
  motherduck: motherduckBody,
} satisfies Record<ProviderId, () => Record<string, unknown>>;
