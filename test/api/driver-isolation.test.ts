import { describe, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { postgresBody } from '../helpers/bodies.js';

const run = promisify(execFile);

describe('drivers load only in the test function, and only the one the connection needs', () => {
  test('create and get load no driver; a Postgres test loads pg and neither snowflake-sdk nor bigquery', async () => {
    const { stdout } = await run(
      join(process.cwd(), 'node_modules/.bin/tsx'),
      ['test/helpers/loaded-drivers.ts', JSON.stringify(postgresBody())],
      {
        env: { ...process.env, LOG_LEVEL: 'silent', NODE_OPTIONS: '' },
      },
    );
    const { statuses, loadedAfter } = JSON.parse(stdout) as { statuses: number[]; loadedAfter: Record<string, string[]> };

    expect(statuses).toEqual([201, 200, 200, 204]);
    expect(loadedAfter['create-connection']).toEqual([]);
    expect(loadedAfter['get-connection']).toEqual([]);
    expect(loadedAfter['test-connection']).toEqual(['pg']);
  });
});
