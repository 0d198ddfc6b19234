import { BasicAuth, Trino, type Iterator as ResultIterator, type QueryResult } from 'trino-client';
import type { ProviderDefinition } from '../../schema/connection.js';
import { bounded } from '../bounded.js';
import { networkPolicyOf, vetHost } from '../network-guard.js';
import { destinationOf } from '../pinned-agent.js';
import type { Probe } from '../probe.js';
import { ProbeFailure, seconds, type ProbeLimits } from '../verdict.js';
import { trinoAgents, trinoOrigin, type TrinoAgents } from './agents.js';
import { classifyTrinoFailure, requestTimeoutMs, TrinoQueryFailure, trinoEndpoint, type TrinoContext } from './failures.js';
import { qualifiedSchema } from './identifiers.js';

type TrinoDefinition = ProviderDefinition<'trino'>;

/** Far above what a first page of table names takes (Trino aims at 1 MB per response); a bound on a hostile server. */
const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

/**
 * Runs `SELECT 1` over Trino's statement protocol (POST /v1/statement, then each nextUri until the
 * query ends) with trino-client, then `SHOW TABLES FROM "catalog"."schema"`: Trino itself checks,
 * in this order, that the user may list the schema's tables, that the catalog exists and that the
 * schema exists, before it lists anything. The first page of names is enough: the rest of the
 * listing is cancelled.
 */
export const probeTrino: Probe = async (definition, limits, signal, stages) => {
  if (definition.provider !== 'trino') throw new Error('probeTrino needs a trino connection');
  const { credentials } = definition;
  const context: TrinoContext = { definition, limits, endpoint: trinoEndpoint(definition), step: 'login' };
  stages.begin('resolve');
  const address = await vetHost(credentials.host, credentials.port, networkPolicyOf(limits));
  signal.throwIfAborted(); // the deadline may have passed while resolving: open nothing then
  stages.begin('connect');
  const origin = trinoOrigin(credentials);
  const agents = trinoAgents(credentials, destinationOf(origin), address, stages);
  try {
    const trino = client(definition, limits, origin, agents, context);
    const probeQuery = await bounded(trino.query('SELECT 1'), {
      ms: limits.connectTimeoutMs,
      signal,
      onTimeout: () =>
        new ProbeFailure('timeout', `No answer from ${context.endpoint.where} (Trino) within ${seconds(limits.connectTimeoutMs)}.`),
    });
    context.step = 'query';
    stages.begin('query');
    const { rows } = await bounded(read(probeQuery, 'all'), statementBound(limits, signal, 'The test query'));
    if (Number(rows[0]?.[0]) !== 1)
      throw new ProbeFailure('warehouse_error', `The server at ${context.endpoint.where} answered SELECT 1 with an unexpected result.`);

    context.step = 'schema';
    stages.begin('schema_access');
    const listing = await bounded(
      trino.query(`SHOW TABLES FROM ${qualifiedSchema(credentials.catalog, definition.dataset_id)}`),
      statementBound(limits, signal, 'The schema check'),
    );
    const firstPage = await bounded(read(listing, 'first-page'), statementBound(limits, signal, 'The schema check'));
    if (firstPage.last.nextUri) await cancel(trino, firstPage.last.id, limits, signal);
  } catch (error) {
    throw classifyTrinoFailure(error, context);
  } finally {
    agents.close();
  }
};

function statementBound(limits: ProbeLimits, signal: AbortSignal, what: string) {
  return {
    ms: limits.statementTimeoutMs,
    signal,
    onTimeout: () => new ProbeFailure('timeout', `${what} did not finish within ${seconds(limits.statementTimeoutMs)}.`),
  };
}

/**
 * trino-client with no options beyond the connection's: its user, its password (HTTP Basic, only
 * over HTTPS: the schema refuses one with ssl_mode 'disable'), a source naming the service, and a
 * run-time limit Trino enforces itself, so no test query outlives the test on the cluster. No
 * catalog or schema session headers: the schema check names both in its SQL.
 */
function client(definition: TrinoDefinition, limits: ProbeLimits, origin: string, agents: TrinoAgents, context: TrinoContext): Trino {
  const { username, password } = definition.credentials;
  const trino = Trino.create({
    server: origin,
    source: 'warehouse-connections-test',
    // Without a password the user is named by X-Trino-User alone (trino-client would send $USER).
    ...(password === undefined ? {} : { auth: new BasicAuth(username, password) }),
    extraHeaders: { 'X-Trino-User': username },
    session: { query_max_run_time: `${Math.max(1, Math.ceil(limits.statementTimeoutMs / 1000))}s` },
  });
  Object.assign(axiosConfigOf(trino), {
    httpsAgent: agents.httpsAgent,
    httpAgent: agents.httpAgent,
    // A redirect would be followed by axios's follow-redirects, outside these agents' reach on the
    // other scheme; none is followed, and one to another address is reported as such.
    maxRedirects: 0,
    // No HTTP(S)_PROXY from the environment: requests go to the customer's host, through the agents.
    proxy: false,
    timeout: requestTimeoutMs(limits),
    maxContentLength: MAX_RESPONSE_BYTES,
    maxBodyLength: MAX_RESPONSE_BYTES,
    transformResponse: [(data: unknown, _headers: unknown, status?: number) => trinoAnswer(data, status, context)],
  });
  return trino;
}

/**
 * Every successful answer must be one of Trino's (a JSON object with the query's id), checked as it
 * arrives: a web page or another API on the port fails the step that reached it, before the stage
 * moves on. Error answers are left as they are (only their status is read).
 */
function trinoAnswer(data: unknown, status: number | undefined, context: TrinoContext): unknown {
  if (status === undefined || status < 200 || status > 299 || data === '') return data;
  let answer: unknown;
  try {
    answer = typeof data === 'string' ? JSON.parse(data) : data;
  } catch {
    answer = undefined;
  }
  if (typeof answer !== 'object' || answer === null || typeof (answer as { id?: unknown }).id !== 'string') {
    throw new ProbeFailure('warehouse_error', `The server at ${context.endpoint.where} did not answer as a Trino server does.`);
  }
  return answer;
}

/**
 * The axios request config trino-client builds once per client and uses for every request
 * (`client.clientConfig`, private in its types). The transport settings are set there, on this
 * client only; if a version of trino-client stores it elsewhere, the test fails here rather than
 * run with the library's own agent.
 */
function axiosConfigOf(trino: Trino): Record<string, unknown> {
  const config = (trino as unknown as { client?: { clientConfig?: unknown } }).client?.clientConfig;
  if (typeof config !== 'object' || config === null || !('httpsAgent' in config)) {
    throw new Error('trino-client keeps its request settings somewhere the probe does not know');
  }
  return config as Record<string, unknown>;
}

interface Results {
  rows: unknown[][];
  /** The last answer read: with a nextUri when the query goes on. */
  last: QueryResult;
}

/**
 * Walks a query's answers with trino-client's iterator (it follows nextUri, skipping answers
 * without data), up to the end or, for `first-page`, the first answer with rows. A FAILED query
 * ends the walk with its error; an answer that is not Trino's ends it too.
 */
async function read(statement: ResultIterator<QueryResult>, until: 'all' | 'first-page'): Promise<Results> {
  const rows: unknown[][] = [];
  let last: QueryResult | undefined;
  for (;;) {
    const { value, done } = await statement.next();
    const result = queryResult(value);
    if (result.error) throw new TrinoQueryFailure(result.error);
    if (result !== last) rows.push(...(Array.isArray(result.data) ? (result.data as unknown[][]) : []));
    last = result;
    if (done || !result.nextUri || (until === 'first-page' && rows.length > 0)) return { rows, last };
  }
}

/** Answers were checked as they arrived (trinoAnswer); what trino-client hands back is one of them. */
function queryResult(value: unknown): QueryResult {
  if (typeof value !== 'object' || value === null)
    throw new ProbeFailure('warehouse_error', 'The query ended without an answer from Trino.');
  return value as QueryResult;
}

/**
 * Ends a query the test no longer reads (the rest of a listing), as its owner may. A failure here
 * changes nothing: the query ends anyway at its run-time limit, or when Trino sees no client.
 */
async function cancel(trino: Trino, queryId: string, limits: ProbeLimits, signal: AbortSignal): Promise<void> {
  if (!/^\w{1,128}$/.test(queryId)) return; // only Trino's ids (20240101_093000_00042_abcde) go into a path
  await bounded(trino.cancel(queryId), {
    ms: limits.connectTimeoutMs,
    signal,
    onTimeout: () => new ProbeFailure('timeout', 'Cancelling the listing did not finish in time.'),
  }).catch(() => undefined);
}
