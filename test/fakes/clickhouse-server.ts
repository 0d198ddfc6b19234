import { randomUUID } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';

/**
 * A loopback stand-in for ClickHouse's HTTP interface (src/Server/HTTPHandler.cpp,
 * authenticateUserByHTTP.cpp, exceptionCodeToHTTPStatus.cpp), for the real @clickhouse/client:
 * - credentials as ClickHouse reads them: X-ClickHouse-User/Key headers, HTTP basic
 *   authentication (user and password split at the first colon), or `user`/`password` URL
 *   parameters; mixing two ways is AUTHENTICATION_FAILED, none at all is user `default` with no
 *   password. A wrong password or an unknown user is 516 (HTTP 403), as current servers answer;
 * - every URL parameter that is not one of the interface's own is a setting, and a readonly=1 user
 *   is refused any setting (164 READONLY);
 * - the query is the `query` parameter followed by the body; the stand-in knows the two queries
 *   of the test (`SELECT 1 AS probe` and `EXISTS DATABASE`, with back-quoted names read as
 *   ClickHouse's lexer reads them), in JSONEachRow, and answers anything else with SYNTAX_ERROR;
 * - EXISTS DATABASE needs SHOW DATABASES on the database, which a user holds with any privilege on
 *   it: without, ACCESS_DENIED whether or not it exists; with, 1 or 0;
 * - an exception is answered with its HTTP status, X-ClickHouse-Exception-Code and
 *   `Code: N. DB::Exception: ... (NAME) (version ...)`, as sendExceptionToHTTPClient does.
 */
export interface ClickhouseUser {
  password: string;
  /** Databases the user holds some privilege on (SHOW DATABASES follows), or every one. */
  databases: readonly string[] | '*';
  /** A readonly=1 settings profile: no setting may be changed with a query. */
  readonly?: boolean;
  /** The user's DEFAULT DATABASE; it must exist for a request without `database` to run. */
  defaultDatabase?: string;
}

export interface ClickhouseException {
  code: number;
  name: string;
  /** Which query raises it: the test query, EXISTS DATABASE, or any. */
  on: 'select' | 'exists' | 'any';
  /** After the first rows were sent (HTTP 200 already out), as when a query fails while streaming. */
  midAnswer?: boolean;
}

export interface ClickhouseBehaviour {
  /** Read the request and never answer (a hung server, an idle ClickHouse Cloud service waking up): every request, or only this query. */
  hold?: 'select' | 'exists' | 'any';
  /** Answer every request with this HTTP status and no ClickHouse exception (a proxy in front of it). */
  status?: number;
  /** Answer every request with a 307 to this origin. */
  redirectTo?: string;
  exception?: ClickhouseException;
}

export interface RecordedRequest {
  method: string;
  path: string;
  /** The URL parameters, the `password` one removed. */
  params: Record<string, string>;
  /** The parameters ClickHouse would read as settings. */
  settings: string[];
  /** How the credentials came: basic authentication, X-ClickHouse headers, URL parameters, or not at all. */
  authentication: 'basic' | 'headers' | 'params' | 'none' | 'mixed';
  user: string;
  query: string;
  host: string | undefined;
  userAgent: string | undefined;
}

export interface ClickhouseStandIn {
  readonly port: number;
  /** TCP connections accepted so far. */
  readonly accepted: number;
  /** Every request that reached the handler (held ones too). */
  readonly requests: RecordedRequest[];
  behave(behaviour: ClickhouseBehaviour): void;
  close(): Promise<void>;
}

export interface ClickhouseStandInOptions {
  users: Record<string, ClickhouseUser>;
  databases: readonly string[];
  /** Serve HTTPS with this key and certificate (PEM). */
  tls?: { key: string; cert: string };
  /** The loopback address to listen on (127.0.0.1 by default). */
  host?: string;
}

const VERSION = '24.8.4.13 (official build)';
/** The HTTP interface's own parameters (HTTPHandler.cpp); everything else is a setting. */
const INTERFACE_PARAMS = new Set([
  'query',
  'database',
  'default_format',
  'query_id',
  'user',
  'password',
  'quota_key',
  'session_id',
  'session_timeout',
  'session_check',
  'role',
  'compress',
  'decompress',
  'buffer_size',
  'wait_end_of_query',
  'stacktrace',
]);
/** exceptionCodeToHTTPStatus.cpp, for the codes the stand-in raises. */
const HTTP_STATUS: Record<number, number> = {
  62: 400,
  81: 404,
  159: 408,
  192: 403,
  193: 403,
  194: 401,
  195: 403,
  209: 503,
  439: 503,
  497: 403,
  516: 403,
};

class Exception extends Error {
  constructor(
    readonly code: number,
    readonly codeName: string,
    message: string,
  ) {
    super(message);
  }
}

export async function startClickhouseStandIn(options: ClickhouseStandInOptions): Promise<ClickhouseStandIn> {
  let behaviour: ClickhouseBehaviour = {};
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  let accepted = 0;

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://stand-in');
    let body = '';
    for await (const chunk of request) body += (chunk as Buffer).toString('utf8');
    const { record, password } = recordOf(request, url, body);
    requests.push(record);
    if (behaviour.hold && appliesTo(behaviour.hold, record.query)) return; // never answered; the client gives up, or close() cuts it
    if (behaviour.redirectTo) {
      response.writeHead(307, { Location: `${behaviour.redirectTo}${url.pathname}${url.search}` }).end();
      return;
    }
    if (behaviour.status !== undefined) {
      response.writeHead(behaviour.status, { 'Content-Type': 'text/html' }).end('<html><body>Service Unavailable</body></html>');
      return;
    }
    const queryId = url.searchParams.get('query_id') ?? randomUUID();
    const headers = {
      'X-ClickHouse-Server-Display-Name': 'stand-in',
      'X-ClickHouse-Query-Id': queryId,
      'X-ClickHouse-Timezone': 'UTC',
      'Keep-Alive': 'timeout=10, max=9999',
    };
    try {
      const rows = run(record, password, url, options, behaviour.exception);
      response.writeHead(200, {
        ...headers,
        'Content-Type': 'application/x-ndjson; charset=UTF-8',
        'X-ClickHouse-Format': 'JSONEachRow',
        'X-ClickHouse-Summary': JSON.stringify({
          read_rows: '1',
          read_bytes: '1',
          written_rows: '0',
          written_bytes: '0',
          total_rows_to_read: '0',
          result_rows: '1',
          result_bytes: '1',
          elapsed_ns: '1',
        }),
      });
      const failing = behaviour.exception;
      if (failing?.midAnswer && appliesTo(failing.on, record.query)) {
        response.end(
          `${rows}${exceptionText(new Exception(failing.code, failing.name, 'Raised while the answer was streamed.'), record.user)}\n`,
        );
        return;
      }
      response.end(rows);
    } catch (error) {
      if (!(error instanceof Exception)) throw error;
      response
        .writeHead(error.code === 194 ? 401 : (HTTP_STATUS[error.code] ?? 500), {
          ...headers,
          'Content-Type': 'text/plain; charset=UTF-8',
          'X-ClickHouse-Exception-Code': String(error.code),
          ...(error.code === 194 ? { 'WWW-Authenticate': 'Basic realm="ClickHouse server HTTP API"' } : {}),
        })
        .end(`${exceptionText(error, record.user)}\n`);
    }
  };

  const onRequest = (request: IncomingMessage, response: ServerResponse) => {
    handle(request, response).catch(() => response.destroy());
  };
  const server: Server = options.tls
    ? createHttpsServer({ key: options.tls.key, cert: options.tls.cert }, onRequest)
    : createHttpServer(onRequest);
  server.on('connection', (socket: Socket) => {
    accepted += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('tlsClientError', () => undefined); // a client that refuses the certificate
  await new Promise<void>((resolve) => server.listen(0, options.host ?? '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };

  return {
    port,
    get accepted() {
      return accepted;
    },
    requests,
    behave(next) {
      behaviour = next;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** The request as the tests may see it, and apart from it the password it carried. */
function recordOf(request: IncomingMessage, url: URL, body: string): { record: RecordedRequest; password: string } {
  const params = Object.fromEntries([...url.searchParams].filter(([name]) => name !== 'password'));
  const header = (name: string) => {
    const value = request.headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const ways: RecordedRequest['authentication'][] = [];
  let user = 'default';
  let password = '';
  if (header('x-clickhouse-user') || header('x-clickhouse-key')) {
    ways.push('headers');
    user = header('x-clickhouse-user') ?? '';
    password = header('x-clickhouse-key') ?? '';
  }
  const authorization = header('authorization');
  if (authorization) {
    ways.push('basic');
    const decoded = Buffer.from(authorization.replace(/^Basic /i, ''), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    user = colon < 0 ? decoded : decoded.slice(0, colon);
    password = colon < 0 ? '' : decoded.slice(colon + 1);
  }
  if (url.searchParams.has('user') || url.searchParams.has('password')) {
    ways.push('params');
    user = url.searchParams.get('user') ?? 'default';
    password = url.searchParams.get('password') ?? '';
  }
  const record: RecordedRequest = {
    method: request.method ?? '',
    path: url.pathname,
    params,
    settings: [...url.searchParams.keys()].filter((name) => !INTERFACE_PARAMS.has(name) && !name.startsWith('param_')),
    authentication: ways.length > 1 ? 'mixed' : (ways[0] ?? 'none'),
    user,
    query: [url.searchParams.get('query'), body]
      .filter((part) => part)
      .join(' ')
      .trim(),
    host: header('host'),
    userAgent: header('user-agent'),
  };
  return { record, password };
}

/** Authenticates, applies the settings and the database, then runs the query: in ClickHouse's order. */
function run(
  record: RecordedRequest,
  password: string,
  url: URL,
  options: ClickhouseStandInOptions,
  failing: ClickhouseException | undefined,
): string {
  const user = authenticate(record, password, options);
  for (const setting of record.settings) {
    if (user.readonly) throw new Exception(164, 'READONLY', `Cannot modify '${setting}' setting in readonly mode`);
  }
  const database = url.searchParams.get('database') ?? user.defaultDatabase ?? 'default';
  if (!options.databases.includes(database)) throw new Exception(81, 'UNKNOWN_DATABASE', `Database ${database} does not exist`);
  if (failing && !failing.midAnswer && appliesTo(failing.on, record.query))
    throw new Exception(failing.code, failing.name, 'Raised on request.');

  if (/^SELECT\s+1\s+AS\s+probe\s+FORMAT\s+JSONEachRow;?$/i.test(record.query)) return '{"probe":1}\n';
  const exists = /^EXISTS\s+DATABASE\s+(`(?:[^`\\]|\\.|``)*`|[A-Za-z_][A-Za-z0-9_]*)\s+FORMAT\s+JSONEachRow;?$/is.exec(record.query);
  if (exists) {
    const name = unquote(exists[1]!);
    if (user.databases !== '*' && !user.databases.includes(name)) {
      throw new Exception(
        497,
        'ACCESS_DENIED',
        `${record.user}: Not enough privileges. To execute this query, it's necessary to have the grant SHOW DATABASES ON ${name}.*`,
      );
    }
    return `{"result":${options.databases.includes(name) ? 1 : 0}}\n`;
  }
  throw new Exception(62, 'SYNTAX_ERROR', 'Syntax error: the stand-in knows only the queries of the connection test');
}

function authenticate(record: RecordedRequest, password: string, options: ClickhouseStandInOptions): ClickhouseUser {
  if (record.authentication === 'mixed') {
    throw new Exception(
      516,
      'AUTHENTICATION_FAILED',
      'Invalid authentication: it is not allowed to use two authentication methods simultaneously',
    );
  }
  const user = options.users[record.user];
  if (user === undefined || user.password !== password) {
    throw new Exception(
      516,
      'AUTHENTICATION_FAILED',
      `${record.user}: Authentication failed: password is incorrect, or there is no user with such name`,
    );
  }
  return user;
}

/** ClickHouse's lexer: inside back quotes a backslash escapes the next character (\n, \t as in C), and `` is a back quote. */
function unquote(token: string): string {
  if (!token.startsWith('`')) return token;
  return token.slice(1, -1).replace(/\\(.)|``/gs, (match, escaped: string | undefined) => {
    if (escaped === undefined) return '`';
    return escaped === 'n' ? '\n' : escaped === 't' ? '\t' : escaped;
  });
}

function appliesTo(on: 'select' | 'exists' | 'any', query: string): boolean {
  if (on === 'any') return true;
  return on === 'exists' ? /^EXISTS/i.test(query) : /^SELECT/i.test(query);
}

function exceptionText(error: Exception, user: string): string {
  return `Code: ${error.code}. DB::Exception: ${user}: ${error.message}. (${error.codeName}) (version ${VERSION})`;
}
