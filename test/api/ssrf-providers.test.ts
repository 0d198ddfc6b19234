import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import net, { isIP } from 'node:net';
import { resolveConnection } from '../../lib/connections/resolve.js';
import { testConnection } from '../../lib/connections/test.js';
import { EnvelopeCipher } from '../../lib/crypto/envelope.js';
import { KmsDataKeys } from '../../lib/crypto/kms-data-keys.js';
import type { Lookup } from '../../lib/providers/network-guard.js';
import type { ProbeLimits } from '../../lib/providers/verdict.js';
import { ROUTE } from '../../lib/routes.js';
import { AuditLog } from '../../lib/store/audit-log.js';
import { ConnectionStore } from '../../lib/store/connection-store.js';
import { SEED_BODIES } from '../helpers/bodies.js';
import { useTestApi } from '../helpers/transports.js';

/**
 * The SSRF guard, provider by provider: every provider whose body names a host the customer chose
 * is refused with `host_not_allowed` for every not-public form of an address, by POST
 * /connections/test and by the resolve function alike, before any socket to the warehouse opens.
 * The list of providers comes from SEED_BODIES, so a new provider is covered, or named below with
 * the reason it has no customer host: nothing is skipped silently.
 *
 * Only loopback is ever connected to: every socket the service opens while a case runs goes
 * through a trap that refuses (and records) any destination other than loopback, so a guard that
 * let an address through fails the case without a packet leaving. Run it under
 * /work/notes/isolated.sh-like namespaces and a leak fails twice.
 */
process.env.WAREHOUSE_ALLOWED_CIDRS = ''; // the production default: no private network allowed

type ProviderName = keyof typeof SEED_BODIES;
type Body = { provider: string; credentials: Record<string, unknown> } & Record<string, unknown>;

/**
 * Providers whose bodies name no host: the driver goes to the vendor's own endpoint, which the
 * service builds. Each one's outbound guard is tested in its own file.
 */
const NO_CUSTOMER_HOST: Partial<Record<string, string>> = {
  // `account` becomes <account>.snowflakecomputing.com (a strict identifier, never a host); the
  // agents refuse every other host, redirects included: test/providers/snowflake.test.ts.
  snowflake: 'account identifier, vendor host',
  // Google's endpoints only; test/providers/bigquery.test.ts refuses redirects elsewhere.
  bigquery: "Google's endpoints",
  // `region` picks athena.<region>.amazonaws.com; STS likewise: test/providers/athena.test.ts.
  athena: 'AWS regional endpoints',
  // A MotherDuck token and database name; the service is MotherDuck's.
  motherduck: "MotherDuck's service",
};

const seedOf = (provider: ProviderName) => SEED_BODIES[provider]() as Body;
const ALL = Object.keys(SEED_BODIES) as ProviderName[];
const HOSTED = ALL.filter((provider) => 'host' in seedOf(provider).credentials);

/** Where each provider's host goes (its port field, or the fixed port of its protocol). */
const portOf = (body: Body) => (typeof body.credentials.port === 'number' ? body.credentials.port : 443);

/**
 * Databricks takes a workspace's DNS name only, whose last label has a letter
 * (lib/providers/databricks/schema.ts): an address in any form is refused at the door, 400 naming
 * credentials.host, and nothing is stored. Names that resolve to such an address reach the guard.
 */
const refusedAtTheDoor = (provider: ProviderName, host: string) =>
  provider === 'databricks' && (isIP(host) !== 0 || !/[a-z]/i.test(host.split('.').at(-1) ?? ''));

/** Every form of a not-public address the guard must see through; the system resolver reads the numeric forms without DNS. */
const REFUSED_HOSTS: [string, string][] = [
  ['instance metadata', '169.254.169.254'],
  ['RFC 1918 10/8', '10.0.0.7'],
  ['RFC 1918 172.16/12', '172.20.1.1'],
  ['RFC 1918 192.168/16', '192.168.0.10'],
  ['CGNAT', '100.100.0.1'],
  ['loopback', '127.0.0.1'],
  ['loopback by name (hosts file)', 'localhost'],
  ['IPv6 loopback', '::1'],
  ['IPv4-mapped metadata', '::ffff:169.254.169.254'],
  ['IPv4-mapped metadata, hex', '::ffff:a9fe:a9fe'],
  ['IPv4-compatible metadata', '::169.254.169.254'],
  ['NAT64 metadata', '64:ff9b::a9fe:a9fe'],
  ['6to4 of 10.0.0.1', '2002:a00:1::1'],
  ['AWS IPv6 metadata', 'fd00:ec2::254'],
  ['IPv6 link-local', 'fe80::1'],
  ['metadata, decimal', '2852039166'],
  ['metadata, octal', '0251.0376.0251.0376'],
  ['metadata, hex', '0xa9fea9fe'],
  ['metadata, two parts', '169.254.43518'],
  ['loopback, short form', '127.1'],
];

interface Attempt {
  destination: string;
  allowed: boolean;
}

/** Every socket opened while `run` runs; any destination other than loopback is refused, never dialled. */
async function trapSockets<T>(run: () => Promise<T>): Promise<{ value: T; attempts: Attempt[] }> {
  const attempts: Attempt[] = [];
  const connect = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
    const { host, port } = destinationOf(args);
    const allowed = isLoopback(host);
    attempts.push({ destination: `${host}:${port}`, allowed });
    if (allowed) return (connect as (...a: unknown[]) => net.Socket).apply(this, args);
    process.nextTick(() => this.destroy(Object.assign(new Error(`blocked by the test: ${host}`), { code: 'EHOSTUNREACH' })));
    return this;
  } as typeof connect;
  try {
    return { value: await run(), attempts };
  } finally {
    net.Socket.prototype.connect = connect;
  }
}

function destinationOf(args: unknown[]): { host: string; port: string } {
  const [first, second] = args;
  if (Array.isArray(first)) return destinationOf(first); // net.connect passes its normalized arguments as one array
  if (typeof first === 'object' && first !== null) {
    const options = first as { host?: string | null; port?: number | string; path?: string | null };
    // http's agents pass `path: null` beside host and port; a string path is a local socket.
    if (typeof options.path === 'string') return { host: options.path, port: '' };
    return { host: options.host ?? 'localhost', port: String(options.port ?? '') };
  }
  return { host: typeof second === 'string' ? second : 'localhost', port: String(first) };
}

function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return isIP(host) === 6 && (host === '::1' || host.toLowerCase().startsWith('::ffff:127.'));
}

/** Attempts towards the warehouse: its port, on any host, or any host that is not loopback. */
const towardsWarehouse = (attempts: Attempt[], port: number) =>
  attempts.filter((attempt) => !attempt.allowed || attempt.destination.endsWith(`:${port}`));

const { transport } = useTestApi();
const handler = transport('handler');
const newOrg = () => `org-${randomUUID().slice(0, 8)}`;
let resolveFunction: (event: unknown) => Promise<Record<string, unknown>>;

beforeAll(async () => {
  // Imported once the test API has set the environment the function reads at load.
  ({ handler: resolveFunction } = (await import('../../functions/resolve-connection.js')) as unknown as {
    handler: typeof resolveFunction;
  });
});

describe('which providers take a customer host', () => {
  test('every provider either names a host in its body or is listed, with the reason, as having none', () => {
    const listed = ALL.filter((provider) => NO_CUSTOMER_HOST[provider] !== undefined);
    expect(HOSTED.filter((provider) => listed.includes(provider))).toEqual([]);
    expect([...HOSTED, ...listed].sort()).toEqual([...ALL].sort());
    expect(HOSTED).toEqual(expect.arrayContaining(['postgres', 'mysql', 'redshift', 'clickhouse', 'trino', 'databricks']));
  });
});

describe.each(HOSTED)('%s: a host that is not public is refused before any socket opens', (provider) => {
  test.each(REFUSED_HOSTS)('%s (%s): host_not_allowed from POST /connections/test and from the resolve function', async (_, host) => {
    const org = newOrg();
    const body = seedOf(provider);
    body.credentials.host = host;
    const port = portOf(body);
    const created = await handler.call({ org, method: 'POST', body });

    if (refusedAtTheDoor(provider, host)) {
      expect({ status: created.status, body: created.body }).toEqual({
        status: 400,
        body: expect.objectContaining({ code: 'validation_failed', field: 'credentials.host' }),
      });
      return;
    }
    expect(created.status).toBe(201);
    const { value: answers, attempts } = await trapSockets(async () => ({
      tested: await handler.call({ org, method: 'POST', path: ROUTE.test.path }),
      resolved: await resolveFunction({ organization_id: org, caller: 'ssrf-test', purpose: 'refusal table' }),
    }));

    expect(towardsWarehouse(attempts, port)).toEqual([]);
    expect({ status: answers.tested.status, body: answers.tested.body }).toEqual({
      status: 400,
      body: expect.objectContaining({ success: false, code: 'host_not_allowed', error: expect.stringContaining(`'${host}'`) }),
    });
    expect(answers.resolved).toEqual({ version: 1, ok: false, code: 'host_not_allowed', error: expect.stringContaining(`'${host}'`) });
  });
});

/**
 * A name the customer controls, answered by the test's own resolver (no query leaves the
 * machine): the guard must refuse it when any address it resolves to is refused, and resolve it
 * itself, once. Through the test and resolve use cases, the whole work of their functions, with
 * the real store, KMS envelope and drivers.
 */
describe('a name that resolves to a refused address', () => {
  const dynamoDb = new DynamoDBClient({});
  const kms = new KMSClient({});
  const store = new ConnectionStore(dynamoDb, process.env.TABLE_NAME!);
  const cipher = new EnvelopeCipher(new KmsDataKeys(kms, process.env.KMS_KEY_ID!));
  const audit = new AuditLog(dynamoDb, process.env.AUDIT_TABLE_NAME!, 1);
  afterAll(() => {
    dynamoDb.destroy();
    kms.destroy();
  });

  const NAME = 'warehouse.customer-7.example';
  const ANSWERS: [string, { address: string; family: number }[], string[]][] = [
    ['the metadata address', [{ address: '169.254.169.254', family: 4 }], []],
    ['a private address', [{ address: '10.0.0.7', family: 4 }], []],
    ['an IPv4-mapped metadata address', [{ address: '::ffff:169.254.169.254', family: 6 }], []],
    ['the AWS IPv6 metadata address', [{ address: 'fd00:ec2::254', family: 6 }], []],
    // One allowed answer does not carry a refused one: every answer must pass.
    [
      'an allow-listed address and the metadata address',
      [
        { address: '127.0.0.1', family: 4 },
        { address: '169.254.169.254', family: 4 },
      ],
      ['127.0.0.0/8'],
    ],
  ];

  const cases = HOSTED.flatMap((provider) =>
    ANSWERS.map(([what, answers, allowedCidrs]) => [provider, what, answers, allowedCidrs] as const),
  );
  test.each(cases)(
    '%s, a name resolving to %s: host_not_allowed from test and resolve, the name looked up by the guard',
    async (provider, _, answers, allowedCidrs) => {
      const org = newOrg();
      const body = seedOf(provider);
      body.credentials.host = NAME;
      expect((await handler.call({ org, method: 'POST', body })).status).toBe(201);
      const looked: string[] = [];
      const lookup: Lookup = async (hostname) => {
        looked.push(hostname);
        return answers;
      };
      const limits: ProbeLimits = { connectTimeoutMs: 2_000, statementTimeoutMs: 2_000, deadlineMs: 5_000, allowedCidrs, lookup };

      const { value, attempts } = await trapSockets(async () => ({
        tested: await testConnection({ store, cipher, limits, testLimit: undefined }, org),
        resolved: await resolveConnection(
          { store, cipher, limits, audit, deploymentId: 'local' },
          { organization_id: org, caller: 'ssrf-test', purpose: 'names' },
        ),
      }));

      expect(towardsWarehouse(attempts, portOf(body))).toEqual([]);
      expect(looked).toEqual([NAME, NAME]); // once per use case, by the guard; no driver resolved it again
      expect(value.tested).toMatchObject({ success: false, code: 'host_not_allowed' });
      expect(value.resolved).toMatchObject({ ok: false, code: 'host_not_allowed' });
    },
  );
});
