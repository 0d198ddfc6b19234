import { describe, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * lib/config.ts with nothing set: the defaults themselves, which every other test overrides. Read
 * in a child process with an empty environment, so no variable of the test run leaks in and the
 * module is loaded fresh.
 */
const run = promisify(execFile);
const TSX = join(process.cwd(), 'node_modules/.bin/tsx');

const READ_EVERY_SETTING = `
const { config } = await import('./lib/config.ts');
const read = (name) => { try { return { value: config[name]() ?? null }; } catch (error) { return { error: error.name, message: error.message }; } };
console.log(JSON.stringify(Object.fromEntries(Object.keys(config).map((name) => [name, read(name)]))));
`;

describe('configuration defaults (an empty environment)', () => {
  test('timeouts, attempts and the org claim default to the documented values; required settings fail naming the variable', async () => {
    const { stdout } = await run(TSX, ['--input-type=module', '-e', READ_EVERY_SETTING], { env: { PATH: process.env.PATH, HOME: process.env.HOME } });
    const settings = JSON.parse(stdout) as Record<string, { value?: unknown; error?: string; message?: string }>;

    expect(settings).toMatchObject({
      testDeadlineMs: { value: 10_000 },
      connectTimeoutMs: { value: 5_000 },
      statementTimeoutMs: { value: 5_000 },
      awsRequestTimeoutMs: { value: 2_000 },
      awsConnectTimeoutMs: { value: 1_000 },
      awsMaxAttempts: { value: 3 },
      orgClaim: { value: 'org_id' },
      allowedCidrs: { value: [] },
      snowflakeAccessUrl: { value: null },
      bigqueryApiEndpoint: { value: null },
      tableName: { error: 'MissingConfigurationError', message: expect.stringContaining('TABLE_NAME') },
      kmsKeyId: { error: 'MissingConfigurationError', message: expect.stringContaining('KMS_KEY_ID') },
    });
  });
});
