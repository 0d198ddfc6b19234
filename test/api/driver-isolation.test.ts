import { describe, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PROVIDER_IDS, PROVIDERS } from '../../lib/providers/registry.js';
import { SEED_BODIES } from '../helpers/bodies.js';
import { freePort } from '../setup/postgres-server.js';

const run = promisify(execFile);

/**
 * Each provider in a fresh process: create, get, test, delete, and which drivers Node has loaded
 * after each. The vendors' APIs point at a closed loopback port, so the HTTP drivers load and fail
 * fast without leaving the machine.
 */
describe('drivers load only in the test function, and only the one the connection needs', () => {
  test.each(PROVIDER_IDS)(
    '%s: create and get load no driver; its test loads its own driver and no other',
    async (provider) => {
      const closed = `http://127.0.0.1:${await freePort()}`;
      const { stdout } = await run(
        join(process.cwd(), 'node_modules/.bin/tsx'),
        ['test/helpers/loaded-drivers.ts', JSON.stringify(SEED_BODIES[provider]())],
        {
          env: {
            ...process.env,
            LOG_LEVEL: 'silent',
            NODE_OPTIONS: '',
            WAREHOUSE_SNOWFLAKE_ACCESS_URL: closed,
            WAREHOUSE_BIGQUERY_API_ENDPOINT: closed,
            // The AWS SDK's own endpoint variables: Athena's STS and Athena calls stay on loopback.
            AWS_ENDPOINT_URL_STS: closed,
            AWS_ENDPOINT_URL_ATHENA: closed,
            // DuckDB's extension repository: MotherDuck's test fetches its extension there first.
            WAREHOUSE_MOTHERDUCK_EXTENSION_REPOSITORY: closed,
          },
          timeout: 120_000,
        },
      );
      const { statuses, loadedAfter } = JSON.parse(stdout) as { statuses: number[]; loadedAfter: Record<string, string[]> };

      expect(statuses[0]).toBe(201);
      expect(statuses[1]).toBe(200);
      expect([200, 400]).toContain(statuses[2]);
      expect(statuses[3]).toBe(204);
      expect(loadedAfter['create-connection']).toEqual([]);
      expect(loadedAfter['get-connection']).toEqual([]);
      expect(loadedAfter['test-connection']).toEqual([PROVIDERS[provider].driver]);
    },
    150_000,
  );
});
