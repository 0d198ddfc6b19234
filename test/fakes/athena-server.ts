import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FakeAwsAccounts, FakeSession } from './aws-accounts.js';
import { readBody, verifySigned } from './aws-protocols.js';
import { startLoopbackServer, type ConnectionMode } from './loopback-server.js';

/**
 * A stand-in for Amazon Athena (JSON 1.1, 2017-05-18), enough for @aws-sdk/client-athena's
 * StartQueryExecution, GetQueryExecution, GetQueryResults and StopQueryExecution, answering as
 * Athena does:
 * - every request SigV4-signed for `athena` with a role session's keys and token
 *   (local/sigv4.ts), `X-Amz-Target: AmazonAthena.<Operation>`, `application/x-amz-json-1.1`;
 * - IAM: each operation needs `athena:<Operation>` of the session (its role's policies and its
 *   session policy, aws-accounts.ts), else `AccessDeniedException`;
 * - StartQueryExecution checks at once what Athena checks at once: a ClientRequestToken, the
 *   workgroup in the caller's account (`WorkGroup is not found.`) and enabled, the SQL (only the
 *   forms below parse, else MALFORMED_QUERY), an output location (the workgroup's when it enforces
 *   its settings, else the request's or the workgroup's; none: `No output location provided.`) and
 *   its bucket (s3:GetBucketLocation of the session: `Unable to verify/create output bucket`);
 * - a query then runs as its script says: it is QUEUED, RUNNING for some polls, and ends by
 *   running (below), failing as scripted, or never (until StopQueryExecution cancels it). Running:
 *   `SELECT 1` answers one row; ``SHOW TABLES IN `db` `` reads the catalog as the session
 *   (glue:GetDatabase, glue:GetTables; the database in the caller's account, else
 *   SCHEMA_NOT_FOUND); both write their results to the output location (s3:PutObject, else a
 *   failed query with Athena's S3 permission error);
 * - errors are `{"__type", "Message", "AthenaErrorCode"}` without an `x-amzn-errortype` header,
 *   as Athena sends them.
 * Athena's wording is taken from what it documents and what others measured; where no
 * measurement was found (the disabled workgroup's text), the classifier reads both likely forms.
 */
const TARGET_PREFIX = 'AmazonAthena.';
const DEFAULT_CATALOG = 'awsdatacatalog';
const SELECT_ONE = /^\s*SELECT\s+1\s*;?\s*$/i;
const SHOW_TABLES = /^\s*SHOW\s+TABLES\s+IN\s+(?:`([^`]+)`|([A-Za-z0-9_]+))\s*;?\s*$/i;

export interface FakeAthenaWorkgroup {
  name: string;
  accountId: string;
  state: 'ENABLED' | 'DISABLED';
  /** The workgroup's query result location. */
  outputLocation?: string;
  /** Whether its settings override the client's (EnforceWorkGroupConfiguration). */
  enforce?: boolean;
}

export interface FakeGlueDatabase {
  accountId: string;
  name: string;
  tables: string[];
}

/** How a query ends: runs for real, fails as given, or never ends. */
export type QueryEnd =
  | { kind: 'run' }
  | { kind: 'hang' }
  | { kind: 'fail'; state: 'FAILED' | 'CANCELLED'; category?: number; type?: number; message: string; retryable?: boolean };

export interface QueryScript {
  /** Polls answered before the query ends: the first QUEUED, the others RUNNING. */
  pollsBeforeEnd: number;
  end: QueryEnd;
}

export interface AthenaCall {
  operation: string;
  caller: string;
  input: Record<string, unknown>;
}

interface FakeQuery {
  id: string;
  accountId: string;
  sql: string;
  workgroup: string;
  catalog: string;
  outputLocation: string;
  script: QueryScript;
  session: FakeSession;
  polls: number;
  state: 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
  submittedAt: number;
  completedAt?: number;
  error?: { category: number; type: number; message: string; retryable: boolean };
  reason?: string;
  rows: string[][];
}

export interface FakeAthena {
  readonly endpoint: string;
  readonly calls: AthenaCall[];
  /** The queries started, by id, in the order started. */
  readonly queries: ReadonlyMap<string, Readonly<FakeQuery>>;
  /** Scripts for the next queries, in order; once used up, a query is QUEUED at its first poll and ends at its second. */
  scriptNext(...scripts: QueryScript[]): void;
  setWorkgroupState(name: string, state: 'ENABLED' | 'DISABLED'): void;
  /** The next request is answered with a redirect to `location`. */
  redirectNextTo(location: string): void;
  /** The next signed request is answered with this error (throttling, a 5xx, an error nobody reads). */
  failNextCall(failure: { status: number; type: string; message: string; athenaErrorCode?: string }): void;
  /** How a missing database is worded: Athena's engine (SCHEMA_NOT_FOUND) or its Hive DDL path. */
  missingDatabaseWording: 'engine' | 'hive';
  setMode(mode: ConnectionMode): Promise<void>;
  close(): Promise<void>;
}

export async function startFakeAthena(
  accounts: FakeAwsAccounts,
  options: {
    region: string;
    workgroups: FakeAthenaWorkgroup[];
    databases: FakeGlueDatabase[];
    buckets: { name: string; accountId: string }[];
  },
): Promise<FakeAthena> {
  const calls: AthenaCall[] = [];
  const queries = new Map<string, FakeQuery>();
  const workgroups = new Map(options.workgroups.map((workgroup) => [`${workgroup.accountId}/${workgroup.name}`, { ...workgroup }]));
  const scripts: QueryScript[] = [];
  let redirect: string | undefined;
  let failNext: { status: number; type: string; message: string; athenaErrorCode?: string } | undefined;

  const fake: FakeAthena = {
    endpoint: '',
    calls,
    queries,
    scriptNext: (...next) => void scripts.push(...next),
    setWorkgroupState(name, state) {
      for (const workgroup of workgroups.values()) if (workgroup.name === name) workgroup.state = state;
    },
    redirectNextTo(location) {
      redirect = location;
    },
    failNextCall(failure) {
      failNext = failure;
    },
    missingDatabaseWording: 'engine',
    setMode: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };

  function send(response: ServerResponse, status: number, body: unknown): void {
    const payload = JSON.stringify(body);
    response
      .writeHead(status, {
        'Content-Type': 'application/x-amz-json-1.1',
        'Content-Length': Buffer.byteLength(payload),
        'x-amzn-RequestId': randomUUID(),
      })
      .end(payload);
  }
  const error = (response: ServerResponse, status: number, type: string, message: string, athenaErrorCode?: string) =>
    send(response, status, {
      __type: type,
      ...(athenaErrorCode === undefined ? {} : { AthenaErrorCode: athenaErrorCode, ErrorCode: athenaErrorCode }),
      Message: message,
    });
  const invalid = (response: ServerResponse, message: string, code = 'INVALID_INPUT') =>
    error(response, 400, 'InvalidRequestException', message, code);

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readBody(request);
    if (redirect !== undefined) {
      const location = redirect;
      redirect = undefined;
      response.writeHead(307, { Location: location, 'Content-Length': 0 }).end();
      return;
    }
    const signed = await verifySigned(request, body, accounts.credentialsFor, 'athena', (status, code, message) =>
      error(response, status, code, message),
    );
    if (!signed) return;
    const session = accounts.sessionOf(signed);
    if (session === 'expired')
      return error(response, 400, 'ExpiredTokenException', 'The security token included in the request is expired');
    if (session === 'token_missing')
      return error(response, 403, 'UnrecognizedClientException', 'The security token included in the request is invalid.');

    const target = String(request.headers['x-amz-target'] ?? '');
    if (
      request.method !== 'POST' ||
      request.headers['content-type'] !== 'application/x-amz-json-1.1' ||
      !target.startsWith(TARGET_PREFIX)
    ) {
      return send(response, 400, { __type: 'UnknownOperationException' });
    }
    let input: Record<string, unknown>;
    try {
      input = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
      if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new Error('not an object');
    } catch {
      return send(response, 400, { __type: 'SerializationException' });
    }
    const operation = target.slice(TARGET_PREFIX.length);
    calls.push({ operation, caller: session.arn, input });
    if (failNext !== undefined) {
      const { status, type, message, athenaErrorCode } = failNext;
      failNext = undefined;
      return error(response, status, type, message, athenaErrorCode);
    }
    const accountId = session.role?.arn.split(':')[4] ?? '';
    const resource = (name: string) => `arn:aws:athena:${options.region}:${accountId}:workgroup/${name}`;
    const denied = (action: string, on: string) =>
      error(
        response,
        400,
        'AccessDeniedException',
        `User: ${session.arn} is not authorized to perform: ${action} on resource: ${on} because no identity-based policy allows the ${action} action`,
      );

    switch (operation) {
      case 'StartQueryExecution': {
        const token = input.ClientRequestToken;
        if (typeof token !== 'string' || token.length < 32 || token.length > 128)
          return invalid(response, 'clientRequestToken is null or empty');
        if (typeof input.QueryString !== 'string' || input.QueryString === '') {
          return invalid(
            response,
            "1 validation error detected: Value null at 'queryString' failed to satisfy constraint: Member must not be null",
          );
        }
        const workgroupName = typeof input.WorkGroup === 'string' ? input.WorkGroup : 'primary';
        if (!accounts.allows(session, 'athena:StartQueryExecution')) return denied('athena:StartQueryExecution', resource(workgroupName));
        const workgroup = workgroups.get(`${accountId}/${workgroupName}`);
        if (!workgroup) return invalid(response, 'WorkGroup is not found.');
        if (workgroup.state !== 'ENABLED') return invalid(response, `WorkGroup ${workgroupName} is disabled.`);
        const sql = input.QueryString;
        if (!SELECT_ONE.test(sql) && !SHOW_TABLES.test(sql)) {
          return invalid(response, "line 1:1: mismatched input. Expecting: 'SELECT', 'SHOW', <query>", 'MALFORMED_QUERY');
        }
        const requested = (input.ResultConfiguration as { OutputLocation?: unknown } | undefined)?.OutputLocation;
        const outputLocation = workgroup.enforce
          ? workgroup.outputLocation
          : typeof requested === 'string'
            ? requested
            : workgroup.outputLocation;
        if (outputLocation === undefined) {
          return invalid(
            response,
            'No output location provided. You did not provide an output location for  your query results. Either specify an S3 bucket location or enable Athena managed query results in your workgroup settings.',
          );
        }
        const bucket = /^s3:\/\/([^/]+)\//.exec(outputLocation)?.[1] ?? '';
        if (!options.buckets.some((known) => known.name === bucket) || !accounts.allows(session, 's3:GetBucketLocation')) {
          return invalid(response, `Unable to verify/create output bucket ${bucket}`);
        }
        const context = (input.QueryExecutionContext ?? {}) as { Catalog?: unknown };
        const query: FakeQuery = {
          id: randomUUID(),
          accountId,
          sql,
          workgroup: workgroupName,
          catalog: typeof context.Catalog === 'string' ? context.Catalog : 'AwsDataCatalog',
          outputLocation,
          script: scripts.shift() ?? { pollsBeforeEnd: 1, end: { kind: 'run' } },
          session,
          polls: 0,
          state: 'QUEUED',
          submittedAt: Date.now(),
          rows: [],
        };
        queries.set(query.id, query);
        return send(response, 200, { QueryExecutionId: query.id });
      }
      case 'GetQueryExecution': {
        const query = queries.get(String(input.QueryExecutionId));
        if (!accounts.allows(session, 'athena:GetQueryExecution'))
          return denied('athena:GetQueryExecution', resource(query?.workgroup ?? 'primary'));
        if (!query || query.accountId !== accountId)
          return invalid(response, `QueryExecution ${String(input.QueryExecutionId)} was not found`);
        advance(query);
        return send(response, 200, { QueryExecution: execution(query) });
      }
      case 'GetQueryResults': {
        const query = queries.get(String(input.QueryExecutionId));
        if (!accounts.allows(session, 'athena:GetQueryResults'))
          return denied('athena:GetQueryResults', resource(query?.workgroup ?? 'primary'));
        if (!query || query.accountId !== accountId)
          return invalid(response, `QueryExecution ${String(input.QueryExecutionId)} was not found`);
        if (query.state !== 'SUCCEEDED') {
          return invalid(
            response,
            query.state === 'QUEUED' || query.state === 'RUNNING'
              ? `Query has not yet finished. Current state: ${query.state}`
              : `Query did not finish successfully. Final query state: ${query.state}`,
          );
        }
        const max = input.MaxResults === undefined ? 1000 : Number(input.MaxResults);
        if (!Number.isInteger(max) || max < 1 || max > 1000) {
          return invalid(
            response,
            "1 validation error detected: Value at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000",
          );
        }
        const isSelect = SELECT_ONE.test(query.sql);
        return send(response, 200, {
          ResultSet: {
            Rows: query.rows.slice(0, max).map((row) => ({ Data: row.map((value) => ({ VarCharValue: value })) })),
            ResultSetMetadata: {
              ColumnInfo: isSelect
                ? [
                    {
                      CatalogName: 'hive',
                      SchemaName: '',
                      TableName: '',
                      Name: '_col0',
                      Label: '_col0',
                      Type: 'integer',
                      Precision: 10,
                      Scale: 0,
                      Nullable: 'UNKNOWN',
                      CaseSensitive: false,
                    },
                  ]
                : [
                    {
                      CatalogName: 'hive',
                      SchemaName: '',
                      TableName: '',
                      Name: 'tab_name',
                      Label: 'tab_name',
                      Type: 'string',
                      Precision: 0,
                      Scale: 0,
                      Nullable: 'UNKNOWN',
                      CaseSensitive: false,
                    },
                  ],
            },
          },
          ...(query.rows.length > max ? { NextToken: randomUUID() } : {}),
          UpdateCount: 0,
        });
      }
      case 'StopQueryExecution': {
        const query = queries.get(String(input.QueryExecutionId));
        if (!accounts.allows(session, 'athena:StopQueryExecution'))
          return denied('athena:StopQueryExecution', resource(query?.workgroup ?? 'primary'));
        if (!query || query.accountId !== accountId)
          return invalid(response, `QueryExecution ${String(input.QueryExecutionId)} was not found`);
        if (query.state === 'QUEUED' || query.state === 'RUNNING') {
          query.state = 'CANCELLED';
          query.reason = 'Query cancelled by user';
          query.completedAt = Date.now();
        }
        return send(response, 200, {});
      }
      default:
        return send(response, 400, { __type: 'UnknownOperationException' });
    }
  }

  /** One poll: QUEUED first, RUNNING for the script's other polls, then the end. */
  function advance(query: FakeQuery): void {
    if (query.state !== 'QUEUED' && query.state !== 'RUNNING') return;
    query.polls += 1;
    if (query.polls <= query.script.pollsBeforeEnd) {
      query.state = query.polls === 1 ? 'QUEUED' : 'RUNNING';
      return;
    }
    const { end } = query.script;
    if (end.kind === 'hang') {
      query.state = 'RUNNING';
      return;
    }
    query.completedAt = Date.now();
    if (end.kind === 'fail') {
      query.state = end.state;
      query.reason = end.message;
      if (end.state === 'FAILED') {
        query.error = { category: end.category ?? 2, type: end.type ?? 1000, message: end.message, retryable: end.retryable ?? false };
      }
      return;
    }
    run(query);
  }

  /** Runs the query as its session: reads the catalog, writes the results. */
  function run(query: FakeQuery): void {
    const fail = (category: number, type: number, message: string) => {
      query.state = 'FAILED';
      query.error = { category, type, message, retryable: false };
      query.reason = message;
    };
    const { session } = query;
    const shown = SHOW_TABLES.exec(query.sql);
    if (shown) {
      const name = (shown[1] ?? shown[2] ?? '').toLowerCase();
      if (query.catalog.toLowerCase() !== DEFAULT_CATALOG) {
        return fail(2, 1301, `CATALOG_NOT_FOUND: line 1:1: Catalog '${query.catalog.toLowerCase()}' does not exist`);
      }
      const glueArn = `arn:aws:glue:${options.region}:${query.accountId}`;
      for (const action of ['glue:GetDatabase', 'glue:GetTables']) {
        if (!accounts.allows(session, action)) {
          return fail(
            2,
            1500,
            `Insufficient permissions to execute the query. Error: User: ${session.arn} is not authorized to perform: ${action} on resource: ${glueArn}:database/${name} because no identity-based policy allows the ${action} action`,
          );
        }
      }
      const database = options.databases.find((candidate) => candidate.accountId === query.accountId && candidate.name === name);
      if (!database) {
        return fake.missingDatabaseWording === 'engine'
          ? fail(2, 1301, `SCHEMA_NOT_FOUND: line 1:16: Schema '${name}' does not exist`)
          : fail(2, 1003, `FAILED: SemanticException [Error 10072]: Database does not exist: ${name}`);
      }
      query.rows = database.tables.map((table) => [table]);
    } else {
      query.rows = [['_col0'], ['1']];
    }
    if (!accounts.allows(session, 's3:PutObject')) {
      return fail(
        2,
        1501,
        `Access denied when writing output to url: ${query.outputLocation}${query.id}.csv . Please ensure you are allowed to access the S3 bucket. If you are encrypting query results with KMS key, please ensure you are allowed to access your KMS key`,
      );
    }
    query.state = 'SUCCEEDED';
  }

  function execution(query: FakeQuery) {
    const isSelect = SELECT_ONE.test(query.sql);
    return {
      QueryExecutionId: query.id,
      Query: query.sql,
      StatementType: isSelect ? 'DML' : 'UTILITY',
      ResultConfiguration: { OutputLocation: `${query.outputLocation}${query.id}.${isSelect ? 'csv' : 'txt'}` },
      ResultReuseConfiguration: { ResultReuseByAgeConfiguration: { Enabled: false } },
      QueryExecutionContext: { Catalog: query.catalog.toLowerCase() },
      Status: {
        State: query.state,
        SubmissionDateTime: query.submittedAt / 1000,
        ...(query.completedAt === undefined ? {} : { CompletionDateTime: query.completedAt / 1000 }),
        ...(query.reason === undefined ? {} : { StateChangeReason: query.reason }),
        ...(query.error === undefined
          ? {}
          : {
              AthenaError: {
                ErrorCategory: query.error.category,
                ErrorType: query.error.type,
                Retryable: query.error.retryable,
                ErrorMessage: query.error.message,
              },
            }),
      },
      Statistics: { EngineExecutionTimeInMillis: 0, DataScannedInBytes: 0, TotalExecutionTimeInMillis: 0 },
      WorkGroup: query.workgroup,
      EngineVersion: { SelectedEngineVersion: 'AUTO', EffectiveEngineVersion: 'Athena engine version 3' },
      SubstatementType: isSelect ? 'SELECT' : 'SHOW_TABLES',
    };
  }

  const server = await startLoopbackServer(handle);
  return Object.assign(fake, {
    endpoint: server.origin,
    setMode: (mode: ConnectionMode) => server.setMode(mode),
    close: () => server.close(),
  });
}
