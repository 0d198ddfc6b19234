import type { EventEmitter } from 'node:events';
import pg from 'pg';
import { ProbeFailure, type ProbeLimits, type StageClock } from '../verdict.js';
import { classifyWireFailure, type OwnCodes } from './failures.js';
import { quoteIdentifier } from './identifiers.js';
import { wireClientOptions } from './client-options.js';
import type { SslMode } from './ssl-mode.js';

/** One login over the PostgreSQL wire protocol. */
export interface WireLogin {
  /** The host the customer gave: TLS checks the certificate against this name. */
  host: string;
  /** The address the SSRF guard vetted: the socket goes here, never to a second resolution of `host`. */
  address: string;
  port: number;
  database: string;
  user: string;
  password: string;
  sslMode: SslMode;
  caCertificate?: string | undefined;
}

export interface WireTest {
  login: WireLogin;
  /** The schema in dataset_id, checked to exist and be usable. */
  schema: string;
  /** Who a missing grant should go to (the database user as the database names it). */
  grantee: string;
  limits: ProbeLimits;
  signal: AbortSignal;
  stages: StageClock;
  /** The provider's own reading of some codes (failures.ts). */
  ownCodes?: OwnCodes;
}

/**
 * Reads the schema by name: has_schema_privilege(text, ...) takes the name exactly (no identifier
 * parsing), and Redshift accepts a name where PostgreSQL also takes an oid.
 */
const SCHEMA_CHECK = `SELECT has_schema_privilege(n.nspname, 'USAGE') AS usable FROM pg_catalog.pg_namespace n WHERE n.nspname = $1`;

/**
 * Connects with `pg`, runs SELECT 1, then checks that the schema exists and is usable: stages
 * connect, tls (when used), authenticate, query, schema_access. Throws a classified ProbeFailure.
 */
export async function testOverWire(test: WireTest): Promise<void> {
  const { login, limits, signal, stages } = test;
  signal.throwIfAborted(); // the deadline may have passed in an earlier step: open nothing then
  stages.begin('connect');
  const client = new pg.Client(clientConfig(login, limits));
  followHandshake(client, login.sslMode !== 'disable', stages);
  client.on('error', () => undefined); // errors after connect surface through the pending query
  const abort = () => void client.end().catch(() => undefined);
  signal.addEventListener('abort', abort, { once: true });
  const context = { host: login.host, port: login.port, database: login.database, username: login.user, limits, connected: false };
  try {
    await client.connect();
    context.connected = true;
    stages.begin('query');
    await client.query('SELECT 1');
    stages.begin('schema_access');
    const { rows } = await client.query<{ usable: boolean }>(SCHEMA_CHECK, [test.schema]);
    checkSchema(test, rows[0]);
  } catch (error) {
    throw classifyWireFailure(error, context, test.ownCodes);
  } finally {
    signal.removeEventListener('abort', abort);
    await client.end().catch(() => undefined);
  }
}

/**
 * The handshake's steps from pg's connection events: TCP connected, TLS established (when used),
 * then authentication until the connection is ready, so a failure is reported at its own step.
 */
function followHandshake(client: pg.Client, tls: boolean, stages: StageClock): void {
  const connection = (client as unknown as { connection: EventEmitter }).connection;
  connection.once('connect', () => stages.begin(tls ? 'tls' : 'authenticate'));
  if (tls) connection.once('sslconnect', () => stages.begin('authenticate'));
}

/** Connects to the vetted address (client-options.ts), with the probe's timeouts and nothing left to PG* variables. */
function clientConfig(login: WireLogin, limits: ProbeLimits): pg.ClientConfig {
  return {
    ...wireClientOptions(login),
    connectionTimeoutMillis: limits.connectTimeoutMs,
    statement_timeout: limits.statementTimeoutMs,
    query_timeout: limits.statementTimeoutMs,
    application_name: 'warehouse-connections-test',
    // pg reads PG* environment variables for whatever is left unset: leave nothing unset.
    options: '',
  };
}

function checkSchema(test: WireTest, row: { usable: boolean } | undefined): void {
  if (!row) {
    throw new ProbeFailure('object_not_found', `Schema '${test.schema}' does not exist in database '${test.login.database}'.`);
  }
  if (!row.usable) {
    throw new ProbeFailure('permission_denied', `Permission denied for schema '${test.schema}'.`, {
      hint: `GRANT USAGE ON SCHEMA ${quoteIdentifier(test.schema)} TO ${quoteIdentifier(test.grantee)};`,
    });
  }
}
