import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { afterAll, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { assertProbeFitsTimeout } from '../../infra/function-environment.js';
import { ENCRYPTION_CONTEXT_KEYS, routePermissions } from '../../infra/route-permissions.js';
import { activateConnection } from '../../lib/connections/activate.js';
import { createConnection, createNamedConnection } from '../../lib/connections/create.js';
import { deleteConnection } from '../../lib/connections/delete.js';
import { getConnection, getNamedConnection } from '../../lib/connections/get.js';
import { listConnections } from '../../lib/connections/list.js';
import { patchConnection } from '../../lib/connections/patch.js';
import { testConnection } from '../../lib/connections/test.js';
import { EnvelopeCipher } from '../../lib/crypto/envelope.js';
import { KmsDataKeys } from '../../lib/crypto/kms-data-keys.js';
import { FUNCTIONS, ROUTES, type FunctionSpec } from '../../lib/routes.js';
import { resolveConnection } from '../../lib/connections/resolve.js';
import { ConnectionStore } from '../../lib/store/connection-store.js';
import { dynamoDbCall } from '../../local/rehearsal/aws-requests.js';
import { authorize, type PolicyStatement as IamStatement } from '../../local/rehearsal/iam-policy.js';
import { postgresBody } from '../helpers/bodies.js';

/**
 * The IAM conditions name attributes and context keys; these checks run the real use cases and
 * store (against the test table) and evaluate every request under the route's policy, so a change
 * in the code that the policy would refuse fails here, before a synth or the rehearsal.
 */
function recordingClient<T>(answer: Record<string, unknown> = {}) {
  const sent: { name: string; input: Record<string, unknown> }[] = [];
  const client = {
    send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      sent.push({ name: command.constructor.name, input: command.input });
      return answer;
    },
  } as unknown as T;
  return { client, sent };
}

const TABLE_ARN = 'arn:aws:dynamodb:us-east-1:111122223333:table/connections';
const RESOURCES = {
  tableArn: TABLE_ARN,
  keyArn: 'arn:aws:kms:us-east-1:111122223333:key/k',
  auditTableArn: 'arn:aws:dynamodb:us-east-1:111122223333:table/audit',
};
const realDynamoDb = new DynamoDBClient({});
const realKms = new KMSClient({});
afterAll(() => {
  realDynamoDb.destroy();
  realKms.destroy();
});

/** A DynamoDB client that sends to the test table and keeps every request it sent. */
function recordingDynamoDb() {
  const sent: { name: string; input: Record<string, unknown> }[] = [];
  const client = {
    send: (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      sent.push({ name: command.constructor.name, input: command.input });
      return realDynamoDb.send(command as never);
    },
  } as unknown as DynamoDBClient;
  return { client, sent };
}

/** IAM's decision on each request `fn` sent, under the route's own policy statements. */
function decisions(route: FunctionSpec, sent: { name: string; input: Record<string, unknown> }[]) {
  const policy = { Statement: routePermissions(route, RESOURCES).map((statement) => statement.toStatementJson() as IamStatement) };
  return sent.flatMap((command) =>
    dynamoDbCall(`DynamoDB_20120810.${command.name.replace(/Command$/, '')}`, command.input, () => TABLE_ARN).calls.map((call) => ({
      call: `${call.action} ${JSON.stringify(call.context)}`,
      allowed: authorize(
        {
          principalArn: 'arn:aws:iam::111122223333:role/fn',
          sessionArn: 'arn:aws:sts::111122223333:assumed-role/fn/s',
          account: '111122223333',
          ...call,
        },
        [policy],
      ).allowed,
    })),
  );
}

const cipher = new EnvelopeCipher(new KmsDataKeys(realKms, process.env.KMS_KEY_ID!));
const openStore = () => new ConnectionStore(realDynamoDb, process.env.TABLE_NAME!);
const newOrg = () => `org-${randomUUID().slice(0, 8)}`;

/** Each route's use cases, run against data the unrestricted store prepared. */
const EXERCISES: Record<string, (store: ConnectionStore, org: string) => Promise<unknown>> = {
  'create-connection': async (store, org) => {
    await createConnection({ store, cipher }, org, postgresBody());
    await createConnection({ store, cipher }, org, postgresBody());
  },
  'get-connection': (store, org) => getConnection(store, org),
  'test-connection': async (store, org) => {
    const deps = {
      store,
      cipher,
      limits: { connectTimeoutMs: 1_000, statementTimeoutMs: 1_000, deadlineMs: 2_000 },
      loadProbe: async () => async () => undefined,
    };
    await testConnection({ ...deps, testLimit: { tests: 100, windowSeconds: 10 } }, org);
    const named = (await openStore().list(org)).records.find((record) => record.name !== null)!;
    await testConnection({ ...deps, testLimit: undefined }, org, named.id);
  },
  'delete-connection': (store, org) => deleteConnection(store, org),
  'get-aws-identity': async () => undefined,
  'patch-connection': (store, org) =>
    patchConnection({ store, cipher }, org, {
      target: undefined,
      body: { name: 'Renamed', dataset_id: 'public' },
      ifMatch: undefined,
      subject: null,
    }),
  'create-named-connection': (store, org) => createNamedConnection({ store, cipher }, org, { name: 'Another', ...postgresBody() }, null),
  'list-connections': async (store, org) => {
    const page = await listConnections(store, org, { limit: '1' });
    await listConnections(store, org, { cursor: page.next_cursor! });
  },
  'get-named-connection': async (store, org) => getNamedConnection(store, org, (await openStore().list(org)).records[0]!.id),
  'patch-named-connection': async (store, org) => {
    const { id } = (await openStore().list(org)).records.find((record) => record.name === 'Named')!;
    await patchConnection({ store, cipher }, org, { target: id, body: { name: 'Named 2' }, ifMatch: '*', subject: null });
    await patchConnection({ store, cipher }, org, {
      target: id,
      body: { credentials: { host: 'localhost', password: 'p' } },
      ifMatch: undefined,
      subject: null,
    });
  },
  'delete-named-connection': async (store, org) => {
    const { id, version } = (await openStore().list(org)).records.find((record) => record.name === 'Named')!;
    await deleteConnection(store, org, { target: id, ifMatch: [version] });
  },
  'list-audit': (store, org) => store.cursorKey(org),
  'resolve-connection': async (store, org) => {
    const deps = {
      store,
      cipher,
      limits: { connectTimeoutMs: 1_000, statementTimeoutMs: 1_000, deadlineMs: 2_000, allowedCidrs: ['127.0.0.0/8'] },
    };
    await resolveConnection(
      { ...deps, audit: { append: async () => undefined }, deploymentId: 'local' },
      { organization_id: org, caller: 'c', purpose: 'p' },
    );
  },
  'activate-connection': async (store, org) => {
    await activateConnection({ store }, org, (await openStore().list(org)).records.find((record) => record.name === 'Named')!.id, null);
  },
};

describe('every call a function makes is one its role allows (the route policy, evaluated as IAM does)', () => {
  test('every route is exercised', () => {
    expect(Object.keys(EXERCISES).sort()).toEqual(FUNCTIONS.map((route) => route.functionName).sort());
  });

  test.each(FUNCTIONS.map((route) => [route.functionName, route] as const))('%s', async (_, route) => {
    const org = newOrg();
    await createConnection({ store: openStore(), cipher }, org, postgresBody());
    await createNamedConnection({ store: openStore(), cipher }, org, { name: 'Named', ...postgresBody() }, null);
    const { client, sent } = recordingDynamoDb();
    await EXERCISES[route.functionName]!(new ConnectionStore(client, process.env.TABLE_NAME!), org);
    const refused = decisions(route, sent).filter((decision) => !decision.allowed);
    expect(refused).toEqual([]);
    // A route with table access makes calls (else the check above proved nothing); one without makes none.
    expect({ madeTableCalls: sent.length > 0 }).toEqual({ madeTableCalls: route.table !== 'none' });
  });

  test('a read of the sealed secret is refused to every function but the test function', async () => {
    const org = newOrg();
    await createConnection({ store: openStore(), cipher }, org, postgresBody());
    const { client, sent } = recordingDynamoDb();
    await new ConnectionStore(client, process.env.TABLE_NAME!).getWithSecret(org);
    for (const route of FUNCTIONS) {
      const allowed = decisions(route, sent).every((decision) => decision.allowed);
      expect({ function: route.functionName, allowed }).toEqual({ function: route.functionName, allowed: route.key === 'decrypt' });
    }
  });
});

describe('KMS calls carry the context the key policy and roles require', () => {
  test('seal and open send exactly the connection encryption context', async () => {
    const plaintextKey = new Uint8Array(32).fill(7);
    const { client, sent } = recordingClient<KMSClient>({
      Plaintext: plaintextKey,
      CiphertextBlob: new Uint8Array([1, 2, 3]),
      KeyId: 'arn:aws:kms:eu-west-1:111122223333:key/k',
    });
    const cipher = new EnvelopeCipher(new KmsDataKeys(client, 'arn:aws:kms:eu-west-1:111122223333:key/k'));
    const context = { organization_id: 'org-1', connection_id: 'connection-1' };
    const sealed = await cipher.seal(Buffer.from('secret'), context, '000001764000000000#connection-1');
    plaintextKey.fill(7); // seal wipes the data key it was handed; the fake hands out the same array again
    await cipher.open(sealed, context);
    expect(sent.map((command) => command.name)).toEqual(['GenerateDataKeyCommand', 'DecryptCommand']);
    // Decrypt is pinned to the configured key: a ciphertext naming another key is refused by KMS.
    expect(sent[1]?.input.KeyId).toBe('arn:aws:kms:eu-west-1:111122223333:key/k');
    for (const command of sent) {
      expect(Object.keys(command.input.EncryptionContext as Record<string, string>).sort()).toEqual([...ENCRYPTION_CONTEXT_KEYS].sort());
    }
  });
});

describe('the test function timeout holds a whole test', () => {
  const testRoute = () => {
    const route = ROUTES.find((candidate) => candidate.functionName === 'test-connection');
    if (!route) throw new Error('The route table has no test-connection route');
    return route;
  };

  test('the route table timeout passes', () => {
    expect(() => assertProbeFitsTimeout(testRoute())).not.toThrow();
  });

  test('a timeout at the probe deadline is refused at synth time', () => {
    expect(() => assertProbeFitsTimeout({ ...testRoute(), timeoutSeconds: 10 })).toThrow(/below the 18 s a test may need/);
  });
});
