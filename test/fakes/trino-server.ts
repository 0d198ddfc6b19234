import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { sendJson } from './http-json.js';
import { Delays } from './loopback-server.js';

/**
 * A loopback stand-in for a Trino coordinator's client protocol, as trino-client and every Trino
 * client speak it (trino.io/docs/current/develop/client-protocol.html):
 * - POST /v1/statement with the SQL as the body answers QUEUED with a `nextUri`; each GET of a
 *   nextUri answers the next state (RUNNING, pages of `data`) and the next nextUri, until an answer
 *   without one: FINISHED, or FAILED with an `error` (message, errorCode, errorName, errorType);
 * - nextUri is built from the request's Host header and scheme, as Trino builds it;
 * - every request is authenticated (HTTP Basic where the server has password authentication, else
 *   X-Trino-User alone); a wrong password is a 401 with `WWW-Authenticate: Basic`;
 * - the session's `query_max_run_time` (X-Trino-Session) ends a query that runs too long with
 *   EXCEEDED_TIME_LIMIT; DELETE /v1/query/{id} and DELETE of a nextUri cancel it;
 * - `SHOW TABLES FROM c.s` checks as Trino's ShowQueriesRewrite does, in its order: may the user list
 *   the schema's tables (PERMISSION_DENIED), does the catalog exist (CATALOG_NOT_FOUND), the schema
 *   (SCHEMA_NOT_FOUND); then the names, sorted, a page per answer.
 * Only the two statements the probe sends are understood; anything else fails as Trino's parser would.
 */
export interface TrinoCatalogs {
  [catalog: string]: { [schema: string]: { tables: string[]; /** Users that may list it; every user when absent. */ readers?: string[] } };
}

export interface TrinoStandInOptions {
  /** PEM certificate and key: HTTPS; absent: plain HTTP. */
  tls?: { cert: string; key: string };
  /** Users and their passwords; null: the server has no authentication (X-Trino-User alone). */
  users: Record<string, string> | null;
  catalogs: TrinoCatalogs;
  /** Loopback address to listen on (127.0.0.1 unless another is asked for). */
  listenAddress?: string;
  behaviour?: StandInBehaviour;
}

export interface StandInBehaviour {
  /** Every POST /v1/statement answers this status (503: a coordinator still starting; 404: no Trino here). */
  statementStatus?: number;
  /** POST /v1/statement answers a redirect to this URL. */
  redirectTo?: string;
  /** The URL the first nextUri of each query points to, instead of the server's own. */
  nextUriOverride?: (query: { id: string; ownUri: string }) => string;
  /** Queries whose SQL starts with `sql` (lower case) fail with this error. */
  fail?: { sql: string; errorName: string; errorType: string; errorCode?: number };
  /** POST /v1/statement is never answered. */
  neverAnswer?: boolean;
  /** Queries whose SQL starts with this (lower case) run until their run-time limit. */
  neverFinish?: string;
  /** Answers 200 with an HTML page instead of the protocol. */
  notTrino?: boolean;
  /** Table names per answer of SHOW TABLES. */
  pageSize?: number;
}

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface TrinoStandIn {
  port: number;
  /** https://localhost:port (or http://) */
  origin: string;
  received: ReceivedRequest[];
  /** `localAddress:port` each TCP connection arrived at. */
  arrivals: string[];
  /** Ids of the queries cancelled by a DELETE. */
  cancelled: string[];
  /** SQL of each query as POSTed. */
  statements(): string[];
  close(): Promise<void>;
}

interface Query {
  id: string;
  sql: string;
  user: string;
  startedAt: number;
  maxRunMs: number;
  token: number;
  pages: unknown[][] | undefined;
  failure?: { errorName: string; errorType: string; errorCode: number; message: string };
  done: boolean;
}

const ERROR_CODES: Record<string, [number, string]> = {
  SYNTAX_ERROR: [1, 'USER_ERROR'],
  PERMISSION_DENIED: [4, 'USER_ERROR'],
  CATALOG_NOT_FOUND: [44, 'USER_ERROR'],
  SCHEMA_NOT_FOUND: [45, 'USER_ERROR'],
  EXCEEDED_TIME_LIMIT: [131075, 'INSUFFICIENT_RESOURCES'],
};

/** What Trino's long poll waits for data at most before it answers RUNNING again (kept short here). */
const POLL_WAIT_MS = 50;

let queryCounter = 0;

export async function startTrinoStandIn(options: TrinoStandInOptions): Promise<TrinoStandIn> {
  const behaviour = options.behaviour ?? {};
  const scheme = options.tls ? 'https' : 'http';
  const queries = new Map<string, Query>();
  const received: ReceivedRequest[] = [];
  const arrivals: string[] = [];
  const cancelled: string[] = [];
  const delays = new Delays();
  const held = new Set<ServerResponse>();

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const record: ReceivedRequest = { method: request.method ?? '', url: request.url ?? '', headers: { ...request.headers }, body: '' };
    received.push(record); // as it arrives, before its body
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    record.body = body;
    const path = new URL(request.url ?? '/', 'http://stand-in').pathname;

    if (behaviour.notTrino) return void response.writeHead(200, { 'Content-Type': 'text/html' }).end('<html>Welcome</html>');
    const user = authenticate(request, options.users);
    if (user === undefined) {
      response.writeHead(401, { 'WWW-Authenticate': 'Basic realm="Trino"', 'Content-Type': 'text/plain' }).end('Unauthorized');
      return;
    }
    if (request.method === 'POST' && path === '/v1/statement') {
      if (behaviour.neverAnswer) return void held.add(response);
      if (behaviour.redirectTo) return void response.writeHead(307, { Location: behaviour.redirectTo }).end();
      if (behaviour.statementStatus)
        return void response.writeHead(behaviour.statementStatus, { 'Content-Type': 'text/plain' }).end('Unavailable');
      const query = createQuery(body, user, request);
      queries.set(query.id, query);
      const ownUri = `${originOf(request)}/v1/statement/queued/${query.id}/y${query.token}/1`;
      const nextUri = behaviour.nextUriOverride ? behaviour.nextUriOverride({ id: query.id, ownUri }) : ownUri;
      return sendJson(response, 200, { id: query.id, infoUri: infoUri(request, query), nextUri, stats: stats('QUEUED'), warnings: [] });
    }
    const statement = /^\/v1\/statement\/(queued|executing)\/([^/]+)\/y(\d+)\/(\d+)$/.exec(path);
    const killed = /^\/v1\/query\/([^/]+)$/.exec(path);
    if (request.method === 'DELETE' && (statement || killed)) {
      const id = (statement?.[2] ?? killed?.[1])!;
      const query = queries.get(id);
      if (query && !query.done) {
        query.done = true;
        cancelled.push(id);
      }
      return void response.writeHead(204).end();
    }
    if (request.method === 'GET' && statement) {
      const query = queries.get(statement[2]!);
      if (!query || query.user !== user || Number(statement[3]) !== query.token)
        return sendJson(response, 404, { error: 'Query not found' });
      return sendJson(response, 200, await advance(query, request, statement[1]!, Number(statement[4])));
    }
    response.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not Found');
  };

  function createQuery(sql: string, user: string, request: IncomingMessage): Query {
    queryCounter += 1;
    const id = `20250101_000000_${String(queryCounter).padStart(5, '0')}_stand`;
    return { id, sql, user, startedAt: Date.now(), maxRunMs: maxRunMs(request), token: queryCounter, pages: undefined, done: false };
  }

  async function advance(query: Query, request: IncomingMessage, kind: string, sequence: number): Promise<Record<string, unknown>> {
    const base = { id: query.id, infoUri: infoUri(request, query), warnings: [] };
    const next = (n: number) => `${originOf(request)}/v1/statement/executing/${query.id}/y${query.token}/${n}`;
    if (query.done && !query.failure && !query.pages)
      return { ...base, stats: stats('FAILED'), error: errorOf('USER_CANCELED', 'Query was canceled') };
    if (!query.failure && !query.pages) {
      const lower = query.sql.trim().toLowerCase();
      if (behaviour.neverFinish && lower.startsWith(behaviour.neverFinish)) {
        await delays.wait(POLL_WAIT_MS);
        if (Date.now() - query.startedAt < query.maxRunMs) return { ...base, nextUri: next(sequence + 1), stats: stats('RUNNING') };
        query.failure = failure('EXCEEDED_TIME_LIMIT', `Query exceeded maximum time limit of ${query.maxRunMs}ms`);
      } else if (behaviour.fail && lower.startsWith(behaviour.fail.sql)) {
        const { errorName, errorType, errorCode = 65536 } = behaviour.fail;
        query.failure = {
          errorName,
          errorType,
          errorCode,
          message: `${errorName} from the stand-in: server text that must not be repeated`,
        };
      } else {
        const outcome = run(query);
        if ('failure' in outcome) query.failure = outcome.failure;
        else query.pages = outcome.pages;
      }
    }
    if (query.failure) {
      query.done = true;
      return { ...base, stats: stats('FAILED'), error: errorOf(query.failure.errorName, query.failure.message, query.failure) };
    }
    // Out of the queue: the columns, no data yet, as Trino's first answers often are.
    if (kind === 'queued') return { ...base, nextUri: next(0), columns: columnsOf(query), stats: stats('RUNNING') };
    const pages = query.pages!;
    const page = pages[sequence] ?? [];
    const last = sequence >= pages.length - 1;
    if (last) query.done = true;
    return {
      ...base,
      columns: columnsOf(query),
      ...(page.length > 0 ? { data: page.map((value) => [value]) } : {}),
      ...(last ? {} : { nextUri: next(sequence + 1) }),
      stats: stats(last ? 'FINISHED' : 'RUNNING'),
    };
  }

  /** The statements the probe sends, checked as Trino checks them. */
  function run(query: Query): { pages: unknown[][] } | { failure: NonNullable<Query['failure']> } {
    const sql = query.sql.trim();
    if (/^select 1$/i.test(sql)) return { pages: [[1]] };
    const show = /^show tables from ((?:"(?:[^"]|"")*"|\w+))\.((?:"(?:[^"]|"")*"|\w+))$/i.exec(sql);
    if (!show) return { failure: failure('SYNTAX_ERROR', 'line 1:1: mismatched input') };
    const [catalog, schema] = [identifier(show[1]!), identifier(show[2]!)];
    const entry = options.catalogs[catalog]?.[schema];
    if (entry?.readers && !entry.readers.includes(query.user)) {
      return { failure: failure('PERMISSION_DENIED', `Access Denied: Cannot show tables of schema ${catalog}.${schema}`) };
    }
    if (!options.catalogs[catalog]) return { failure: failure('CATALOG_NOT_FOUND', `line 1:1: Catalog '${catalog}' not found`) };
    if (!entry) return { failure: failure('SCHEMA_NOT_FOUND', `line 1:1: Schema '${schema}' does not exist`) };
    const names = [...entry.tables].sort();
    const size = behaviour.pageSize ?? 1_000;
    const pages: string[][] = [];
    for (let index = 0; index < names.length; index += size) pages.push(names.slice(index, index + size));
    return { pages: pages.length === 0 ? [[]] : pages };
  }

  const server: Server = options.tls
    ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, (request, response) => void respond(request, response))
    : createHttpServer((request, response) => void respond(request, response));
  const respond = (request: IncomingMessage, response: ServerResponse) =>
    handle(request, response).catch(() => {
      if (!response.headersSent) response.writeHead(500).end();
    });
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    arrivals.push(`${socket.localAddress}:${socket.localPort}`);
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('tlsClientError', () => undefined);
  const host = options.listenAddress ?? '127.0.0.1';
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as { port: number }).port;

  return {
    port,
    origin: `${scheme}://localhost:${port}`,
    received,
    arrivals,
    cancelled,
    statements: () => received.filter((request) => request.method === 'POST').map((request) => request.body),
    async close() {
      delays.releaseAll();
      for (const response of held) response.destroy();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  function originOf(request: IncomingMessage): string {
    return `${scheme}://${request.headers.host ?? `localhost:${port}`}`;
  }
}

/** The authenticated user, or undefined for a 401. */
function authenticate(request: IncomingMessage, users: Record<string, string> | null): string | undefined {
  const claimed = request.headers['x-trino-user'];
  if (users === null) return typeof claimed === 'string' && claimed !== '' ? claimed : undefined;
  const basic = /^Basic ([A-Za-z0-9+/=]+)$/.exec(request.headers.authorization ?? '');
  if (!basic) return undefined;
  const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const [user, password] = [decoded.slice(0, colon), decoded.slice(colon + 1)];
  return colon > 0 && Object.hasOwn(users, user) && users[user] === password ? user : undefined;
}

/** Trino lower-cases every name, quoted or not. */
function identifier(text: string): string {
  const quoted = /^"(.*)"$/s.exec(text);
  return (quoted ? quoted[1]!.replace(/""/g, '"') : text).toLowerCase();
}

function maxRunMs(request: IncomingMessage): number {
  const session = String(request.headers['x-trino-session'] ?? '');
  const match = /(?:^|,)\s*query_max_run_time=(\d+)s/.exec(session);
  return match ? Number(match[1]) * 1000 : 100 * 24 * 3600 * 1000;
}

function failure(errorName: string, message: string): NonNullable<Query['failure']> {
  const [errorCode, errorType] = ERROR_CODES[errorName] ?? [65536, 'INTERNAL_ERROR'];
  return { errorName, errorType, errorCode, message };
}

function errorOf(errorName: string, message: string, detail?: { errorCode: number; errorType: string }) {
  const [errorCode, errorType] = detail ? [detail.errorCode, detail.errorType] : (ERROR_CODES[errorName] ?? [3, 'USER_ERROR']);
  return {
    message,
    errorCode,
    errorName,
    errorType,
    failureInfo: { type: 'io.trino.spi.TrinoException', message, suppressed: [], stack: [] },
  };
}

function columnsOf(query: Query) {
  return /^select/i.test(query.sql.trim()) ? [{ name: '_col0', type: 'integer' }] : [{ name: 'Table', type: 'varchar' }];
}

function infoUri(request: IncomingMessage, query: Query): string {
  return `https://${request.headers.host ?? 'localhost'}/ui/query.html?${query.id}`;
}

function stats(state: string) {
  return { state, queued: state === 'QUEUED', scheduled: state !== 'QUEUED', nodes: 1, totalSplits: 0, processedRows: 0 };
}
