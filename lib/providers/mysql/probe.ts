import { connect, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import { checkServerIdentity, type PeerCertificate, type TLSSocket } from 'node:tls';
import mysql from 'mysql2';
import type { ProviderDefinition } from '../../schema/connection.js';
import { networkPolicyOf, vetHost } from '../network-guard.js';
import type { Probe } from '../probe.js';
import { ProbeFailure, type ProbeLimits, type StageClock } from '../verdict.js';
import { classifyMysqlFailure, type FailureContext } from './failures.js';
import { quoteIdentifier } from './identifiers.js';

type MysqlDefinition = ProviderDefinition<'mysql'>;
type Credentials = MysqlDefinition['credentials'];

/**
 * Connects with `mysql2` to the address the SSRF guard vetted, runs SELECT 1, then `USE`s the
 * schema in dataset_id: the server itself says whether it exists (1049) and whether the user holds
 * any privilege on it (1044), which is what MySQL's SCHEMATA visibility and `USE` mean by usable.
 */
export const probeMysql: Probe = async (definition, limits, signal, stages) => {
  if (definition.provider !== 'mysql') throw new Error('probeMysql needs a mysql connection');
  const { host, port, ssl_mode } = definition.credentials;
  stages.begin('resolve');
  const address = await vetHost(host, port, networkPolicyOf(limits));
  signal.throwIfAborted(); // the deadline may have passed while resolving: open nothing then
  stages.begin('connect');
  const socket = openSocket(address, port, ssl_mode !== 'disable', stages);
  const connection = mysql.createConnection(connectionOptions(definition, limits, socket));
  followTls(connection, definition.credentials, stages);
  connection.on('error', () => undefined); // errors surface through the pending handshake or query
  const abort = () => socket.destroy();
  signal.addEventListener('abort', abort, { once: true });
  const context: FailureContext = { definition, limits, connected: false, checking: 'database' };
  let reusable = false;
  try {
    await handshake(connection);
    context.connected = true;
    stages.begin('query');
    await run(connection, 'SELECT 1', limits);
    stages.begin('schema_access');
    context.checking = 'schema';
    await run(connection, `USE ${quoteIdentifier(definition.dataset_id)}`, limits);
    reusable = true;
  } catch (error) {
    // A server error after login leaves the session usable; anything else (TLS, timeout, protocol) does not.
    reusable = context.connected && (error as { fatal?: unknown }).fatal !== true;
    throw classifyMysqlFailure(error, context);
  } finally {
    signal.removeEventListener('abort', abort);
    close(connection, socket, reusable);
  }
};

/**
 * COM_QUIT lets the server end a healthy session cleanly (no "aborted connection" in its log), and
 * nothing waits for the server to close it; a broken or hanging session is cut.
 */
function close(connection: mysql.Connection, socket: Socket, polite: boolean): void {
  if (!polite) {
    socket.destroy();
    return;
  }
  connection.end();
  (connection as unknown as { stream: Socket }).stream.destroySoon();
}

/**
 * The TCP socket to the vetted address, handed to mysql2 as its stream (mysql2 would resolve the
 * name again). The server speaks first: a greeting (protocol version 10) ends `connect`; an error
 * packet in its place (too many connections, host blocked) is a refusal of the connection itself.
 */
function openSocket(address: string, port: number, tls: boolean, stages: StageClock): Socket {
  const socket = connect({ host: address, port, noDelay: true });
  socket.once('data', (chunk: Buffer) => {
    const PROTOCOL_VERSION_10 = 0x0a;
    if (chunk.length > 4 && chunk[4] === PROTOCOL_VERSION_10) stages.begin(tls ? 'tls' : 'authenticate');
  });
  return socket;
}

/** No free-form driver options: LOCAL INFILE and multiple statements off, no cleartext passwords, no socket path. */
function connectionOptions(definition: MysqlDefinition, limits: ProbeLimits, socket: Socket): mysql.ConnectionOptions {
  const { credentials } = definition;
  return {
    // Only names the server for TLS (SNI); the socket already goes to the vetted address.
    host: credentials.host,
    port: credentials.port,
    stream: () => socket,
    user: credentials.username,
    password: credentials.password,
    database: credentials.database,
    connectTimeout: limits.connectTimeoutMs,
    ssl: tlsOptions(credentials),
    multipleStatements: false,
    flags: ['-LOCAL_FILES', '-MULTI_STATEMENTS'],
    infileStreamFactory: () => refuseLocalFile(credentials),
    enableCleartextPlugin: false,
    charset: 'UTF8MB4_UNICODE_CI',
    connectAttributes: { program_name: 'warehouse-connections-test' },
    trace: false,
  };
}

/**
 * What mysql2 sends when a server asks for a local file (LOAD DATA LOCAL INFILE) although the client
 * never offered it: nothing. The stream fails before it yields a byte, so the driver answers with an
 * empty packet and the test with a failure of our own.
 */
function refuseLocalFile(credentials: Credentials): Readable {
  const failure = new ProbeFailure(
    'warehouse_error',
    `The server at ${credentials.host}:${credentials.port} asked for a file from the service (LOAD DATA LOCAL INFILE); the service never sends files.`,
  );
  return new Readable({
    read() {
      this.destroy(failure);
    },
  });
}

/**
 * libpq's sslmode semantics: require encrypts, verify-ca checks the chain, verify-full also the
 * name. The name is checked in followTls, not by mysql2 (which checks an IP host against "localhost").
 */
function tlsOptions(credentials: Credentials): mysql.SslOptions | undefined {
  const ca = credentials.ca_certificate === undefined ? {} : { ca: credentials.ca_certificate };
  switch (credentials.ssl_mode) {
    case 'disable':
      return undefined;
    case 'require':
      return { rejectUnauthorized: false };
    case 'verify-ca':
    case 'verify-full':
      return { ...ca, rejectUnauthorized: true, verifyIdentity: false };
  }
}

type OnSecure = (error?: Error) => void;
interface TlsInternals {
  startTLS(onSecure: OnSecure): void;
  stream: TLSSocket;
}

/**
 * mysql2 upgrades the socket in `startTLS` and sends the credentials from its callback. Wrapping
 * that callback (on this connection only) marks the end of the TLS handshake and, for verify-full,
 * checks the certificate against the host the customer gave, before any credential is sent.
 */
function followTls(connection: mysql.Connection, credentials: Credentials, stages: StageClock): void {
  const internals = connection as unknown as TlsInternals;
  const startTLS = internals.startTLS.bind(connection);
  internals.startTLS = (onSecure) =>
    startTLS((error) => {
      const refused =
        error ??
        (credentials.ssl_mode === 'verify-full'
          ? checkServerIdentity(credentials.host, internals.stream.getPeerCertificate(true) as PeerCertificate)
          : undefined);
      if (!refused) stages.begin('authenticate');
      onSecure(refused);
    });
}

function handshake(connection: mysql.Connection): Promise<void> {
  return new Promise((resolve, reject) => connection.connect((error) => (error ? reject(error) : resolve())));
}

/** One statement under the statement timeout (mysql2 closes the connection when it passes). */
function run(connection: mysql.Connection, sql: string, limits: ProbeLimits): Promise<void> {
  return new Promise((resolve, reject) =>
    connection.query({ sql, timeout: limits.statementTimeoutMs }, (error) => (error ? reject(error) : resolve())),
  );
}
