import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { externalIdFor } from '../../lib/aws/external-id.js';
import { createConnection } from '../../lib/connections/create.js';
import { testConnection, type TestDependencies } from '../../lib/connections/test.js';
import { EnvelopeCipher } from '../../lib/crypto/envelope.js';
import { KmsDataKeys } from '../../lib/crypto/kms-data-keys.js';
import { ConnectionStore } from '../../lib/store/connection-store.js';
import { redshiftIamBody, startRedshiftIamWorld, type RedshiftIamWorld } from '../helpers/redshift-iam.js';

/**
 * Redshift IAM auth through the test use case, with the real store (dynalite) and KMS, the real
 * @aws-sdk clients against the STS and Redshift stand-ins, and the real PostgreSQL: the external id
 * the service presents is the caller's organization's, derived by the service, so a role that trusts
 * one organization cannot be used by another, whatever role_arn that one stores.
 */
const dynamoDb = new DynamoDBClient({});
const kms = new KMSClient({});
const store = new ConnectionStore(dynamoDb, process.env.TABLE_NAME!);
const cipher = new EnvelopeCipher(new KmsDataKeys(kms, process.env.KMS_KEY_ID!));
const LIMITS = { connectTimeoutMs: 2_000, statementTimeoutMs: 2_000, deadlineMs: 6_000, allowedCidrs: ['127.0.0.0/8'] };

let world: RedshiftIamWorld;
const orgA = `org-a-${randomUUID().slice(0, 8)}`;
const orgB = `org-b-${randomUUID().slice(0, 8)}`;
const verdicts: unknown[] = [];

beforeAll(async () => {
  world = await startRedshiftIamWorld();
  // Organization A's role: it trusts the service, with A's external id (what GET .../aws-identity showed A).
  world.putRole(externalIdFor(orgA, 'local'));
});
afterAll(async () => {
  await world.close();
  dynamoDb.destroy();
  kms.destroy();
});

function deps(deploymentId = 'local'): TestDependencies {
  // The probe limits carry no external id of their own: the use case sets the caller's.
  const { externalId: _none, ...aws } = world.limits('');
  return { store, cipher, limits: { ...LIMITS, ...aws }, testLimit: undefined, deploymentId };
}

describe("the external id presented is the caller's organization's", () => {
  test("the organization whose external id the role trusts: success, and STS saw that organization's id", async () => {
    await createConnection({ store, cipher }, orgA, redshiftIamBody(world, 'provisioned'));
    const result = await testConnection(deps(), orgA);
    verdicts.push(result);

    expect(result).toMatchObject({ success: true, code: 'ok' });
    expect(world.sts.calls.at(-1)).toMatchObject({ roleArn: world.roleArn(), externalId: externalIdFor(orgA, 'local') });
    expect(await store.getSummary(orgA)).toMatchObject({ status: 'connected' });
  });

  test("another organization storing the same role_arn is refused by STS, and its hint names its own external id, not A's", async () => {
    await createConnection({ store, cipher }, orgB, redshiftIamBody(world, 'serverless'));
    const redshiftCalls = world.redshift.calls.length + world.serverless.calls.length;
    const result = await testConnection(deps(), orgB);
    verdicts.push(result);

    expect(result).toMatchObject({
      success: false,
      code: 'permission_denied',
      error: expect.stringContaining('trust policy'),
      hint: expect.stringContaining(externalIdFor(orgB, 'local')),
    });
    expect(world.sts.calls.at(-1)).toMatchObject({ roleArn: world.roleArn(), externalId: externalIdFor(orgB, 'local') });
    expect(JSON.stringify(result)).not.toContain(externalIdFor(orgA, 'local'));
    expect(world.redshift.calls.length + world.serverless.calls.length).toBe(redshiftCalls);
    expect(await store.getSummary(orgB)).toMatchObject({ status: 'failed' });
  });

  test('the same organization under another deployment presents another id, and is refused too', async () => {
    const result = await testConnection(deps('another-deployment'), orgA);
    verdicts.push(result);
    expect(result).toMatchObject({ success: false, code: 'permission_denied' });
    expect(world.sts.calls.at(-1)!.externalId).toBe(externalIdFor(orgA, 'another-deployment'));
  });

  test('no secret handed out (role keys, session tokens, database passwords) reached a verdict or the stored summary', async () => {
    expect(verdicts).toHaveLength(3);
    const seen = JSON.stringify([...verdicts, await store.getSummary(orgA), await store.getSummary(orgB)]);
    expect(world.secrets().length).toBeGreaterThan(3);
    for (const secret of world.secrets()) expect(seen).not.toContain(secret);
  });
});
