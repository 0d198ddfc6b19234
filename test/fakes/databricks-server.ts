import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { thrift as driverThrift } from '@databricks/sql';
import type { WorkspaceCertificates } from './databricks-certificates.js';
import { Delays } from './loopback-server.js';

/**
 * A stand-in for a Databricks workspace, built from the Thrift service definitions that
 * @databricks/sql ships (TCLIService: its generated processor reads the requests and writes the
 * replies), served over HTTPS on loopback so the real driver talks to it unmodified:
 * - the SQL warehouses' Thrift endpoint (`POST /sql/1.0/warehouses/<id>`): OpenSession,
 *   ExecuteStatement (with direct results), GetOperationStatus, GetResultSetMetadata, FetchResults,
 *   CancelOperation, CloseOperation, CloseSession;
 * - the workspace's OIDC endpoint for OAuth machine-to-machine (`/oidc/.well-known/oauth-authorization-
 *   server`, `POST /oidc/v1/token` with client_secret_basic), which issues JWT access tokens.
 * It models what the probe's verdicts depend on, as Databricks answers it (see docs/providers.md for
 * what is modelled on what evidence): tokens and service principals, warehouses (running, or starting:
 * HTTP 503 with Retry-After and `x-thriftserver-error-message: TEMPORARILY_UNAVAILABLE`), CAN USE on
 * a warehouse, and Unity Catalog's USE CATALOG / USE SCHEMA with its error classes and SQLSTATEs.
 */

const require = createRequire(import.meta.url);
interface ThriftTransportModule {
  TBufferedTransport: {
    new (buffer: undefined, onFlush: (buffer: Buffer) => void): unknown;
    receiver(callback: (transport: unknown) => void, seqId: number): (data: Buffer) => void;
  };
  TBinaryProtocol: new (transport: unknown) => unknown;
}
/** The Thrift runtime the driver itself uses (a dependency of @databricks/sql). */
const { TBufferedTransport, TBinaryProtocol } = require('thrift') as ThriftTransportModule;
const types = driverThrift.TCLIService_types as unknown as Record<string, Record<string, number>>;
const TStatusCode = types.TStatusCode!;
const TOperationState = types.TOperationState!;
const TTypeId = types.TTypeId!;
const TProtocolVersion = types.TProtocolVersion!;
const TSparkRowSetType = types.TSparkRowSetType!;
const TOperationType = types.TOperationType!;

export interface FakeSchema {
  /** Principals (token users, service principals' application ids) holding USE SCHEMA. */
  users: string[];
  tables: string[];
}

export interface FakeCatalog {
  /** Principals holding USE CATALOG. */
  users: string[];
  schemas: Record<string, FakeSchema>;
}

export interface FakeWarehouse {
  state: 'running' | 'starting';
  /** Principals with CAN USE on the warehouse. */
  users: string[];
}

export interface FakeWorkspaceModel {
  /** The workspace's host name, as its certificate and URLs name it. */
  host: string;
  /** Personal access token → its user. */
  tokens: Record<string, string>;
  /** Service principal application id → its OAuth secret. */
  servicePrincipals: Record<string, string>;
  /** Warehouse id → warehouse. */
  warehouses: Record<string, FakeWarehouse>;
  catalogs: Record<string, FakeCatalog>;
}

/** Per-test switches; the default is a healthy workspace. */
export interface DatabricksBehaviour {
  /** Statements stay RUNNING this long: the driver polls GetOperationStatus, then fetches the results. */
  statementDelayMs?: number;
  /** Thrift methods answered with HTTP 503 (Retry-After, TEMPORARILY_UNAVAILABLE), e.g. GetOperationStatus. */
  unavailableMethods?: string[];
  /** Seconds in the Retry-After of a starting warehouse (default 10). */
  retryAfterSeconds?: number;
  /** Every Thrift request is answered with a 307 to this origin, same path. */
  thriftRedirectTo?: string;
  /** Every OIDC request is answered with a 302 to this origin, same path. */
  oidcRedirectTo?: string;
  /** The OIDC metadata names this token endpoint (a hostile or misconfigured workspace). */
  tokenEndpoint?: string;
  /** Statement errors come in ExecuteStatement's own status instead of the operation's state. */
  errorsInExecuteStatus?: boolean;
  /** OpenSession is answered with this Databricks error (a TStatus error, over HTTP 200). */
  openSessionError?: { errorClass: string; sqlState: string };
  /** Held before answering OpenSession (a slow or hung warehouse). */
  openSessionDelayMs?: number;
  /** The token endpoint answers with this access token instead of a JWT. */
  accessTokenOverride?: string;
}

export interface DatabricksRequest {
  method: string;
  path: string;
  /** The Host header, which must name the workspace (the URL the driver built), never an address. */
  host: string | undefined;
  /** The TLS server name the client sent (SNI). */
  servername: string | false | undefined;
  /** For Thrift calls, the method; for OIDC calls, 'discovery' or 'token'. */
  call: string;
  /** How the request authenticated: 'bearer' (token or OAuth), 'basic' (client secret), or none. */
  authorization: 'bearer' | 'basic' | 'none';
}

export interface RecordedStatement {
  sql: string;
  queryTimeout: number | undefined;
  canReadArrowResult: boolean | undefined;
  canDownloadResult: boolean | undefined;
  canDecompressLZ4Result: boolean | undefined;
  directResultsMaxRows: number | undefined;
  principal: string;
}

export interface FakeDatabricks {
  readonly address: string;
  readonly port: number;
  readonly requests: DatabricksRequest[];
  readonly statements: RecordedStatement[];
  /** Sessions opened and not closed. */
  readonly openSessions: number;
  /** Access tokens issued by the token endpoint (secrets: a verdict must never carry one). */
  readonly issuedTokens: string[];
  behave(behaviour: DatabricksBehaviour): void;
  close(): Promise<void>;
}

interface Session {
  principal: string;
  warehouse: string;
}

interface Operation {
  session: string;
  readyAt: number;
  outcome: { columns: ColumnSpec[]; rows: unknown[][] } | { errorClass: string; sqlState: string; message: string };
  closed: boolean;
  /** The fetch cursor: FETCH_FIRST starts over, FETCH_NEXT goes on (an empty row set is the end). */
  fetched: number;
}

interface ColumnSpec {
  name: string;
  type: 'INT' | 'STRING' | 'BOOLEAN';
}

const SUCCESS = { statusCode: 0 } as const;

/** Databricks' handles carry UUIDs (the driver prints them as such). */
function handleId(): { guid: Buffer; secret: Buffer } {
  const uuid = () => Buffer.from(randomUUID().replace(/-/g, ''), 'hex');
  return { guid: uuid(), secret: uuid() };
}

function key(handle: { guid?: Buffer } | null | undefined): string {
  return handle?.guid ? Buffer.from(handle.guid).toString('hex') : '';
}

function unquote(quoted: string): string {
  return quoted.slice(1, -1).replace(/``/g, '`');
}

/** A Databricks error message: its class in brackets, then text, then its SQLSTATE. */
function databricksError(errorClass: string, sqlState: string, text: string) {
  return { errorClass, sqlState, message: `[${errorClass}] ${text} SQLSTATE: ${sqlState}` };
}

/**
 * `listenHost` is a loopback address of its own (127.0.0.9 by default, which nothing else here
 * uses), so that only a client that connects to the address it was told (the vetted one) finds it.
 */
export async function startFakeDatabricks(
  model: FakeWorkspaceModel,
  certificates: WorkspaceCertificates,
  listenHost = '127.0.0.9',
): Promise<FakeDatabricks> {
  const requests: DatabricksRequest[] = [];
  const statements: RecordedStatement[] = [];
  const sessions = new Map<string, Session>();
  const operations = new Map<string, Operation>();
  const accessTokens = new Map<string, string>();
  const issuedTokens: string[] = [];
  const signingKey = randomBytes(32);
  const delays = new Delays();
  let behaviour: DatabricksBehaviour = {};
  const origin = `https://${model.host}`;

  function jwt(subject: string): string {
    const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const unsigned = `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ sub: subject, scope: 'all-apis', exp: Math.floor(Date.now() / 1000) + 3600 })}`;
    return `${unsigned}.${createHmac('sha256', signingKey).update(unsigned).digest('base64url')}`;
  }

  function principalOf(headers: IncomingHttpHeaders): string | undefined {
    const bearer = /^Bearer (.+)$/.exec(headers.authorization ?? '')?.[1];
    if (bearer === undefined) return undefined;
    return model.tokens[bearer] ?? accessTokens.get(bearer);
  }

  /** What a statement does, by Unity Catalog's rules for the principal. */
  function run(sql: string, principal: string): Operation['outcome'] {
    if (/^SELECT 1 AS ok$/.test(sql)) return { columns: [{ name: 'ok', type: 'INT' }], rows: [[1]] };
    const show = /^SHOW TABLES IN (`(?:[^`]|``)+`)\.(`(?:[^`]|``)+`)$/.exec(sql);
    if (!show) return databricksError('PARSE_SYNTAX_ERROR', '42601', 'Syntax error in the statement.');
    const [catalogName, schemaName] = [unquote(show[1]!), unquote(show[2]!)];
    const catalog = model.catalogs[catalogName];
    if (!catalog) return databricksError('NO_SUCH_CATALOG_EXCEPTION', '42704', `Catalog '${catalogName}' was not found.`);
    if (!catalog.users.includes(principal)) {
      return databricksError(
        'INSUFFICIENT_PERMISSIONS',
        '42501',
        `Insufficient privileges: User does not have USE CATALOG on Catalog '${catalogName}'.`,
      );
    }
    const schema = catalog.schemas[schemaName];
    if (!schema) return databricksError('SCHEMA_NOT_FOUND', '42704', `The schema \`${catalogName}\`.\`${schemaName}\` cannot be found.`);
    if (!schema.users.includes(principal)) {
      return databricksError(
        'INSUFFICIENT_PERMISSIONS',
        '42501',
        `Insufficient privileges: User does not have USE SCHEMA on Schema '${catalogName}.${schemaName}'.`,
      );
    }
    return {
      columns: [
        { name: 'database', type: 'STRING' },
        { name: 'tableName', type: 'STRING' },
        { name: 'isTemporary', type: 'BOOLEAN' },
      ],
      rows: schema.tables.map((table) => [schemaName, table, false]),
    };
  }

  function statusOf(operation: Operation) {
    if (Date.now() < operation.readyAt) return { status: SUCCESS, operationState: TOperationState.RUNNING_STATE, hasResultSet: true };
    if ('errorClass' in operation.outcome) {
      const { sqlState, message } = operation.outcome;
      return { status: SUCCESS, operationState: TOperationState.ERROR_STATE, sqlState, errorMessage: message, displayMessage: message };
    }
    return { status: SUCCESS, operationState: TOperationState.FINISHED_STATE, hasResultSet: true };
  }

  function metadataOf(outcome: Extract<Operation['outcome'], { columns: unknown }>) {
    const typeId = { INT: TTypeId.INT_TYPE, STRING: TTypeId.STRING_TYPE, BOOLEAN: TTypeId.BOOLEAN_TYPE };
    return {
      status: SUCCESS,
      schema: {
        columns: outcome.columns.map((column, index) => ({
          columnName: column.name,
          typeDesc: { types: [{ primitiveEntry: { type: typeId[column.type] } }] },
          position: index + 1,
        })),
      },
      resultFormat: TSparkRowSetType.COLUMN_BASED_SET,
    };
  }

  function rowSet(outcome: Extract<Operation['outcome'], { columns: unknown }>, rows: unknown[][]) {
    const nulls = Buffer.alloc(Math.ceil(rows.length / 8));
    return {
      startRowOffset: 0,
      rows: [],
      columns: outcome.columns.map((column, index) => {
        const values = rows.map((row) => row[index]);
        if (column.type === 'INT') return { i32Val: { values, nulls } };
        if (column.type === 'BOOLEAN') return { boolVal: { values, nulls } };
        return { stringVal: { values, nulls } };
      }),
    };
  }

  function operationFor(request: { operationHandle?: { operationId?: { guid?: Buffer } } }): Operation | undefined {
    const operation = operations.get(key(request.operationHandle?.operationId));
    return operation && !operation.closed && sessions.has(operation.session) ? operation : undefined;
  }

  const invalidHandle = (what: string) => ({ statusCode: TStatusCode.INVALID_HANDLE_STATUS, errorMessage: `Invalid ${what} handle` });

  /** The TCLIService handler: one per request, knowing who called. */
  function handlerFor(principal: string, warehouse: string) {
    return {
      // One parameter each: the generated processor treats a handler of one argument as promise-returning.
      OpenSession: async (_request: unknown) => {
        if (behaviour.openSessionDelayMs) await delays.wait(behaviour.openSessionDelayMs);
        if (behaviour.openSessionError) {
          const { errorClass, sqlState } = behaviour.openSessionError;
          const { message } = databricksError(errorClass, sqlState, 'The session could not be opened.');
          return {
            status: { statusCode: TStatusCode.ERROR_STATUS, sqlState, errorMessage: message },
            serverProtocolVersion: TProtocolVersion.SPARK_CLI_SERVICE_PROTOCOL_V8,
          };
        }
        const sessionHandle = { sessionId: handleId() };
        sessions.set(key(sessionHandle.sessionId), { principal, warehouse });
        return { status: SUCCESS, serverProtocolVersion: TProtocolVersion.SPARK_CLI_SERVICE_PROTOCOL_V8, sessionHandle, configuration: {} };
      },
      ExecuteStatement: (request: Record<string, unknown> & { sessionHandle?: { sessionId?: { guid?: Buffer } }; statement?: string }) => {
        const sessionKey = key(request.sessionHandle?.sessionId);
        const session = sessions.get(sessionKey);
        if (!session) return { status: invalidHandle('session') };
        const sql = String(request.statement ?? '');
        const direct = request.getDirectResults as { maxRows?: { toNumber(): number } | number } | null | undefined;
        const maxRows = direct?.maxRows === undefined || direct.maxRows === null ? undefined : Number(direct.maxRows.valueOf());
        statements.push({
          sql,
          queryTimeout:
            request.queryTimeout === null || request.queryTimeout === undefined
              ? undefined
              : Number((request.queryTimeout as object).valueOf()),
          canReadArrowResult: (request.canReadArrowResult as boolean | null) ?? undefined,
          canDownloadResult: (request.canDownloadResult as boolean | null) ?? undefined,
          canDecompressLZ4Result: (request.canDecompressLZ4Result as boolean | null) ?? undefined,
          directResultsMaxRows: maxRows,
          principal: session.principal,
        });
        // This stand-in only writes Thrift columns: a client asking for more is not what the probe does.
        if (request.canReadArrowResult || request.canDownloadResult || request.canDecompressLZ4Result) {
          return { status: { statusCode: TStatusCode.ERROR_STATUS, errorMessage: 'the stand-in serves inline Thrift columns only' } };
        }
        const outcome = run(sql, session.principal);
        if (behaviour.errorsInExecuteStatus && 'errorClass' in outcome) {
          return { status: { statusCode: TStatusCode.ERROR_STATUS, sqlState: outcome.sqlState, errorMessage: outcome.message } };
        }
        const operationId = handleId();
        const operation: Operation = {
          session: sessionKey,
          readyAt: Date.now() + (behaviour.statementDelayMs ?? 0),
          outcome,
          closed: false,
          fetched: 0,
        };
        operations.set(key(operationId), operation);
        const operationHandle = { operationId, operationType: TOperationType.EXECUTE_STATEMENT, hasResultSet: true };
        if (!direct) return { status: SUCCESS, operationHandle };
        const operationStatus = statusOf(operation);
        if (operationStatus.operationState !== TOperationState.FINISHED_STATE || !('columns' in outcome)) {
          return { status: SUCCESS, operationHandle, directResults: { operationStatus } };
        }
        const rows = outcome.rows.slice(0, maxRows ?? outcome.rows.length);
        operation.fetched = rows.length;
        const hasMoreRows = rows.length < outcome.rows.length;
        // All rows fit: Databricks closes the operation itself and says so.
        if (!hasMoreRows) operation.closed = true;
        return {
          status: SUCCESS,
          operationHandle,
          directResults: {
            operationStatus,
            resultSetMetadata: metadataOf(outcome),
            resultSet: { status: SUCCESS, hasMoreRows, results: rowSet(outcome, rows) },
            ...(hasMoreRows ? {} : { closeOperation: { status: SUCCESS } }),
          },
        };
      },
      GetOperationStatus: (request: { operationHandle?: { operationId?: { guid?: Buffer } } }) => {
        const operation = operationFor(request);
        return operation ? statusOf(operation) : { status: invalidHandle('operation') };
      },
      GetResultSetMetadata: (request: { operationHandle?: { operationId?: { guid?: Buffer } } }) => {
        const operation = operationFor(request);
        if (!operation || !('columns' in operation.outcome)) return { status: invalidHandle('operation') };
        return metadataOf(operation.outcome);
      },
      FetchResults: (request: {
        operationHandle?: { operationId?: { guid?: Buffer } };
        orientation?: number;
        maxRows?: { valueOf(): number };
      }) => {
        const operation = operationFor(request);
        if (!operation || !('columns' in operation.outcome)) return { status: invalidHandle('operation') };
        if (request.orientation === types.TFetchOrientation!.FETCH_FIRST) operation.fetched = 0;
        const rows = operation.outcome.rows.slice(operation.fetched, operation.fetched + Number(request.maxRows?.valueOf() ?? 100));
        operation.fetched += rows.length;
        return {
          status: SUCCESS,
          hasMoreRows: operation.fetched < operation.outcome.rows.length,
          results: rowSet(operation.outcome, rows),
        };
      },
      CancelOperation: (request: { operationHandle?: { operationId?: { guid?: Buffer } } }) => {
        const operation = operationFor(request);
        if (operation) operation.closed = true;
        return { status: operation ? SUCCESS : invalidHandle('operation') };
      },
      CloseOperation: (request: { operationHandle?: { operationId?: { guid?: Buffer } } }) => {
        const operation = operationFor(request);
        if (operation) operation.closed = true;
        return { status: operation ? SUCCESS : invalidHandle('operation') };
      },
      CloseSession: (request: { sessionHandle?: { sessionId?: { guid?: Buffer } } }) => {
        const removed = sessions.delete(key(request.sessionHandle?.sessionId));
        return { status: removed ? SUCCESS : invalidHandle('session') };
      },
    };
  }

  /** The name of a Thrift call, read from the binary protocol's message header (strict: version, name length, name). */
  function thriftMethod(body: Buffer): string {
    if (body.length < 8) return '';
    const length = body.readUInt32BE(4);
    return body.subarray(8, 8 + length).toString('utf8');
  }

  function processThrift(body: Buffer, principal: string, warehouse: string, response: ServerResponse): void {
    const Processor = (
      driverThrift.TCLIService as unknown as { Processor: new (handler: object) => { process(input: unknown, output: unknown): void } }
    ).Processor;
    const processor = new Processor(handlerFor(principal, warehouse));
    TBufferedTransport.receiver((transport) => {
      const output = new TBinaryProtocol(
        new TBufferedTransport(undefined, (reply) => {
          response.writeHead(200, { 'Content-Type': 'application/x-thrift', 'Content-Length': reply.length }).end(reply);
        }),
      );
      processor.process(new TBinaryProtocol(transport), output);
    }, 0)(body);
  }

  function refuse(response: ServerResponse, status: number, headers: Record<string, string | number> = {}): void {
    response.writeHead(status, { 'Content-Length': 0, ...headers }).end();
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const path = (request.url ?? '').split('?')[0]!;
    const authorization = /^Bearer /.test(request.headers.authorization ?? '')
      ? 'bearer'
      : /^Basic /.test(request.headers.authorization ?? '')
        ? 'basic'
        : 'none';
    const isOidc = path.startsWith('/oidc/');
    const record: DatabricksRequest = {
      method: request.method ?? '',
      path,
      host: request.headers.host,
      servername: (request.socket as TLSSocket).servername ?? undefined,
      call: isOidc ? (path.endsWith('/token') ? 'token' : 'discovery') : thriftMethod(body),
      authorization,
    };
    requests.push(record);
    if (request.headers.host !== model.host) return refuse(response, 404);

    if (isOidc) {
      if (behaviour.oidcRedirectTo) return refuse(response, 302, { Location: `${behaviour.oidcRedirectTo}${request.url ?? ''}` });
      return oidc(request, response, path, body);
    }
    if (behaviour.thriftRedirectTo) return refuse(response, 307, { Location: `${behaviour.thriftRedirectTo}${request.url ?? ''}` });
    const warehouseId = /^\/sql\/1\.0\/(?:warehouses|endpoints)\/([0-9a-f]{16})$/.exec(path)?.[1];
    if (request.method !== 'POST' || warehouseId === undefined) return refuse(response, 404);
    if (authorization !== 'bearer')
      return refuse(response, 401, { 'x-databricks-reason-phrase': 'Credential was not sent or was of an unsupported type.' });
    const principal = principalOf(request.headers);
    if (principal === undefined) return refuse(response, 403, { 'x-databricks-reason-phrase': 'Invalid access token.' });
    const warehouse = model.warehouses[warehouseId];
    if (!warehouse) return refuse(response, 404, { 'x-databricks-reason-phrase': 'RESOURCE_DOES_NOT_EXIST' });
    if (!warehouse.users.includes(principal)) {
      return refuse(response, 403, {
        'x-thriftserver-error-message': `PERMISSION_DENIED: User is not authorized to use SQL warehouse ${warehouseId}.`,
      });
    }
    if (warehouse.state === 'starting' || behaviour.unavailableMethods?.includes(record.call)) {
      return refuse(response, 503, {
        'Retry-After': behaviour.retryAfterSeconds ?? 10,
        'x-thriftserver-error-message': `TEMPORARILY_UNAVAILABLE: Warehouse ${warehouseId} is temporarily unavailable.`,
      });
    }
    processThrift(body, principal, warehouseId, response);
  }

  function oidc(request: IncomingMessage, response: ServerResponse, path: string, body: Buffer): void {
    const json = (status: number, value: object) => {
      const payload = JSON.stringify(value);
      response.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) }).end(payload);
    };
    if (request.method === 'GET' && path === '/oidc/.well-known/oauth-authorization-server') {
      return json(200, {
        issuer: `${origin}/oidc`,
        authorization_endpoint: `${origin}/oidc/v1/authorize`,
        token_endpoint: behaviour.tokenEndpoint ?? `${origin}/oidc/v1/token`,
        jwks_uri: `${origin}/oidc/jwks.json`,
        grant_types_supported: ['client_credentials', 'authorization_code', 'refresh_token'],
        token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
        scopes_supported: ['all-apis', 'offline_access'],
      });
    }
    if (request.method !== 'POST' || path !== '/oidc/v1/token') return json(404, { error: 'not_found' });
    const basic = /^Basic (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    const [id, secret] = basic
      ? Buffer.from(basic, 'base64')
          .toString('utf8')
          .split(':')
          .map((part) => decodeURIComponent(part.replace(/\+/g, ' ')))
      : [];
    const form = new URLSearchParams(body.toString('utf8'));
    if (id === undefined || model.servicePrincipals[id] === undefined || model.servicePrincipals[id] !== secret) {
      return json(401, { error: 'invalid_client', error_description: 'Client authentication failed' });
    }
    if (form.get('grant_type') !== 'client_credentials') return json(400, { error: 'unsupported_grant_type' });
    if (form.get('scope') !== 'all-apis') return json(400, { error: 'invalid_scope' });
    const accessToken = behaviour.accessTokenOverride ?? jwt(id);
    accessTokens.set(accessToken, id);
    issuedTokens.push(accessToken);
    return json(200, { access_token: accessToken, token_type: 'Bearer', expires_in: 3600, scope: 'all-apis' });
  }

  const sockets = new Set<Socket>();
  const server: Server = createServer({ key: certificates.key, cert: certificates.certificate }, (request, response) => {
    void handle(request, response).catch(() => {
      if (!response.headersSent) response.writeHead(500).end();
      else response.destroy();
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, listenHost, resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('expected a TCP address');

  return {
    address: listenHost,
    port: address.port,
    requests,
    statements,
    get openSessions() {
      return sessions.size;
    },
    issuedTokens,
    behave(next) {
      behaviour = next;
    },
    async close() {
      delays.releaseAll();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
