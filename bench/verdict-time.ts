import pg from 'pg';
import { loadConfig } from '../lib/config.js';
import { contextFor, eventFor, loadHandler } from './invoke.js';
import { round } from './stats.js';

export interface VerdictTime {
  target: string;
  who: string;
  ms: number;
  outcome: string;
  /** For the service: whether the verdict landed within the deadline plus 250 ms. */
  withinBudget?: boolean;
}

const DRIVER_DEFAULT_CAP_MS = 30_000;

/** The service's test endpoint on a stored connection: time until the HTTP answer. */
export async function serviceVerdict(target: string, org: string, body: unknown): Promise<VerdictTime> {
  const [create, test] = [await loadHandler('create-connection'), await loadHandler('test-connection')];
  await create(eventFor('create-connection', org, body), contextFor('create-connection'));
  const startedAt = performance.now();
  const result = await test(eventFor('test-connection', org), contextFor('test-connection'));
  const ms = performance.now() - startedAt;
  const verdict = JSON.parse(result.body ?? '{}') as { code?: string; success?: boolean };
  return {
    target,
    who: 'service',
    ms: round(ms),
    outcome: verdict.code ?? String(verdict.success),
    withinBudget: ms <= loadConfig(process.env).probe.deadlineMs + 250,
  };
}

/** What `pg` does on its own, with no timeouts configured: capped at 30 s. */
export async function pgDefaultVerdict(target: string, port: number): Promise<VerdictTime> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'bench', password: 'bench', database: 'bench' });
  client.on('error', () => undefined);
  return capped(
    target,
    'pg defaults',
    client.connect().then(() => 'connected'),
    () => void client.end().catch(() => undefined),
  );
}

export async function capped(target: string, who: string, attempt: Promise<string>, abandon: () => void): Promise<VerdictTime> {
  const startedAt = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    attempt.catch((error: unknown) => `error ${(error as { code?: string }).code ?? (error as Error).name}`),
    new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve('still waiting at 30 s'), DRIVER_DEFAULT_CAP_MS);
    }),
  ]);
  clearTimeout(timer);
  abandon();
  return { target, who, ms: round(performance.now() - startedAt), outcome };
}

/** snowflake-sdk with its defaults (retries, timeouts) against the same endpoint: capped at 30 s. */
export async function snowflakeDefaultVerdict(target: string, accessUrl: string): Promise<VerdictTime> {
  const { default: snowflake } = await import('snowflake-sdk');
  snowflake.configure({ logLevel: 'OFF' });
  const connection = snowflake.createConnection({ account: 'bench-account', username: 'BENCH', password: 'bench-password', accessUrl });
  const attempt = new Promise<string>((resolve, reject) => connection.connect((error) => (error ? reject(error) : resolve('connected'))));
  return capped(target, 'snowflake-sdk defaults', attempt, () => connection.destroy(() => undefined));
}

/** @google-cloud/bigquery with its defaults (retries, no request timeout) against the same endpoint: capped at 30 s. */
export async function bigqueryDefaultVerdict(
  target: string,
  apiEndpoint: string,
  body: { project_id: string; credentials: { client_email: string; private_key: string } },
): Promise<VerdictTime> {
  const { BigQuery } = await import('@google-cloud/bigquery');
  const { JWT } = await import('google-auth-library');
  const authClient = new JWT({
    email: body.credentials.client_email,
    key: body.credentials.private_key,
    scopes: ['https://www.googleapis.com/auth/bigquery'],
  });
  authClient.useJWTAccessWithScope = true;
  const bigquery = new BigQuery({ projectId: body.project_id, apiEndpoint, authClient });
  return capped(
    target,
    '@google-cloud/bigquery defaults',
    bigquery.query('SELECT 1').then(() => 'answered'),
    () => undefined,
  );
}
