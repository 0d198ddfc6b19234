import { afterAll, describe, expect, test } from '@jest/globals';
import { connectionScenarios } from '../e2e/connection-scenarios.js';
import { deployedSettings, deployedStack, remoteTransports } from '../helpers/deployed-transports.js';
import type { Transport } from '../helpers/transports.js';

/**
 * The end-to-end scenarios against a deployed stack. Run through `npm run test:deployed`, which
 * reads the stack's outputs and signs in two users; without those settings this file fails
 * rather than passing on nothing.
 */
const settings = deployedSettings();
const organizations = Object.keys(settings?.tokens ?? {}) as [string, string];
let remote: { transports: Transport[]; close(): void } | undefined;

describe('settings', () => {
  test('npm run test:deployed provided the stack outputs and two signed-in organizations', () => {
    expect(settings).toBeDefined();
    expect(organizations).toHaveLength(2);
  });
});

if (settings) {
  remote = remoteTransports(deployedStack(settings));
  afterAll(() => remote?.close());
  connectionScenarios({
    transportNames: ['invoke', 'http'],
    transports: () => remote!.transports,
    organizations: async () => organizations,
    // The deployed test function may not reach loopback: the SSRF guard answers without a packet sent.
    postgres: () => ({
      body: {
        provider: 'postgres',
        dataset_id: 'public',
        credentials: {
          host: '127.0.0.1',
          port: 5432,
          database: 'postgres',
          username: 'probe',
          password: 'deployed-probe-canary',
          ssl_mode: 'disable',
        },
      },
      verdict: { success: false, code: 'host_not_allowed' },
    }),
  });
}
