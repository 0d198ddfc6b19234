import { isIP } from 'node:net';
import pg from 'pg';
import type { ProviderDefinition } from '../../schema/connection.js';
import { vetHost } from '../network-guard.js';
import { classifyPostgresFailure } from './failures.js';
import type { Probe } from '../probe.js';
import type { EventEmitter } from 'node:events';
import { ProbeFailure, type ProbeLimits, type StageClock } from '../verdict.js';
import { quoteIdentifier } from './identifiers.js';

type PostgresDefinition = ProviderDefinition<'postgres'>;

const SCHEMA_CHECK = `SELECT has_schema_privilege(n.oid, 'USAGE') AS usable FROM pg_catalog.pg_namespace n WHERE n.nspname = $1`;

/** Connects with `pg`, runs SELECT 1, then checks that the schema in dataset_id exists and is usable. */
export const probePostgres: Probe = async (definition, limits, signal, stages) => {
  if (definition.provider !== 'postgres') throw new Error('probePostgres needs a postgres connection');
  const { host, port } = definition.credentials;
  stages.begin('resolve');
  const address = await vetHost(host, port, { allowedCidrs: limits.allowedCidrs ?? [], lookup: limits.lookup });
  signal.throwIfAborted(); // the deadline may have passed while resolving: open nothing then
  stages.begin('connect');
  const client = new pg.Client(clientConfig(definition, limits, address));
  followHandshake(client, definition.credentials.ssl_mode !== 'disable', stages);
  client.on('error', () => undefined); // errors after connect surface through the pending query
  const abort = () => void client.end().catch(() => undefined);
  signal.addEventListener('abort', abort, { once: true });
  const context = { definition, limits, connected: false };
  try {
    await client.connect();
    context.connected = true;
    stages.begin('query');
    await client.query('SELECT 1');
    stages.begin('schema_access');
    const { rows } = await client.query<{ usable: boolean }>(SCHEMA_CHECK, [definition.dataset_id]);
    classifySchema(definition, rows[0]);
  } catch (error) {
    throw classifyPostgresFailure(error, context);
  } finally {
    signal.removeEventListener('abort', abort);
    await client.end().catch(() => undefined);
  }
};

/**
 * The handshake's steps from pg's connection events: TCP connected, TLS established (when used),
 * then authentication until the connection is ready, so a failure is reported at its own step.
 */
function followHandshake(client: pg.Client, tls: boolean, stages: StageClock): void {
  const connection = (client as unknown as { connection: EventEmitter }).connection;
  connection.once('connect', () => stages.begin(tls ? 'tls' : 'authenticate'));
  if (tls) connection.once('sslconnect', () => stages.begin('authenticate'));
}

/** Connects to the vetted address; TLS still verifies the certificate against the name the customer gave. */
function clientConfig(definition: PostgresDefinition, limits: ProbeLimits, address: string): pg.ClientConfig {
  const { credentials } = definition;
  return {
    host: address,
    port: credentials.port,
    database: credentials.database,
    user: credentials.username,
    password: credentials.password,
    connectionTimeoutMillis: limits.connectTimeoutMs,
    statement_timeout: limits.statementTimeoutMs,
    query_timeout: limits.statementTimeoutMs,
    application_name: 'warehouse-connections-test',
    ssl: tlsOptions(credentials),
    // pg reads PG* environment variables for whatever is left unset: leave nothing unset.
    options: '',
  };
}

/** libpq's sslmode semantics: require encrypts, verify-ca checks the chain, verify-full also the hostname. */
function tlsOptions(credentials: PostgresDefinition['credentials']): pg.ClientConfig['ssl'] {
  const ca = credentials.ca_certificate === undefined ? {} : { ca: credentials.ca_certificate };
  const servername = isIP(credentials.host) === 0 ? { servername: credentials.host } : {};
  switch (credentials.ssl_mode) {
    case 'disable':
      return false;
    case 'require':
      return { rejectUnauthorized: false };
    case 'verify-ca':
      return { ...ca, ...servername, rejectUnauthorized: true, checkServerIdentity: () => undefined };
    case 'verify-full':
      return { ...ca, ...servername, rejectUnauthorized: true };
  }
}

function classifySchema(definition: PostgresDefinition, row: { usable: boolean } | undefined): void {
  if (!row) {
    throw new ProbeFailure(
      'object_not_found',
      `Schema '${definition.dataset_id}' does not exist in database '${definition.credentials.database}'.`,
    );
  }
  if (!row.usable) {
    throw new ProbeFailure('permission_denied', `Permission denied for schema '${definition.dataset_id}'.`, {
      hint: `GRANT USAGE ON SCHEMA ${quoteIdentifier(definition.dataset_id)} TO ${quoteIdentifier(definition.credentials.username)};`,
    });
  }
}
