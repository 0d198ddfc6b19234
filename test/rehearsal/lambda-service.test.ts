import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lambdaNode } from '../../local/rehearsal/lambda-node.js';
import { FunctionRuntime } from '../../local/rehearsal/lambda-service.js';
import type { FunctionModel } from '../../local/rehearsal/stack-model.js';

/**
 * The rehearsal's Lambda, on a handler written for the purpose: what the Node.js managed runtime
 * guarantees a function (handler string, reserved variables, context, warm reuse, a read-only task
 * folder and a writable temp folder, the timeout) holds here too.
 */
const HANDLER = `
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
let invocations = 0;
export const handler = async (event, context) => {
  invocations += 1;
  if (event.sleepMs) await new Promise((resolve) => setTimeout(resolve, event.sleepMs));
  if (event.fail) throw new TypeError('planned failure');
  const attempt = (path) => { try { writeFileSync(path, 'x'); return 'written'; } catch (error) { return error.code; } };
  return {
    invocations,
    cwd: process.cwd(),
    version: process.version,
    env: { handler: process.env._HANDLER, region: process.env.AWS_REGION, name: process.env.AWS_LAMBDA_FUNCTION_NAME, memory: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE, taskRoot: process.env.LAMBDA_TASK_ROOT, fromTemplate: process.env.FROM_TEMPLATE },
    context: { functionName: context.functionName, arn: context.invokedFunctionArn, requestId: context.awsRequestId, remaining: context.getRemainingTimeInMillis() },
    writes: { task: attempt(join(process.env.LAMBDA_TASK_ROOT, 'new-file')), tmp: attempt(join(process.env.TMPDIR, 'new-file')) },
  };
};`;

let workDir: string;
let runtime: FunctionRuntime;

beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), 'lambda-service-test-'));
  const code = join(workDir, 'asset');
  mkdirSync(code);
  writeFileSync(join(code, 'app.mjs'), HANDLER);
  const fn: FunctionModel = {
    logicalId: 'Probe',
    functionName: 'stack-Probe-ABC',
    arn: 'arn:aws:lambda:eu-west-1:210987654321:function:stack-Probe-ABC',
    handler: 'app.handler',
    runtime: 'nodejs24.x',
    architectures: ['arm64'],
    timeoutSeconds: 2,
    memoryMb: 256,
    environment: { FROM_TEMPLATE: 'yes' },
    reservedConcurrency: undefined,
    role: { logicalId: 'Role', name: 'role', arn: 'arn:aws:iam::210987654321:role/role', policies: [] },
    codeFolder: code,
    logGroupName: '/aws/lambda/stack-Probe-ABC',
  };
  runtime = new FunctionRuntime(fn, {
    node: lambdaNode(fn.runtime),
    workDir: join(workDir, 'run'),
    environment: {},
    region: 'eu-west-1',
    onLog: () => undefined,
  });
});

afterAll(() => {
  runtime.close();
  rmSync(workDir, { recursive: true, force: true });
});

async function invoke(event: Record<string, unknown>) {
  const outcome = await runtime.invoke(Buffer.from(JSON.stringify(event)));
  return { ...outcome, body: JSON.parse(outcome.payload.toString('utf8')) as Record<string, unknown> };
}

describe('as the Node.js managed runtime runs a function', () => {
  test('the handler string resolves against the task folder, with the template environment and the reserved variables', async () => {
    const { ok, body } = await invoke({});
    expect(ok).toBe(true);
    expect(body.env).toMatchObject({
      handler: 'app.handler',
      region: 'eu-west-1',
      name: 'stack-Probe-ABC',
      memory: '256',
      fromTemplate: 'yes',
    });
    expect(body.cwd).toBe((body.env as { taskRoot: string }).taskRoot);
    expect(body.context).toMatchObject({
      functionName: 'stack-Probe-ABC',
      arn: 'arn:aws:lambda:eu-west-1:210987654321:function:stack-Probe-ABC',
      requestId: expect.any(String),
    });
    expect((body.context as { remaining: number }).remaining).toBeGreaterThan(0);
    expect((body.context as { remaining: number }).remaining).toBeLessThanOrEqual(2000);
  });

  test('the task folder is read-only and only the temp folder is writable', async () => {
    const { body } = await invoke({});
    expect(body.writes).toEqual({ task: expect.stringMatching(/^(ERR_ACCESS_DENIED|EACCES|EROFS)$/), tmp: 'written' });
  });

  test('a warm environment is reused: module state survives between invocations', async () => {
    const first = (await invoke({})).body.invocations as number;
    expect((await invoke({})).body.invocations).toBe(first + 1);
  });

  test('an error answers the runtime error payload, and the environment stays warm', async () => {
    const failed = await invoke({ fail: true });
    expect(failed).toMatchObject({ ok: false, body: { errorType: 'TypeError', errorMessage: 'planned failure' } });
    expect((await invoke({})).ok).toBe(true);
  });

  test('the template timeout ends the invocation and the environment; the next one starts cold', async () => {
    const coldStarts = runtime.stats.coldStarts;
    const timedOut = await invoke({ sleepMs: 5_000 });
    expect(timedOut).toMatchObject({
      ok: false,
      errorType: 'Sandbox.Timedout',
      body: { errorMessage: 'Task timed out after 2.00 seconds' },
    });
    const next = await invoke({});
    expect(next.ok).toBe(true);
    expect(next.body.invocations).toBe(1);
    expect(runtime.stats.coldStarts).toBe(coldStarts + 1);
  });

  test('concurrent invocations run in separate environments, one invocation each', async () => {
    const results = await Promise.all([invoke({ sleepMs: 300 }), invoke({ sleepMs: 300 })]);
    expect(results.every((result) => result.ok)).toBe(true);
    expect(runtime.stats.coldStarts).toBeGreaterThanOrEqual(2);
  });
});
