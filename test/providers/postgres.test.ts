import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { Lookup } from '../../lib/providers/network-guard.js';
import { loadProbe } from '../../lib/providers/probe-loaders.js';
import { runProbe } from '../../lib/providers/probe.js';
import { PROVIDERS } from '../../lib/providers/registry.js';
import { plainVerdict } from '../helpers/stages.js';
import type { ProbeLimits } from '../../lib/providers/verdict.js';
import { parseConnectionRequest } from '../../lib/schema/connection.js';
import { startBlackholeServer } from '../fakes/blackhole-server.js';
import type { LoopbackServer } from '../fakes/loopback-server.js';
import { postgresBody } from '../helpers/bodies.js';
import { testPostgresAddress } from '../setup/test-postgres-fixture.js';

/**
 * The Postgres probe and the SSRF guard together, against the real test cluster: the socket goes
 * to the address the guard vetted (never to a second resolution of the customer's name), and the
 * allow-list's ports hold.
 */

const LIMITS: ProbeLimits = { connectTimeoutMs: 2_000, statementTimeoutMs: 2_000, deadlineMs: 5_000 };
/** A loopback address nothing else in the suite uses: only a vetted connection can arrive there. */
const VETTED_ADDRESS = '127.0.0.3';

/** Forwards connections arriving on VETTED_ADDRESS to the real server and records where they arrived. */
interface Forwarder {
  port: number;
  arrivals: string[];
  close(): Promise<void>;
}

async function startForwarder(target: { host: string; port: number }): Promise<Forwarder> {
  const arrivals: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((inbound) => {
    arrivals.push(`${inbound.localAddress}:${inbound.localPort}`);
    const outbound = connect(target.port, target.host);
    for (const socket of [inbound, outbound]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => sockets.delete(socket));
    }
    inbound.pipe(outbound).pipe(inbound);
  });
  await new Promise<void>((resolve) => server.listen(0, VETTED_ADDRESS, resolve));
  return {
    port: (server.address() as { port: number }).port,
    arrivals,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

let forwarder: Forwarder;
let silent: LoopbackServer;

beforeAll(async () => {
  [forwarder, silent] = await Promise.all([startForwarder(testPostgresAddress()), startBlackholeServer()]);
});

afterAll(async () => {
  await Promise.all([forwarder.close(), silent.close()]);
});

async function probe(body: unknown, limits: Partial<ProbeLimits>) {
  const postgres = await loadProbe('postgres');
  return plainVerdict(await runProbe(postgres, await parseConnectionRequest(body), { ...LIMITS, ...limits }), PROVIDERS.postgres.stages);
}

describe('the Postgres probe connects to the address the guard vetted', () => {
  test('a name is resolved once, by the guard, and pg connects to that address, not to the name', async () => {
    // 'localhost' resolves to 127.0.0.1 (or ::1) from the hosts file, where nothing listens on the
    // forwarder's port: a driver that resolved the name again would miss the forwarder.
    const lookup: Lookup = async (hostname) => (hostname === 'localhost' ? [{ address: VETTED_ADDRESS, family: 4 }] : []);
    const before = forwarder.arrivals.length;

    const verdict = await probe(postgresBody({}, { host: 'localhost', port: forwarder.port }), {
      allowedCidrs: [`${VETTED_ADDRESS}/32`],
      lookup,
    });

    expect(verdict).toEqual({ success: true, code: 'ok' });
    expect(forwarder.arrivals.slice(before)).toEqual([`${VETTED_ADDRESS}:${forwarder.port}`]);
  });
});

describe('an allow-list entry with a port admits that port only', () => {
  test('the warehouse port of an allow-listed network is tested', async () => {
    const { port } = testPostgresAddress();
    const verdict = await probe(postgresBody(), { allowedCidrs: [`127.0.0.0/8:${port}`] });
    expect(verdict).toEqual({ success: true, code: 'ok' });
  });

  test('another port of the same network is refused before any socket is opened', async () => {
    const { port } = testPostgresAddress();
    const verdict = await probe(postgresBody({}, { port: silent.port }), { allowedCidrs: [`127.0.0.0/8:${port}`] });
    expect(verdict).toEqual({ success: false, code: 'host_not_allowed', error: expect.stringContaining(`on port ${silent.port}`) });
    expect(silent.accepted).toBe(0);
  });
});
