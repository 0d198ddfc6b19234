import { KMSClient } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { EnvelopeCipher } from '../../lib/crypto/envelope.js';
import { KmsDataKeys } from '../../lib/crypto/kms-data-keys.js';
import { openDefinition } from '../../lib/connections/sealing.js';
import { STATE_SORT_KEY, toStoredConnection } from '../../lib/store/connection-item.js';
import { postgresBody } from '../helpers/bodies.js';
import { activeItemKey, rawItem } from '../helpers/stored-items.js';
import { handlerTransportFor, type ApiResponse, type Transport } from '../helpers/transports.js';
import { startProxiedApi, type ProxiedApi } from './support/proxied-api.js';
import { scaled } from './support/scale.js';
import { ROUTE } from '../../lib/routes.js';

/**
 * One organization under a storm of concurrent creates, gets, tests and deletes. Every create
 * carries its own password and schema, so any stored item can be traced to exactly one request.
 */
const ORG = 'org-race';
const TEST_PATH = ROUTE.test.path;
const CREATES = scaled(200, 1_000);
/** The storm: every create, plus a GET per two creates, a test and a delete per twenty. */
const REQUESTS = CREATES + CREATES / 2 + CREATES / 10;
/**
 * Budgets from what the requests wait for. In Lambda each invocation has its instance to itself;
 * here the storm shares one process and two cores with dynalite and the local KMS. At most
 * IN_FLIGHT invocations run at once (still dozens of writers racing for one item), fewer than the
 * SDK's 50 sockets, so no AWS call queues for a socket and each waits for at most IN_FLIGHT others.
 * A request costs this machine about 15 ms when nothing else runs (320 in 4.5 s) and about 75 ms
 * with six busy loops beside it; 250 ms each leaves room for a shared CI machine running two suites
 * at once. So each invocation's deadline and each SDK attempt get IN_FLIGHT x 250 ms, and the test
 * the waves of the whole storm: it is about data integrity, not about this machine's speed.
 */
const IN_FLIGHT = 40;
const PER_REQUEST_BUDGET_MS = 250;
const INVOCATION_BUDGET_MS = IN_FLIGHT * PER_REQUEST_BUDGET_MS;
const STORM_BUDGET_MS = Math.ceil(REQUESTS / IN_FLIGHT) * INVOCATION_BUDGET_MS;
let proxied: ProxiedApi;
let handler: Transport;
let cipher: EnvelopeCipher;

beforeAll(async () => {
  const sdkTimeout = String(INVOCATION_BUDGET_MS);
  proxied = await startProxiedApi({ AWS_REQUEST_TIMEOUT_MS: sdkTimeout, AWS_CONNECT_TIMEOUT_MS: sdkTimeout });
  const invoke = handlerTransportFor(proxied.testApi.functions, { timeoutSeconds: INVOCATION_BUDGET_MS / 1000 });
  const slot = concurrencyLimit(IN_FLIGHT);
  handler = { name: 'handler', call: (request) => slot(() => invoke.call(request)) };
  cipher = new EnvelopeCipher(new KmsDataKeys(new KMSClient({}), process.env.KMS_KEY_ID!));
});
afterAll(async () => {
  await proxied.close();
});

/** Runs at most `limit` tasks at once, the others in the order they came (a finished task hands its slot on). */
function concurrencyLimit(limit: number) {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (running < limit) running += 1;
    else await new Promise<void>((start) => waiting.push(start));
    try {
      return await task();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running -= 1;
    }
  };
}

const bodyNumber = (n: number) => postgresBody({ dataset_id: `schema_${n}` }, { password: `race-password-${n}` });

/** Reads the active connection's raw item and checks it is one whole version: secret, id and fields from one create. */
async function snapshot(): Promise<{ id: string; schema: string; password: string } | null> {
  const item = await rawItem(await activeItemKey(ORG));
  if (!item) return null;
  const stored = toStoredConnection(ORG, item);
  // The secret opens only for the destination and connection it was sealed for.
  const definition = (await openDefinition(cipher, stored)) as { dataset_id: string; credentials: { password: string } };
  return { id: stored.id, schema: definition.dataset_id, password: definition.credentials.password };
}

type Call = { operation: string; status: number | string; requestBody: string };

/** What a landed update of the state item set: attribute name -> value (placeholders resolved). */
function stateAssignments(call: Call): Map<string, { S?: string; NULL?: boolean }> | undefined {
  const request = JSON.parse(call.requestBody) as {
    Key: { sk: { S: string } };
    UpdateExpression: string;
    ExpressionAttributeNames: Record<string, string>;
    ExpressionAttributeValues?: Record<string, { S?: string; NULL?: boolean }>;
  };
  if (call.operation !== 'UpdateItem' || call.status !== 200 || request.Key.sk.S !== STATE_SORT_KEY) return undefined;
  const set = /SET (.*?)(?: REMOVE |$)/.exec(request.UpdateExpression)?.[1] ?? '';
  const assigned = new Map<string, { S?: string; NULL?: boolean }>();
  for (const clause of set.split(', ')) {
    const [path, value] = clause.split(' = ');
    const name = path!
      .split('.')
      .map((part) => request.ExpressionAttributeNames[part])
      .join('.');
    assigned.set(name, request.ExpressionAttributeValues?.[value!] ?? {});
  }
  return assigned;
}

describe(`${CREATES} concurrent creates mixed with gets, tests and deletes (${IN_FLIGHT} in flight)`, () => {
  test(
    'every state is one whole version, every 201 was written unless a newer write came first, the newest write wins',
    async () => {
      const { dynamoDbProxy } = proxied;
      const createdBy = new Map<string, number>();
      const snapshots: Awaited<ReturnType<typeof snapshot>>[] = [];
      const others: Promise<ApiResponse>[] = [];

      // Creates, gets, tests and deletes are queued interleaved, so they race each other throughout.
      const creates: Promise<ApiResponse>[] = [];
      for (let n = 0; n < CREATES; n += 1) {
        creates.push(
          handler.call({ org: ORG, method: 'POST', body: bodyNumber(n) }).then((response) => {
            if (response.status === 201) createdBy.set(response.body!.id as string, n);
            return response;
          }),
        );
        if (n % 2 === 1) continue;
        const i = n / 2;
        others.push(handler.call({ org: ORG, method: 'GET' }));
        if (i % 10 === 0) others.push(handler.call({ org: ORG, method: 'POST', path: TEST_PATH }));
        if (i % 10 === 5) others.push(handler.call({ org: ORG, method: 'DELETE' }));
        if (i % 4 === 0) snapshots.push(await snapshot());
      }
      const createResponses = await Promise.all(creates);
      const otherResponses = await Promise.all(others);

      // Every request got an answer that makes sense; none failed on the server.
      expect(createResponses.map((response) => response.status)).toEqual(createResponses.map(() => 201));
      for (const response of otherResponses) expect([200, 204, 400, 404]).toContain(response.status);

      // Every item ever seen is one create's whole version: its id, schema and password agree.
      for (const seen of [...snapshots, await snapshot()].filter((value) => value !== null)) {
        const n = createdBy.get(seen.id);
        expect(n).toBeDefined();
        expect({ schema: seen.schema, password: seen.password }).toEqual({ schema: `schema_${n}`, password: `race-password-${n}` });
      }
      for (const response of otherResponses.filter((candidate) => candidate.body?.connection)) {
        const connection = response.body!.connection as { id: string; dataset_id: string };
        expect(connection.dataset_id).toBe(`schema_${createdBy.get(connection.id)}`);
      }

      // Every 201 id was put. Changes of the active connection only move forward (an older stamp is
      // refused), so the final state is the change with the newest stamp: a create's id, or none.
      // Connection items only: each request's audit record goes to the audit table.
      const puts = dynamoDbProxy.calls.filter(
        (call) =>
          call.operation === 'PutItem' && (JSON.parse(call.requestBody) as { TableName: string }).TableName === process.env.TABLE_NAME,
      );
      const putIds = new Set(puts.map((put) => (JSON.parse(put.requestBody) as { Item: { id: { S: string } } }).Item.id.S));
      expect([...createdBy.keys()].every((id) => putIds.has(id))).toBe(true);
      const activeChanges = dynamoDbProxy.calls
        .map((call) => stateAssignments(call))
        .filter((assigned) => assigned?.has('active_connection_id') && assigned.has('write_stamp'));
      const newest = activeChanges.reduce((latest, change) =>
        change!.get('write_stamp')!.S! > latest!.get('write_stamp')!.S! ? change : latest,
      );
      const final = await handler.call({ org: ORG, method: 'GET' });
      const activeId = newest!.get('active_connection_id')!.S;
      if (activeId === undefined) expect(final.body!.connection).toBeNull();
      else expect(final.body!.connection).toMatchObject({ id: activeId });
    },
    STORM_BUDGET_MS + 30_000,
  );
});
