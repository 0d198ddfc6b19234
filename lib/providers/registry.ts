import type * as v from 'valibot';
import { athenaStored } from './athena/stored.js';
import { bigqueryStored } from './bigquery/stored.js';
import { clickhouseStored } from './clickhouse/stored.js';
import { databricksStored } from './databricks/stored.js';
import { postgresStored } from './postgres/stored.js';
import { redshiftStored } from './redshift/stored.js';
import { motherduckStored } from './motherduck/stored.js';
import { mysqlStored } from './mysql/stored.js';
import { snowflakeStored } from './snowflake/stored.js';
import { trinoStored } from './trino/stored.js';
import { PROVIDER_IDS, type ProviderId } from './ids.js';
import type { StageName } from './verdict.js';

/**
 * The providers the service speaks, one entry each: everything that lists providers (the request
 * schema, its error text, the stored shape, the docs table, the test fixtures) derives from here.
 * Each provider's code is one folder (lib/providers/<id>/: schema, stored, probe, failures). Kept
 * apart, in Records keyed by the same ids: the probe loaders (probe-loaders.ts), so that only the
 * test function's bundle references the driver chunks, and the request schemas (request-schemas.ts),
 * so that the test and resolve functions load only the stored shapes. Adding a provider:
 * docs/adding-a-provider.md.
 */
export interface ProviderEntry {
  /** The name people know it by. */
  label: string;
  /** The npm driver the probe uses. */
  driver: string;
  /** The sealed definition's shape (the request schema's output; the request schemas: request-schemas.ts). */
  stored: v.GenericSchema;
  /** Paths of the fields that hold secrets. */
  secretFields: readonly string[];
  /**
   * Paths of the fields that name where the secret is sent, and how it is protected on the way
   * (TLS settings): change one and the secret must be given again (it is sealed bound to them,
   * lib/connections/definition-parts.ts). `credentials.*` stands for every non-secret field of
   * `credentials`.
   */
  destinationFields: readonly string[];
  /**
   * Top-level fields the schema derives from the credentials rather than takes as given: left out
   * of the edit form (lib/connections/edit-form.ts), so a PATCH of the credentials derives them anew.
   */
  derivedFields?: readonly string[];
  /** The steps of a test, in order (each verdict reports how far it got). */
  stages: readonly StageName[];
  /** How it authenticates, and what its test checks (README and docs). */
  auth: string;
  checks: string;
}

export const PROVIDERS = {
  postgres: {
    label: 'PostgreSQL',
    driver: 'pg',
    stored: postgresStored,
    secretFields: ['credentials.password'],
    destinationFields: ['credentials.*'],
    stages: ['resolve', 'connect', 'tls', 'authenticate', 'query', 'schema_access'],
    auth: 'username and password; `ssl_mode` `disable`, `require`, `verify-ca`, `verify-full` with a CA certificate',
    checks: 'connect, `SELECT 1`, the schema in `dataset_id` exists and is usable',
  },
  snowflake: {
    label: 'Snowflake',
    driver: 'snowflake-sdk',
    stored: snowflakeStored,
    secretFields: ['credentials.password', 'credentials.private_key', 'credentials.private_key_passphrase'],
    // project_id is the account (derived from it); warehouse, database, schema and role are where
    // the session works once signed in to the same account as the same user.
    destinationFields: ['credentials.account', 'credentials.username', 'credentials.auth_method'],
    derivedFields: ['project_id'],
    stages: ['sign_in', 'query', 'schema_access'],
    auth: 'password, or key pair (PKCS#8, optionally encrypted)',
    checks: "one login, then the session's role, warehouse, database and schema",
  },
  bigquery: {
    label: 'BigQuery',
    driver: '@google-cloud/bigquery',
    stored: bigqueryStored,
    secretFields: ['credentials.private_key'],
    // The whole key file: the service account, its key id, its project.
    destinationFields: ['project_id', 'credentials.*'],
    stages: ['sign_in', 'query', 'dataset_access'],
    auth: 'service-account key (self-signed JWT, no token exchange)',
    checks: '`SELECT 1` with a bytes cap, then the dataset in `dataset_id`',
  },
  mysql: {
    label: 'MySQL',
    driver: 'mysql2',
    stored: mysqlStored,
    secretFields: ['credentials.password'],
    destinationFields: ['credentials.*'],
    stages: ['resolve', 'connect', 'tls', 'authenticate', 'query', 'schema_access'],
    auth: 'username and password (MySQL and MariaDB); `ssl_mode` as for `postgres`; LOCAL INFILE and multiple statements always off',
    checks: 'connect, `SELECT 1`, then `USE` of the schema (database) in `dataset_id`: it exists and the user holds a privilege on it',
  },
  redshift: {
    label: 'Amazon Redshift',
    driver: 'pg',
    stored: redshiftStored,
    secretFields: ['credentials.password'],
    destinationFields: ['credentials.*'],
    stages: ['resolve', 'assume_role', 'credentials', 'connect', 'tls', 'authenticate', 'query', 'schema_access'],
    auth: 'username and password; or IAM role: the service assumes `role_arn` with your external id, then gets a temporary password (`GetClusterCredentials` for a cluster, `GetCredentials` for Serverless); `ssl_mode` as for `postgres`',
    checks: 'connect, `SELECT 1`, the schema in `dataset_id` exists and is usable',
  },
  databricks: {
    label: 'Databricks SQL',
    driver: '@databricks/sql',
    stored: databricksStored,
    secretFields: ['credentials.token', 'credentials.client_secret'],
    // catalog (and dataset_id) only choose what the session looks at once signed in.
    destinationFields: ['credentials.host', 'credentials.http_path', 'credentials.auth_method', 'credentials.client_id'],
    stages: ['resolve', 'connect', 'tls', 'credentials', 'authenticate', 'query', 'schema_access'],
    auth: "personal access token; or OAuth machine-to-machine: a service principal's client id and secret, exchanged for a token at the workspace",
    checks:
      'a session on the SQL warehouse in `http_path`, `SELECT 1`, then `SHOW TABLES IN` the catalog and the schema in `dataset_id`; a starting warehouse is `warehouse_unavailable`',
  },
  clickhouse: {
    label: 'ClickHouse',
    driver: '@clickhouse/client',
    stored: clickhouseStored,
    secretFields: ['credentials.password'],
    destinationFields: ['credentials.*'],
    stages: ['resolve', 'connect', 'tls', 'authenticate', 'query', 'schema_access'],
    auth: 'username and password over the HTTP interface (8443 with TLS, 8123 without); `ssl_mode` as for `postgres`, default `verify-full`',
    checks:
      '`SELECT 1`, then `EXISTS DATABASE` for the database in `dataset_id`: it exists and the user holds a privilege on it; an idle ClickHouse Cloud service that is starting is `warehouse_unavailable`',
  },
  trino: {
    label: 'Trino',
    driver: 'trino-client',
    stored: trinoStored,
    secretFields: ['credentials.password'],
    // catalog (and dataset_id, the schema) only choose what to look at once signed in.
    destinationFields: [
      'credentials.host',
      'credentials.port',
      'credentials.username',
      'credentials.ssl_mode',
      'credentials.ca_certificate',
    ],
    stages: ['resolve', 'connect', 'tls', 'authenticate', 'query', 'schema_access'],
    auth: 'username and password over HTTPS (HTTP Basic; `ssl_mode` as for `postgres`, default `verify-full`); a username alone where the cluster has no authentication, also over plain HTTP',
    checks:
      '`SELECT 1` over the statement protocol, then `SHOW TABLES FROM` the `catalog` and the schema in `dataset_id`: the user may list it, and both exist',
  },
  athena: {
    label: 'Amazon Athena',
    driver: '@aws-sdk/client-athena',
    stored: athenaStored,
    secretFields: [],
    // Nothing is secret; the role, its region, the workgroup and the output location say where the
    // test runs and where its results go. The catalog (and dataset_id) only choose what it looks at.
    destinationFields: ['credentials.role_arn', 'credentials.region', 'credentials.workgroup', 'credentials.output_location'],
    stages: ['assume_role', 'query', 'schema_access'],
    auth: 'IAM role: the service assumes `role_arn` with your external id; `region`, `workgroup` (default `primary`), and `output_location` (`s3://bucket/prefix/`) unless the workgroup has one',
    checks:
      '`SELECT 1` in the workgroup (results written to S3 and read back), then ``SHOW TABLES IN `db` `` for the database in `dataset_id` (`catalog` default `AwsDataCatalog`); a query still running at its time limit is stopped',
  },
  motherduck: {
    label: 'MotherDuck',
    driver: '@duckdb/node-api',
    stored: motherduckStored,
    secretFields: ['credentials.token'],
    // The database is where the token is presented (and what it opens); dataset_id, the schema, only
    // chooses what the test looks at once signed in.
    destinationFields: ['credentials.database'],
    stages: ['connect', 'sign_in', 'query', 'schema_access'],
    auth: 'access token and database name; DuckDB fetches its signed MotherDuck extension at run time',
    checks:
      'the MotherDuck extension installs (signed only), `md:<database>` opens with the token, `SELECT 1`, then the schema in `dataset_id` (default `main`) exists in the database',
  },
} as const satisfies Record<ProviderId, ProviderEntry>;

export { PROVIDER_IDS, type ProviderId };
const _noOtherKeys: [Exclude<keyof typeof PROVIDERS, ProviderId>] extends [never] ? true : never = true;

type Entry = (typeof PROVIDERS)[ProviderId];
/** Every provider's stored shape, for the sealed-definition check (lib/schema/stored-definition.ts). */
export const STORED_SCHEMAS = PROVIDER_IDS.map((id) => PROVIDERS[id].stored) as Entry['stored'][];
