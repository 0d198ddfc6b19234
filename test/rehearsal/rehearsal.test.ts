import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { addressesOf, pathFor, ROUTES, routeKey } from '../../lib/routes.js';
import { functionNameOutputKey, OUTPUT_KEYS } from '../../infra/stack-contract.js';
import { formatReport, startRehearsal, type Rehearsal } from '../../local/rehearsal/rehearsal.js';
import { connectionScenarios } from '../e2e/connection-scenarios.js';
import { bigqueryBody, postgresBody, snowflakeBody } from '../helpers/bodies.js';
import { remoteTransports } from '../helpers/deployed-transports.js';
import type { Transport } from '../helpers/transports.js';
import { startWarehouseStandIns, type WarehouseStandIns } from '../helpers/warehouse-stand-ins.js';
import { synthesizedAssembly } from '../setup/synthesized-assembly.js';
import { REHEARSAL_CONSUMER } from '../../local/rehearsal/synthesize.js';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { runExampleWorker } from '../../scripts/example-worker.js';
import { resolveConnection } from '../../lib/client/resolve-client.js';
import { RESOLVER } from '../../lib/routes.js';
import { testPostgresAddress } from '../setup/test-postgres-fixture.js';
import { startForwarder, type Forwarder } from '../fakes/tcp-forwarder.js';

/**
 * The deployment rehearsal (`npm run rehearse`): the shared end-to-end scenarios against the stack
 * of `cdk synth`, run from its cloud assembly alone: the bundles `cdk deploy` uploads, on the
 * Lambda runtime's Node.js, behind the template's routes and authorizer, with every DynamoDB and
 * KMS call held to the template's IAM.
 */
let rehearsal: Rehearsal;
let standIns: WarehouseStandIns;
let forwarder: Forwarder;
let remote: { transports: Transport[]; close(): void };

beforeAll(async () => {
  [standIns, forwarder] = await Promise.all([startWarehouseStandIns(), startForwarder('127.0.0.1', testPostgresAddress())]);
  rehearsal = await startRehearsal({
    assemblyDir: await synthesizedAssembly(),
    environment: standIns.environment,
    principals: [REHEARSAL_CONSUMER, STRANGER],
  });
  const { outputs } = rehearsal;
  remote = remoteTransports({
    // The template's ApiUrl names execute-api in AWS; the rehearsal serves the same routes here.
    apiUrl: rehearsal.apiUrl,
    functionNames: Object.fromEntries(ROUTES.map((route) => [route.functionName, outputs[functionNameOutputKey(route)]!])),
    orgClaim: outputs[OUTPUT_KEYS.orgClaim]!,
    tokenFor: (org) =>
      rehearsal.issuer.idToken(outputs[OUTPUT_KEYS.jwtIssuer]!, outputs[OUTPUT_KEYS.userPoolClientId]!, {
        attributes: { [outputs[OUTPUT_KEYS.orgClaim]!]: org },
      }),
    lambda: { endpoint: rehearsal.apiUrl, region: rehearsal.region, credentials: rehearsal.operator },
  });
}, 600_000);

afterAll(async () => {
  remote?.close();
  if (rehearsal) console.log(`Deployment rehearsal\n${formatReport(rehearsal.report())}`);
  await rehearsal?.close();
  await standIns?.close();
  await forwarder?.close();
});

const newOrg = () => `org-${randomUUID().slice(0, 8)}`;
/** A role of another account that the stack does not name as a consumer. */
const STRANGER = 'arn:aws:iam::999988887777:role/not-a-consumer';

// First, while every route's throttle bucket is full.
describe('every address of lib/routes.ts reaches its function through the template', () => {
  const invocationsOf = (functionName: string) =>
    rehearsal.report().functions.find((fn) => fn.functionName === functionName)?.invocations ?? 0;
  const everyAddress = ROUTES.flatMap((route) => addressesOf(route).map((address) => ({ route, address })));

  test.each(everyAddress.map(({ route, address }) => [routeKey(address), route.functionName, route, address] as const))(
    '%s runs %s',
    async (_, functionName, route, address) => {
      const org = newOrg();
      const token = await rehearsal.issuer.idToken(
        rehearsal.outputs[OUTPUT_KEYS.jwtIssuer]!,
        rehearsal.outputs[OUTPUT_KEYS.userPoolClientId]!,
        {
          attributes: { [rehearsal.outputs[OUTPUT_KEYS.orgClaim]!]: org },
        },
      );
      const deployedName = rehearsal.outputs[functionNameOutputKey(route)]!;
      const before = invocationsOf(deployedName);
      // An empty object where a body is due: whatever the function then answers, it answers itself
      // (with meta), not API Gateway. PATCH sends it as merge-patch, which API Gateway base64-encodes.
      const contentType = address.method === 'PATCH' ? 'application/merge-patch+json' : 'application/json';
      const response = await fetch(`${rehearsal.apiUrl}${pathFor(address.path, { connection_id: 'not-a-uuid' })}`, {
        method: address.method,
        headers: { authorization: `Bearer ${token}`, ...(route.body === 'json' ? { 'content-type': contentType } : {}) },
        ...(route.body === 'json' ? { body: '{}' } : {}),
      });
      const body = (await response.json()) as Record<string, unknown>;
      expect(body).toMatchObject({ meta: { organization_id: org } });
      expect(invocationsOf(deployedName)).toBe(before + 1);
      if (address.path.includes('{connection_id}')) {
        // The function read the template's parameter from the event: its own check answers.
        expect({ status: response.status, body }).toMatchObject({
          status: 400,
          body: { code: 'invalid_connection_id', field: 'path.connection_id' },
        });
      }
    },
  );
});

connectionScenarios({
  transportNames: ['invoke', 'http'],
  transports: () => remote.transports,
  organizations: async () => [newOrg(), newOrg()],
  postgres: () => ({ body: postgresBody(), verdict: { success: true, code: 'ok' } }),
  secondPostgresAddress: () => ({ host: '127.0.0.1', port: forwarder.port, arrivals: () => forwarder.arrivals.length }),
  standIns: () => [
    { provider: 'snowflake', body: snowflakeBody(), verdict: { success: true, code: 'ok' } },
    { provider: 'bigquery', body: bigqueryBody(), verdict: { success: true, code: 'ok' } },
  ],
});

describe('what API Gateway itself answers, from the template', () => {
  const api = () => `${rehearsal.apiUrl}/api/v2/warehouse/connections`;

  test('an unknown route is a 404 in API Gateway shape', async () => {
    const response = await fetch(`${api()}/nope`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ message: 'Not Found' });
  });

  test.each([
    ['an empty path parameter', '/named//activate'],
    ['a path parameter that is not valid percent-encoding', '/named/%E0%A4%A'],
  ])('%s matches no route: a 404 in API Gateway shape', async (_, path) => {
    const response = await fetch(`${api()}${path}`);
    expect({ status: response.status, body: await response.json() }).toEqual({ status: 404, body: { message: 'Not Found' } });
  });

  test('a request without a token never reaches a function: 401 in API Gateway shape', async () => {
    const before = rehearsal.report().functions.reduce((sum, fn) => sum + fn.invocations, 0);
    const response = await fetch(api());
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ message: 'Unauthorized' });
    expect(rehearsal.report().functions.reduce((sum, fn) => sum + fn.invocations, 0)).toBe(before);
  });

  test('a Cognito access token passes the authorizer (client_id) but carries no organization: the function refuses it', async () => {
    const { outputs } = rehearsal;
    const token = await rehearsal.issuer.accessToken(outputs[OUTPUT_KEYS.jwtIssuer]!, outputs[OUTPUT_KEYS.userPoolClientId]!, {});
    const response = await fetch(api(), { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ code: 'unauthorized', meta: { organization_id: null } });
  });
});

describe('the resolve function, as the template deploys it', () => {
  const lambdaAs = (principal: string) =>
    new LambdaClient({
      endpoint: rehearsal.apiUrl,
      region: rehearsal.region,
      credentials: rehearsal.principalCredentials[principal]!,
      maxAttempts: 1,
    });

  test('the consumer the stack names resolves a connection, and the example worker runs SELECT 1 with it', async () => {
    const org = newOrg();
    const api = remote.transports.find((candidate) => candidate.name === 'http')!;
    const created = await api.call({ org, method: 'POST', body: postgresBody() });
    expect(created.status).toBe(201);
    const lambda = lambdaAs(REHEARSAL_CONSUMER);
    try {
      const functionName = rehearsal.outputs[functionNameOutputKey(RESOLVER)]!;
      expect(await runExampleWorker({ lambda, functionName, organizationId: org })).toEqual({ connectionId: created.body!.id, result: 1 });
      const audit = await api.call({ org, method: 'GET', path: '/api/v2/warehouse/connections/audit' });
      expect(audit.body!.events).toEqual(
        expect.arrayContaining([expect.objectContaining({ event: 'connection.resolved', actor: 'example-worker', outcome: 'ok' })]),
      );
    } finally {
      lambda.destroy();
    }
    expect(rehearsal.report().denials).toEqual([]);
  });

  test("a principal the stack does not name is refused by the function's resource policy", async () => {
    const lambda = lambdaAs(STRANGER);
    try {
      const functionName = rehearsal.outputs[functionNameOutputKey(RESOLVER)]!;
      await expect(
        resolveConnection(lambda, functionName, { organizationId: newOrg(), caller: 'stranger', purpose: 'trying' }),
      ).rejects.toMatchObject({ name: 'AccessDeniedException' });
    } finally {
      lambda.destroy();
    }
  });
});

describe('the rehearsal report', () => {
  test('every function ran, on the Lambda runtime major where this platform has it, and IAM denied nothing', () => {
    const report = rehearsal.report();
    expect(report.functions.map((fn) => fn.logicalId).sort()).toEqual(rehearsal.model.functions.map((fn) => fn.logicalId).sort());
    const callsAws = new Set(
      ROUTES.filter((route) => route.table !== 'none').map((route) => rehearsal.outputs[functionNameOutputKey(route)]),
    );
    for (const fn of report.functions) {
      expect(fn.invocations).toBeGreaterThan(0);
      if (callsAws.has(fn.functionName)) expect(fn.allowed).toBeGreaterThan(0);
      if (process.platform === 'linux' && process.arch === 'x64')
        expect({ fn: fn.functionName, node: fn.node.split('.')[0] }).toEqual({ fn: fn.functionName, node: 'v24' });
    }
    expect(report.denials).toEqual([]);
  });
});
