import { createClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { Trino, type QueryResult } from 'trino-client';
import { driverOptionsOf, type Resolved } from '../../lib/client/resolve-client.js';
import { makeClickhouseCertificates, type ClickhouseCertificates } from '../fakes/clickhouse-certificates.js';
import { startClickhouseStandIn, type ClickhouseStandIn } from '../fakes/clickhouse-server.js';
import { CANARY, clickhouseBody, trinoBody } from '../helpers/bodies.js';
import { useTestApi } from '../helpers/transports.js';

/**
 * The typed client's options in the drivers' own hands: what the resolve function answered,
 * completed by driverOptionsOf, runs the test query with the real @clickhouse/client and
 * trino-client against their stand-ins, and only ever at the address the SSRF guard vetted.
 */
const { transport } = useTestApi();
const api = transport('handler');

let certificates: ClickhouseCertificates;
let clickhouse: ClickhouseStandIn;
let resolve: (event: unknown) => Promise<Record<string, unknown>>;

beforeAll(async () => {
  certificates = await makeClickhouseCertificates();
  clickhouse = await startClickhouseStandIn({
    users: { wc_reader: { password: CANARY.clickhousePassword, databases: ['analytics'] } },
    databases: ['default', 'analytics'],
    tls: { key: certificates.serverKey, cert: certificates.serverCertificate },
  });
  // Imported once the test API has set the environment the function reads at load.
  ({ handler: resolve } = (await import('../../functions/resolve-connection.js')) as unknown as { handler: typeof resolve });
});
afterAll(async () => {
  await clickhouse.close();
});

async function resolvedFor(body: Record<string, unknown>): Promise<Resolved> {
  const org = `org-${randomUUID().slice(0, 8)}`;
  expect((await api.call({ org, method: 'POST', body })).status).toBe(201);
  const answer = await resolve({ organization_id: org, caller: 'driver-test', purpose: 'the typed client test' });
  expect(answer).toMatchObject({ ok: true });
  return answer as unknown as Resolved;
}

/** The same answer, but vetted to another loopback address where nothing listens: a driver that still connects did its own lookup. */
const vettedElsewhere = (resolved: Resolved): Resolved => ({ ...resolved, address: { ...resolved.address!, vetted: '127.0.0.3' } });

async function trinoSelectOne(options: Record<string, unknown>): Promise<unknown[]> {
  const iterator = await Trino.create(options).query('SELECT 1');
  const rows: unknown[] = [];
  for await (const page of iterator as AsyncIterable<QueryResult>) {
    if (page.error) throw new Error(page.error.message);
    rows.push(...(page.data ?? []));
  }
  return rows;
}

describe('clickhouse: @clickhouse/client with the resolved options', () => {
  const body = () =>
    clickhouseBody({}, { host: 'localhost', port: clickhouse.port, ssl_mode: 'verify-full', ca_certificate: certificates.ca });

  test('runs SELECT 1 over HTTPS, the certificate checked against the CA and the name', async () => {
    const client = createClient(driverOptionsOf(await resolvedFor(body())));
    try {
      const result = await client.query({ query: 'SELECT 1 AS probe', format: 'JSONEachRow' });
      expect(await result.json()).toEqual([{ probe: 1 }]);
      expect(clickhouse.requests.at(-1)).toMatchObject({
        authentication: 'basic',
        user: 'wc_reader',
        host: `localhost:${clickhouse.port}`,
      });
    } finally {
      await client.close();
    }
  });

  test('connects only to the vetted address', async () => {
    const client = createClient({ ...driverOptionsOf(vettedElsewhere(await resolvedFor(body()))), request_timeout: 5_000 });
    try {
      await expect(client.query({ query: 'SELECT 1 AS probe', format: 'JSONEachRow' })).rejects.toThrow(/ECONNREFUSED 127\.0\.0\.3/);
    } finally {
      await client.close();
    }
  });
});

describe('trino: trino-client with the resolved options', () => {
  test('runs SELECT 1 over HTTPS with the password, the certificate checked against the CA and the name', async () => {
    expect(await trinoSelectOne(driverOptionsOf(await resolvedFor(trinoBody())))).toEqual([[1]]);
  });

  test('connects only to the vetted address', async () => {
    await expect(trinoSelectOne(driverOptionsOf(vettedElsewhere(await resolvedFor(trinoBody()))))).rejects.toThrow(
      /ECONNREFUSED 127\.0\.0\.3/,
    );
  });
});
