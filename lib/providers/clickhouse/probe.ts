import { ClickHouseLogLevel, createClient, type ClickHouseClient, type Logger } from '@clickhouse/client';
import type { Readable } from 'node:stream';
import type { ProviderDefinition } from '../../schema/connection.js';
import { networkPolicyOf, vetHost } from '../network-guard.js';
import type { Probe } from '../probe.js';
import { ProbeFailure, type StageName } from '../verdict.js';
import { clickhouseAgent, endpointOf, StepTimeout } from './connection.js';
import { answerFailure, classifyClickhouseFailure, isAuthenticationCode, type Answer, type FailureContext } from './failures.js';
import { quoteIdentifier } from './identifiers.js';

type ClickhouseDefinition = ProviderDefinition<'clickhouse'>;

const TEST_QUERY = 'SELECT 1 AS probe FORMAT JSONEachRow';
const TEST_ANSWER = '{"probe":1}';
/** Enough for any answer the test expects and for the start of an exception; more is not read. */
const MAX_ANSWER_BYTES = 16_384;

/**
 * Runs `SELECT 1` over ClickHouse's HTTP interface with @clickhouse/client, then
 * `EXISTS DATABASE` for the database in dataset_id. EXISTS needs the SHOW DATABASES privilege on
 * that database, which ClickHouse grants with any privilege on it or on one of its tables: an
 * ACCESS_DENIED is a user who may not use it (whether or not it exists), a 0 a database that does
 * not exist where the user could see it, a 1 one it exists and the user may use. It reads no
 * system table (system.databases would say 0 rows for both of the first two).
 *
 * No ClickHouse setting is sent with either query: a readonly=1 user is refused any setting.
 */
export const probeClickhouse: Probe = async (definition, limits, signal, stages) => {
  if (definition.provider !== 'clickhouse') throw new Error('probeClickhouse needs a clickhouse connection');
  const { host, port } = definition.credentials;
  stages.begin('resolve');
  const address = await vetHost(host, port, networkPolicyOf(limits));
  signal.throwIfAborted(); // the deadline may have passed while resolving: open nothing then
  const context: FailureContext = { definition, limits, stage: 'connect' };
  const enter = (stage: StageName) => {
    context.stage = stage;
    stages.begin(stage);
  };
  enter('connect');
  const { agent, ready } = clickhouseAgent(definition.credentials, address, limits.connectTimeoutMs, enter);
  const client = clickhouseClient(definition, agent);
  try {
    const test = ask(client, TEST_QUERY, signal, (answer) => {
      // ClickHouse authenticates a request before anything else: any other answer means the login passed.
      if (answer.exceptionCode === undefined ? answer.status === 200 : !isAuthenticationCode(answer.exceptionCode)) enter('query');
    });
    requireAnswer(await within(test, ready, limits.statementTimeoutMs), TEST_ANSWER, context);
    enter('schema_access');
    const exists = ask(client, `EXISTS DATABASE ${quoteIdentifier(definition.dataset_id)} FORMAT JSONEachRow`, signal);
    const answer = await within(exists, Promise.resolve(), limits.statementTimeoutMs);
    if (answer.body.trim() === '{"result":0}') {
      throw new ProbeFailure('object_not_found', `Database '${definition.dataset_id}' does not exist on ${host}:${port}.`);
    }
    requireAnswer(answer, '{"result":1}', context);
  } catch (error) {
    throw classifyClickhouseFailure(error, context);
  } finally {
    await client.close(); // destroys the agent, and with it every socket
  }
};

/** One HTTP client per test, through the pinned agent, with the driver's logging off (it would print server text). */
function clickhouseClient(definition: ClickhouseDefinition, agent: ReturnType<typeof clickhouseAgent>['agent']): ClickHouseClient {
  const { credentials } = definition;
  return createClient({
    url: endpointOf(credentials),
    http_agent: agent,
    username: credentials.username,
    password: credentials.password,
    application: 'warehouse-connections-test',
    // The probe bounds every step itself; this only keeps an idle socket from outliving the test.
    request_timeout: 60_000,
    compression: { request: false, response: false }, // response compression would send a setting
    keep_alive: { enabled: true },
    log: { LoggerClass: SilentLogger, level: ClickHouseLogLevel.OFF },
  });
}

class SilentLogger implements Logger {
  trace(): void {}
  debug(): void {}
  info(): void {}
  warn(): void {}
  error(): void {}
}

interface Reply extends Answer {
  body: string;
}

/**
 * Sends one query and reads the answer, at most MAX_ANSWER_BYTES of it. Error answers come back as
 * they are (`ignore_error_response`), so the HTTP status and X-ClickHouse-Exception-Code can be
 * read: the client's own errors carry neither, only ClickHouse's text.
 */
async function ask(client: ClickHouseClient, query: string, signal: AbortSignal, onHeaders?: (answer: Answer) => void): Promise<Reply> {
  const result = await client.exec({ query, abort_signal: signal, ignore_error_response: true });
  const status = result.http_status_code ?? 0;
  const header = result.response_headers['x-clickhouse-exception-code'];
  const headerCode = Number(Array.isArray(header) ? header[0] : header);
  const early: Answer = { status, exceptionCode: Number.isInteger(headerCode) && headerCode > 0 ? headerCode : undefined };
  onHeaders?.(early);
  const body = await readCapped(result.stream);
  return { status, exceptionCode: early.exceptionCode ?? exceptionCodeIn(body, status), body };
}

/** The code of an exception in the text: the whole answer of an error, or what ClickHouse appends when a query fails mid-answer. */
function exceptionCodeIn(body: string, status: number): number | undefined {
  const match = (status === 200 ? /Code: (\d+)\. DB::Exception/ : /^Code: (\d+)\. /).exec(body);
  return match ? Number(match[1]) : undefined;
}

async function readCapped(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    chunks.push(buffer.subarray(0, MAX_ANSWER_BYTES - size));
    size += buffer.length;
    if (size >= MAX_ANSWER_BYTES) {
      stream.destroy();
      break;
    }
  }
  return Buffer.concat(chunks).toString('utf8');
}

function requireAnswer(reply: Reply, expected: string, context: FailureContext): void {
  if (reply.status === 200 && reply.exceptionCode === undefined && reply.body.trim() === expected) return;
  throw answerFailure(reply, context);
}

/**
 * Waits for `work` at most `ms` from when `from` resolves (the connection is ready); a failure of
 * `from` (the connect timeout) ends the wait at once. The overall deadline aborts the request.
 */
async function within<T>(work: Promise<T>, from: Promise<void>, ms: number): Promise<T> {
  work.catch(() => undefined); // a step that fails after we stopped waiting must not go unhandled
  let timer: NodeJS.Timeout | undefined;
  let waiting = true;
  const expired = from.then(
    () =>
      new Promise<never>((_, reject) => {
        if (waiting) timer = setTimeout(() => reject(new StepTimeout()), ms);
      }),
  );
  try {
    return await Promise.race([work, expired]);
  } finally {
    waiting = false;
    clearTimeout(timer);
  }
}
