import {
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
  type AthenaClient,
  type QueryExecution,
} from '@aws-sdk/client-athena';
import { setTimeout as sleep } from 'node:timers/promises';
import { boundedCall } from '../aws/role-session.js';
import { ProbeFailure, seconds } from '../verdict.js';
import { classifyAthenaCall, classifyQueryOutcome, type AthenaCall, type AthenaContext, type QueryPurpose } from './failures.js';

/**
 * One Athena query, start to end: StartQueryExecution, GetQueryExecution until the query ends (a
 * bounded backoff: 50 ms doubling to 1 s between polls), and on success its execution for the
 * caller to read. A query still queued or running when its time is up is stopped
 * (StopQueryExecution) before the test answers `timeout`, so no test leaves a query running in the
 * customer's workgroup; at the test's deadline it is stopped too, as the probe unwinds.
 */
const FIRST_POLL_MS = 50;
const MAX_POLL_MS = 1_000;

/** The wait before poll number `attempt` (0, 1, …). */
export function pollDelay(attempt: number): number {
  return Math.min(MAX_POLL_MS, FIRST_POLL_MS * 2 ** Math.min(attempt, 16));
}

export interface QueryRequest {
  sql: string;
  purpose: QueryPurpose;
  /** How long the query may take from its start to its end. */
  budgetMs: number;
  /** How long StopQueryExecution may take when the query must be stopped. */
  stopBudgetMs: number;
}

export interface QuerySession {
  client: AthenaClient;
  context: AthenaContext;
  signal: AbortSignal;
}

/** Runs the query to its end; a query that does not succeed throws its classified failure. */
export async function runQuery(session: QuerySession, request: QueryRequest): Promise<QueryExecution & { QueryExecutionId: string }> {
  const { client, context, signal } = session;
  const { credentials } = context.definition;
  const { QueryExecutionId: id } = await call(session, 'StartQueryExecution', (abortSignal) =>
    client.send(
      new StartQueryExecutionCommand({
        QueryString: request.sql,
        WorkGroup: credentials.workgroup,
        QueryExecutionContext: { Catalog: credentials.catalog },
        ...(credentials.output_location === undefined ? {} : { ResultConfiguration: { OutputLocation: credentials.output_location } }),
      }),
      { abortSignal },
    ),
  );
  if (!id) throw new ProbeFailure('warehouse_error', 'Amazon Athena started the test query without naming it.');

  // The query's own time: its polls and waits end when it runs out, or at the test's deadline.
  const queryTime = AbortSignal.timeout(Math.max(1, Math.floor(request.budgetMs)));
  const waiting = { ...session, signal: AbortSignal.any([signal, queryTime]) };
  try {
    return { ...(await waitForEnd(waiting, request.purpose, id)), QueryExecutionId: id };
  } catch (error) {
    if (!queryTime.aborted && !signal.aborted) throw error;
    const stopped = await stopQuery(session, id, request.stopBudgetMs);
    throw signal.aborted ? error : timeUp(request, credentials.workgroup, stopped);
  }
}

/** The rows of a query that succeeded: the first page, at most `maxResults` rows (a header row included for SELECT). */
export async function firstRows(session: QuerySession, id: string, maxResults: number): Promise<string[][]> {
  const { ResultSet: resultSet } = await call(session, 'GetQueryResults', (abortSignal) =>
    session.client.send(new GetQueryResultsCommand({ QueryExecutionId: id, MaxResults: maxResults }), { abortSignal }),
  );
  return (resultSet?.Rows ?? []).map((row) => (row.Data ?? []).map((datum) => datum.VarCharValue ?? ''));
}

async function waitForEnd(session: QuerySession, purpose: QueryPurpose, id: string): Promise<QueryExecution> {
  for (let attempt = 0; ; attempt += 1) {
    await sleep(pollDelay(attempt), undefined, { signal: session.signal });
    const { QueryExecution: execution } = await call(session, 'GetQueryExecution', (abortSignal) =>
      session.client.send(new GetQueryExecutionCommand({ QueryExecutionId: id }), { abortSignal }),
    );
    const state = execution?.Status?.State;
    if (state === 'SUCCEEDED') return execution!;
    if (state === 'FAILED' || state === 'CANCELLED') {
      const error = execution?.Status?.AthenaError;
      throw classifyQueryOutcome(
        {
          state,
          errorCategory: error?.ErrorCategory,
          errorType: error?.ErrorType,
          retryable: error?.Retryable,
          text: `${error?.ErrorMessage ?? ''}\n${execution?.Status?.StateChangeReason ?? ''}`,
        },
        purpose,
        session.context.definition,
      );
    }
  }
}

/** Best effort, within its own budget (the test's signal may already be spent): whether Athena took the stop. */
async function stopQuery(session: QuerySession, id: string, budgetMs: number): Promise<boolean> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), budgetMs);
  try {
    await session.client.send(new StopQueryExecutionCommand({ QueryExecutionId: id }), { abortSignal: abort.signal });
    return true;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

function timeUp(request: QueryRequest, workgroup: string, stopped: boolean): ProbeFailure {
  const what = request.purpose === 'query' ? 'The test query' : 'The database check';
  return new ProbeFailure(
    'timeout',
    `${what} did not finish within ${seconds(request.budgetMs)} in workgroup '${workgroup}'` +
      (stopped
        ? '; the service stopped it (StopQueryExecution).'
        : "; the service could not stop it (StopQueryExecution), so it may run until the workgroup's limits end it."),
  );
}

/** One Athena API call: bounded by the connect timeout and the deadline, its failure classified. */
async function call<T>(session: QuerySession, name: AthenaCall, send: (abortSignal: AbortSignal) => Promise<T>): Promise<T> {
  const { context, signal } = session;
  try {
    return await boundedCall(send(signal), context.endpoint, context.limits, signal);
  } catch (error) {
    throw classifyAthenaCall(error, name, context);
  }
}
