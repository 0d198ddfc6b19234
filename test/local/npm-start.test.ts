import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { postgresBody } from '../helpers/bodies.js';

/**
 * The README's first command, for real: `npm start` in a child process (tsx, local/main.ts), a
 * token from `npm run token`, then curl-like calls. Data survives a restart.
 */
const run = promisify(execFile);
const TSX = join(process.cwd(), 'node_modules/.bin/tsx');
let dataDir: string;

async function startService(): Promise<{ url: string; child: ChildProcess }> {
  // A clean environment: the child starts its own DynamoDB and KMS, like on a fresh machine.
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, DATA_DIR: dataDir, PORT: '0', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
  const child = spawn(TSX, ['local/main.ts'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const url = await new Promise<string>((resolve, reject) => {
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /running at (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`npm start exited with ${code}: ${output}`)));
  });
  return { url, child };
}

async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

async function token(org: string): Promise<string> {
  const { stdout } = await run(TSX, ['local/token-cli.ts', '--org', org], { env: { ...process.env, DATA_DIR: dataDir } });
  return stdout.trim();
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'wc-start-'));
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('npm start', () => {
  test('serves the API with tokens from npm run token, and keeps data across a restart', async () => {
    const first = await startService();
    const authorization = `Bearer ${await token('org-start')}`;
    const created = await fetch(`${first.url}/api/v2/warehouse/connections`, {
      method: 'POST',
      headers: { authorization, 'content-type': 'application/json' },
      body: JSON.stringify(postgresBody()),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    await stop(first.child);

    const second = await startService();
    try {
      const read = await fetch(`${second.url}/api/v2/warehouse/connections`, { headers: { authorization } });
      expect(await read.json()).toMatchObject({ connection: { id, provider: 'postgres' } });
      const tested = await fetch(`${second.url}/api/v2/warehouse/connections/test`, { method: 'POST', headers: { authorization } });
      expect(await tested.json()).toMatchObject({ success: true });
    } finally {
      await stop(second.child);
    }
  });

  test('the token command refuses to run without --org', async () => {
    await expect(run(TSX, ['local/token-cli.ts'], { env: { ...process.env, DATA_DIR: dataDir } })).rejects.toMatchObject({ code: 2 });
  });
});
