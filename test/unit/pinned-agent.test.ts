import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Agent, get, type RequestOptions } from 'node:http';
import { DESTINATION_REFUSED, destinationOf, pinAgent } from '../../lib/providers/pinned-agent.js';
import { startLoopbackServer, startTrap, type LoopbackServer, type TrappedRequest } from '../fakes/loopback-server.js';

/** The agent under both drivers: it connects to its one destination and refuses everything else. */
let allowed: LoopbackServer;
let trap: LoopbackServer & { requests: TrappedRequest[] };

beforeAll(async () => {
  [allowed, trap] = await Promise.all([startLoopbackServer(async (_, response) => void response.writeHead(204).end()), startTrap()]);
});

afterAll(async () => {
  await Promise.all([allowed.close(), trap.close()]);
});

function request(options: RequestOptions): Promise<{ status?: number; code?: string }> {
  return new Promise((resolve) => {
    get(options, (response) => {
      response.resume();
      resolve({ status: response.statusCode ?? 0 });
    }).on('error', (error: NodeJS.ErrnoException) => resolve({ code: error.code ?? 'none' }));
  });
}

describe('a pinned agent', () => {
  test('connects to its destination', async () => {
    const agent = pinAgent(new Agent(), destinationOf(allowed.origin));
    await expect(request({ agent, host: '127.0.0.1', port: allowed.port, path: '/' })).resolves.toEqual({ status: 204 });
    agent.destroy();
  });

  test.each<[string, (port: number) => RequestOptions]>([
    ['another host on the same port', () => ({ host: '127.0.0.2', port: trap.port })],
    ['another port of the same host', (port) => ({ host: '127.0.0.1', port: port === trap.port ? port + 1 : trap.port })],
    ['a local socket path', () => ({ socketPath: '/tmp/not-a-warehouse.sock' })],
  ])('refuses %s before a socket opens', async (_, target) => {
    const agent = pinAgent(new Agent(), destinationOf(allowed.origin));
    await expect(request({ agent, path: '/', ...target(allowed.port) })).resolves.toEqual({ code: DESTINATION_REFUSED });
    expect(trap.accepted).toBe(0);
    agent.destroy();
  });

  test('reads default ports and IPv6 literals from URLs', () => {
    expect(destinationOf('https://Acme.SnowflakeComputing.com')).toEqual({ host: 'acme.snowflakecomputing.com', port: 443 });
    expect(destinationOf('http://[::1]:8080/x')).toEqual({ host: '::1', port: 8080 });
  });
});
