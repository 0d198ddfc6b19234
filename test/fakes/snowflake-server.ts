import { randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { readJson, sendJson } from './http-json.js';
import { epochSeconds, snowflakeFingerprint, verifyRs256 } from './jwt.js';
import { Delays, startLoopbackServer, type ConnectionMode } from './loopback-server.js';

/**
 * A stand-in for Snowflake's REST endpoints, enough for snowflake-sdk 3 to log in (password or
 * SNOWFLAKE_JWT), run statements, send telemetry and log out, speaking the JSON the driver parses:
 * `{ data, code, message, success }` envelopes with Snowflake's numeric codes, and query results as
 * `rowtype` + `rowset`. It models an account with users, roles, warehouses, databases and schemas,
 * and resolves the names a session asks for the way Snowflake does (unquoted names upper-cased).
 */

export interface FakeSnowflakeUser {
  password?: string;
  /** The RSA public key registered on the user (RSA_PUBLIC_KEY). */
  publicKey?: KeyObject;
  /** Roles granted to the user. */
  roles: string[];
  defaultRole: string;
}

export interface FakeSnowflakeAccount {
  /** The account name the JWT claims use, e.g. TESTORG-TESTACCOUNT. */
  account: string;
  /** Other names that log in to the same account (tenants of one process, as the tests need them). */
  aliases?: string[];
  users: Record<string, FakeSnowflakeUser>;
  /** Warehouse → roles with USAGE on it. */
  warehouses: Record<string, string[]>;
  databases: Record<string, { roles: string[]; schemas: Record<string, string[]> }>;
}

export interface SnowflakeError {
  code: string;
  message: string;
  sqlState?: string;
}

/** Per-test switches; the default is a healthy account. */
export interface SnowflakeBehaviour {
  loginDelayMs?: number;
  queryDelayMs?: number;
  /** Answer the login with this HTTP status instead (403 network block, 503 outage...). */
  loginHttpStatus?: number;
  /** Refuse the login with this Snowflake error once the credentials check out. */
  loginError?: SnowflakeError;
  /** Fail every statement with this error. */
  queryError?: SnowflakeError;
  /** Session parameters the login returns (Snowflake sends the account's, e.g. SERVICE_NAME). */
  loginParameters?: { name: string; value: unknown }[];
  /** Called as each login request arrives, while the client waits for the answer. */
  onLogin?: () => void;
  /** Answer every request with 307 to this origin, same path (a hostile or hijacked endpoint). */
  redirectTo?: string;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
}

export interface FakeSnowflake {
  readonly accessUrl: string;
  readonly requests: RecordedRequest[];
  /** Sessions logged in and not yet logged out. */
  readonly openSessions: number;
  behave(behaviour: SnowflakeBehaviour): void;
  setMode(mode: ConnectionMode): Promise<void>;
  close(): Promise<void>;
}

interface Session {
  role: string;
  warehouse: string | null;
  database: string | null;
  schema: string | null;
}

/** Snowflake identifier resolution: "quoted" is exact, anything else upper-cased. */
function resolveName(raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  const quoted = /^"(.*)"$/.exec(raw);
  return quoted ? quoted[1]!.replace(/""/g, '"') : raw.toUpperCase();
}

function failure(error: SnowflakeError, extra: Record<string, unknown> = {}) {
  return {
    data: { errorCode: error.code, sqlState: error.sqlState ?? '08001', ...extra },
    code: error.code,
    message: error.message,
    success: false,
    headers: null,
  };
}

export async function startFakeSnowflake(model: FakeSnowflakeAccount): Promise<FakeSnowflake> {
  const delays = new Delays();
  const requests: RecordedRequest[] = [];
  const sessions = new Map<string, Session>();
  const masterTokens = new Map<string, string>();
  let behaviour: SnowflakeBehaviour = {};

  function login(body: Record<string, unknown>, query: Record<string, string>): unknown {
    const data = (body.data ?? {}) as Record<string, unknown>;
    const loginName = String(data.LOGIN_NAME ?? '');
    const user = model.users[loginName.toUpperCase()];
    const accountName = String(data.ACCOUNT_NAME ?? '').toUpperCase();
    const accountMatches = accountName === model.account || (model.aliases ?? []).includes(accountName);
    if (data.AUTHENTICATOR === 'SNOWFLAKE_JWT') {
      if (!user || !accountMatches || !jwtAccepted(String(data.TOKEN ?? ''), loginName.toUpperCase(), user)) {
        return failure({ code: '390144', message: 'JWT token is invalid.' });
      }
    } else if (!user || !accountMatches || user.password === undefined || data.PASSWORD !== user.password) {
      // A careless server could echo what it was sent; the probe must never pass this text on.
      return failure({ code: '390100', message: `Incorrect username or password was specified. (received: ${String(data.PASSWORD)})` });
    }
    if (behaviour.loginError) return failure(behaviour.loginError);
    const requestedRole = resolveName(query.roleName);
    if (requestedRole !== undefined && !user.roles.includes(requestedRole)) {
      return failure({
        code: '390189',
        message: `Role '${requestedRole}' specified in the connect string is not granted to this user. Contact your local system administrator, or attempt to login with another role, e.g. PUBLIC.`,
      });
    }
    const session = openSession(requestedRole ?? user.defaultRole, query);
    const token = `session-${randomBytes(12).toString('hex')}`;
    const masterToken = `master-${randomBytes(12).toString('hex')}`;
    sessions.set(token, session);
    masterTokens.set(masterToken, token);
    return {
      data: {
        token,
        masterToken,
        validityInSeconds: 3600,
        masterValidityInSeconds: 14400,
        sessionId: Number.parseInt(randomBytes(4).toString('hex'), 16),
        displayUserName: loginName.toUpperCase(),
        serverVersion: '9.0.0',
        firstLogin: false,
        parameters: behaviour.loginParameters ?? [],
        sessionInfo: {
          databaseName: session.database,
          schemaName: session.schema,
          warehouseName: session.warehouse,
          roleName: session.role,
        },
      },
      code: null,
      message: null,
      success: true,
    };
  }

  /** The checks Snowflake makes on a key-pair login: signature, issuer with key fingerprint, subject, lifetime. */
  function jwtAccepted(token: string, userName: string, user: FakeSnowflakeUser): boolean {
    if (!user.publicKey) return false;
    const verified = verifyRs256(token, user.publicKey);
    if (!verified) return false;
    const { iss, sub, exp, iat } = verified.claims;
    const expiry = epochSeconds(exp);
    const issued = epochSeconds(iat);
    const now = Date.now() / 1000;
    return (
      iss === `${model.account}.${userName}.${snowflakeFingerprint(user.publicKey)}` &&
      sub === `${model.account}.${userName}` &&
      expiry !== undefined &&
      issued !== undefined &&
      expiry > now &&
      issued <= now + 60 &&
      expiry - issued <= 3600
    );
  }

  /** Objects the role may not use stay unset in the session, as in Snowflake. */
  function openSession(role: string, query: Record<string, string>): Session {
    const warehouseName = resolveName(query.warehouse);
    const warehouse = warehouseName !== undefined && model.warehouses[warehouseName]?.includes(role) ? warehouseName : null;
    const databaseName = resolveName(query.databaseName);
    const database = databaseName !== undefined && model.databases[databaseName]?.roles.includes(role) ? databaseName : null;
    const schemaName = resolveName(query.schemaName);
    const schema =
      database !== null && schemaName !== undefined && model.databases[database]!.schemas[schemaName]?.includes(role) ? schemaName : null;
    return { role, warehouse, database, schema };
  }

  function result(session: Session, sqlText: string): unknown {
    const column = (name: string) => ({
      name,
      type: 'text',
      nullable: true,
      length: 255,
      byteLength: 1020,
      precision: null,
      scale: null,
      database: '',
      schema: '',
      table: '',
      collation: null,
    });
    let rowtype: unknown[];
    let rowset: unknown[][];
    if (/CURRENT_ROLE\(\)/i.test(sqlText)) {
      rowtype = ['ROLE_NAME', 'WAREHOUSE_NAME', 'DATABASE_NAME', 'SCHEMA_NAME'].map(column);
      rowset = [[session.role, session.warehouse, session.database, session.schema]];
    } else if (/^\s*SELECT 1\s*;?\s*$/i.test(sqlText)) {
      rowtype = [{ ...column('1'), type: 'fixed', precision: 1, scale: 0 }];
      rowset = [['1']];
    } else {
      return failure(
        { code: '001003', message: 'SQL compilation error: syntax error (the fake knows only the probe queries).', sqlState: '42000' },
        { queryId: randomUUID() },
      );
    }
    return {
      data: {
        parameters: [],
        rowtype,
        rowset,
        total: rowset.length,
        returned: rowset.length,
        queryId: randomUUID(),
        finalDatabaseName: session.database,
        finalSchemaName: session.schema,
        finalWarehouseName: session.warehouse,
        finalRoleName: session.role,
        statementTypeId: 4096,
        version: 1,
        queryResultFormat: 'json',
      },
      code: null,
      message: null,
      success: true,
    };
  }

  function sessionOf(request: IncomingMessage): [string, Session] | undefined {
    const token = /^Snowflake Token="([^"]+)"$/.exec(request.headers.authorization ?? '')?.[1];
    const session = token === undefined ? undefined : sessions.get(token);
    return token !== undefined && session ? [token, session] : undefined;
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://fake.invalid');
    const query = Object.fromEntries(url.searchParams);
    requests.push({ method: request.method ?? '', path: url.pathname, query, headers: request.headers });
    const body = await readJson(request);
    if (behaviour.redirectTo) {
      response.writeHead(307, { Location: `${behaviour.redirectTo}${url.pathname}${url.search}` }).end();
      return;
    }

    if (url.pathname === '/session/v1/login-request') {
      behaviour.onLogin?.();
      if (behaviour.loginDelayMs) await delays.wait(behaviour.loginDelayMs);
      if (behaviour.loginHttpStatus) {
        response.writeHead(behaviour.loginHttpStatus, { 'Content-Type': 'text/html' }).end('<html>unavailable</html>');
        return;
      }
      sendJson(response, 200, login(body, query));
      return;
    }
    if (url.pathname === '/session/token-request') {
      const master = /^Snowflake Token="([^"]+)"$/.exec(request.headers.authorization ?? '')?.[1];
      const old = master === undefined ? undefined : masterTokens.get(master);
      const session = old === undefined ? undefined : sessions.get(old);
      if (!session || master === undefined)
        return sendJson(response, 200, failure({ code: '390114', message: 'Authentication token has expired.' }));
      const token = `session-${randomBytes(12).toString('hex')}`;
      sessions.set(token, session);
      masterTokens.set(master, token);
      return sendJson(response, 200, {
        data: { sessionToken: token, validityInSecondsST: 3600, masterToken: master, validityInSecondsMT: 14400 },
        code: null,
        message: null,
        success: true,
      });
    }

    const current = sessionOf(request);
    if (!current) return sendJson(response, 200, failure({ code: '390111', message: 'Session no longer exists.' }));
    const [token, session] = current;
    switch (url.pathname) {
      case '/queries/v1/query-request': {
        if (behaviour.queryDelayMs) await delays.wait(behaviour.queryDelayMs);
        if (behaviour.queryError) return sendJson(response, 200, failure(behaviour.queryError, { queryId: randomUUID() }));
        return sendJson(response, 200, result(session, String(body.sqlText ?? '')));
      }
      case '/session':
        if (query.delete === 'true') sessions.delete(token);
        return sendJson(response, 200, { data: null, code: null, message: null, success: true });
      case '/session/heartbeat':
      case '/queries/v1/abort-request':
        return sendJson(response, 200, { data: null, code: null, message: null, success: true });
      case '/telemetry/send':
        return sendJson(response, 200, { data: 'Log Received', code: null, message: null, success: true });
      default:
        response.writeHead(404).end();
    }
  }

  const server = await startLoopbackServer(handle);
  return {
    accessUrl: server.origin,
    requests,
    get openSessions() {
      return sessions.size;
    },
    behave(next) {
      behaviour = next;
    },
    setMode: (mode) => server.setMode(mode),
    async close() {
      delays.releaseAll();
      await server.close();
    },
  };
}
