import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from '@jest/globals';
import { ROUTES } from '../../lib/routes.js';
import { BUNDLE_FILE_NAME } from '../../infra/bundling.js';
import { functionNameOutputKey } from '../../infra/stack-contract.js';
import { readStackArtifact, type StackArtifact } from '../../local/rehearsal/cloud-assembly.js';
import { synthesizedAssembly } from '../setup/synthesized-assembly.js';

/**
 * The cloud assembly `cdk synth` writes, as `cdk deploy` reads it: the CLI, cdk.json's app command,
 * real esbuild bundling and the cdk-nag checks of infra/app.ts, offline. What is checked here is
 * what gets uploaded, not the template's shape in memory (stack.test.ts).
 */
let stack: StackArtifact;
let manifestEnvironment: string;

beforeAll(async () => {
  const assembly = await synthesizedAssembly();
  stack = readStackArtifact(assembly);
  manifestEnvironment = stack.environment;
}, 600_000);

type LambdaResource = { Properties: { Code: { S3Key: string }; Handler: string } };

function functionOf(functionName: string): LambdaResource {
  const route = ROUTES.find((candidate) => candidate.functionName === functionName)!;
  const output = stack.template.Outputs?.[functionNameOutputKey(route)]?.Value as { Ref: string };
  return stack.template.Resources[output.Ref] as unknown as LambdaResource;
}

describe('each function deploys its own bundle', () => {
  test('no two functions share a code asset', () => {
    const keys = ROUTES.map((route) => functionOf(route.functionName).Properties.Code.S3Key);
    expect(new Set(keys).size).toBe(ROUTES.length);
  });

  test.each(ROUTES.map((route) => [route.functionName, route.entry]))(
    '%s runs the bundle of its own entry (%s), and no other handler',
    (functionName, entry) => {
      const { Code, Handler } = functionOf(functionName).Properties;
      const folder = stack.assetFolder(Code.S3Key);
      expect(Handler).toBe(`${BUNDLE_FILE_NAME.replace(/\.mjs$/, '')}.handler`);
      expect(existsSync(join(folder, BUNDLE_FILE_NAME))).toBe(true);
      const { sources } = JSON.parse(readFileSync(join(folder, `${BUNDLE_FILE_NAME}.map`), 'utf8')) as { sources: string[] };
      const handlers = sources.filter((source) => /(^|\/)functions\/[^/]+\.ts$/.test(source) && !source.includes('node_modules/'));
      expect(handlers.map((source) => source.replace(/^.*?(functions\/)/, '$1'))).toEqual([entry]);
    },
  );
});

describe('the template is environment-agnostic', () => {
  test('the assembly names no account or region', () => {
    expect(manifestEnvironment).toBe('aws://unknown-account/unknown-region');
  });

  test('no resource or output names a region literal', () => {
    const text = JSON.stringify({ Resources: stack.template.Resources, Outputs: stack.template.Outputs });
    expect(text).not.toMatch(/\b(us|eu|ap|sa|ca|me|af|il|mx)-(east|west|north|south|central|northeast|southeast|northwest|southwest)-\d\b/);
  });
});
