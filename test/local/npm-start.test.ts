import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROUTES } from '../../lib/routes.js';
import { bigqueryBody, postgresBody, snowflakeBody } from '../helpers/bodies.js';
import { startWarehouseStandIns } from '../helpers/warehouse-stand-ins.js';

/**
 * The README's first command, for real: `npm start` in a child process (tsx, local/main.ts), a
 * token from `npm run token`, then curl-like calls. Data survives a restart.
 */
const run = promisify(execFile);
const TSX = join(process.cwd(), 'node_modules/.bin/tsx');
let dataDir: string;

/**
 * Each wait has its own budget, from what it waits for, and fails naming it. A cold start (tsx
 * compiling the service, dynalite, the local KMS, the four handler modules) takes about 1.5 s here
 * with nothing else running and 7-9 s beside six busy loops on the two cores; 60 s leaves room for
 * a shared CI machine running two full suites. A token is one tsx start. A
 * call through the gateway waits at most for its function's Lambda timeout (the gateway answers
 * 504 then); stopping waits for the servers to close.
 */
const STARTUP_BUDGET_MS = 60_000;
const TOKEN_BUDGET_MS = 30_000;
const STOP_BUDGET_MS = 15_000;
const callBudgetMs = (functionName: string) => ROUTES.find((route) => route.functionName === functionName)!.timeoutSeconds * 1000 + 5_000;
const TEST_BUDGET_MS =
  2 * STARTUP_BUDGET_MS +
  TOKEN_BUDGET_MS +
  2 * STOP_BUDGET_MS +
  callBudgetMs('create-connection') +
  callBudgetMs('get-connection') +
  callBudgetMs('test-connection');

/** `promise`, or a failure naming what did not happen within `budgetMs`. */
async function within<T>(budgetMs: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${budgetMs / 1000} s`)), budgetMs);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

async function startService(extraEnv: Record<string, string> = {}): Promise<{ url: string; child: ChildProcess }> {
  // A clean environment: the child starts its own DynamoDB and KMS, like on a fresh machine.
  const env = {
    ...extraEnv,
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    DATA_DIR: dataDir,
    PORT: '0',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  const child = spawn(TSX, ['local/main.ts'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const started = new Promise<string>((resolve, reject) => {
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /running at (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) resolve(match[1]!);
    });
    let errors = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      errors += chunk.toString();
    });
    child.once('exit', (code) => reject(new Error(`npm start exited with ${code}: ${output}${errors.slice(-2_000)}`)));
  });
  try {
    return { url: await within(STARTUP_BUDGET_MS, 'npm start printing its URL', started), child };
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
}

async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  try {
    await within(STOP_BUDGET_MS, 'npm start exiting on SIGTERM', exited);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
}

async function token(org: string): Promise<string> {
  const { stdout } = await run(TSX, ['local/token-cli.ts', '--org', org], {
    env: { ...process.env, DATA_DIR: dataDir },
    timeout: TOKEN_BUDGET_MS,
  });
  return stdout.trim();
}

const call = (functionName: string, url: string, init: RequestInit = {}) =>
  within(
    callBudgetMs(functionName),
    `${functionName} answering`,
    fetch(url, { ...init, signal: AbortSignal.timeout(callBudgetMs(functionName)) }),
  );

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'wc-start-'));
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('npm start', () => {
  test(
    'serves the API with tokens from npm run token, and keeps data across a restart',
    async () => {
      const first = await startService();
      const authorization = `Bearer ${await token('org-start')}`;
      const created = await call('create-connection', `${first.url}/api/v2/warehouse/connections`, {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/json' },
        body: JSON.stringify(postgresBody()),
      });
      expect(created.status).toBe(201);
      const { id } = (await created.json()) as { id: string };
      await stop(first.child);

      const second = await startService();
      try {
        const read = await call('get-connection', `${second.url}/api/v2/warehouse/connections`, { headers: { authorization } });
        expect(await read.json()).toMatchObject({ connection: { id, provider: 'postgres' } });
        const tested = await call('test-connection', `${second.url}/api/v2/warehouse/connections/test`, {
          method: 'POST',
          headers: { authorization },
        });
        expect(await tested.json()).toMatchObject({ success: true });
      } finally {
        await stop(second.child);
      }
    },
    TEST_BUDGET_MS,
  );

  test(
    'tests Snowflake and BigQuery connections under tsx too (its CommonJS interop differs from Node and esbuild)',
    async () => {
      const standIns = await startWarehouseStandIns();
      const service = await startService(standIns.environment);
      try {
        const authorization = `Bearer ${await token('org-start-vendors')}`;
        for (const body of [snowflakeBody(), bigqueryBody()]) {
          const created = await call('create-connection', `${service.url}/api/v2/warehouse/connections`, {
            method: 'POST',
            headers: { authorization, 'content-type': 'application/json' },
            body: JSON.stringify(body),
          });
          expect(created.status).toBe(201);
          const tested = await call('test-connection', `${service.url}/api/v2/warehouse/connections/test`, {
            method: 'POST',
            headers: { authorization },
          });
          expect({ provider: body.provider, verdict: await tested.json() }).toMatchObject({
            provider: body.provider,
            verdict: { success: true },
          });
        }
      } finally {
        await stop(service.child);
        await standIns.close();
      }
    },
    STARTUP_BUDGET_MS + TOKEN_BUDGET_MS + STOP_BUDGET_MS + 2 * (callBudgetMs('create-connection') + callBudgetMs('test-connection')),
  );

  test(
    'the token command refuses to run without --org',
    async () => {
      await expect(
        run(TSX, ['local/token-cli.ts'], { env: { ...process.env, DATA_DIR: dataDir }, timeout: TOKEN_BUDGET_MS }),
      ).rejects.toMatchObject({ code: 2 });
    },
    TOKEN_BUDGET_MS + 5_000,
  );

  test(
    'the token command refuses to print a token the server would refuse (valid for more than 24 hours)',
    async () => {
      await expect(
        run(TSX, ['local/token-cli.ts', '--org', 'acme', '--expires-in', '30d'], {
          env: { ...process.env, DATA_DIR: dataDir },
          timeout: TOKEN_BUDGET_MS,
        }),
      ).rejects.toMatchObject({
        code: 2,
        stdout: '',
        stderr: expect.stringContaining('longer than 24 hours'),
      });
    },
    TOKEN_BUDGET_MS + 5_000,
  );
});
