import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { ROUTES } from '../../lib/routes.js';
import { DEFAULT_STACK_NAME } from '../../infra/stack-contract.js';
import { PROJECT_ROOT, type Resources } from './synthesize.js';

/**
 * `cdk synth` as a person runs it: the CLI, cdk.json's app command, real esbuild bundling and the
 * cdk-nag checks of infra/app.ts. Offline: no credentials, no instance metadata, no notices or
 * version check, and an account and region given so nothing is looked up.
 */
const outdir = mkdtempSync(join(tmpdir(), 'warehouse-connections-cdk-out-'));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

const OFFLINE_ENV = {
  PATH: process.env.PATH ?? '',
  HOME: process.env.HOME ?? tmpdir(),
  CDK_DISABLE_CLI_TELEMETRY: 'true',
  CDK_DISABLE_VERSION_CHECK: 'true',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_CONFIG_FILE: join(outdir, 'no-aws-config'),
  AWS_SHARED_CREDENTIALS_FILE: join(outdir, 'no-aws-credentials'),
  AWS_REGION: 'eu-west-1',
  CDK_DEFAULT_REGION: 'eu-west-1',
  CDK_DEFAULT_ACCOUNT: '111122223333',
};

let template: { Resources: Resources };

beforeAll(async () => {
  // A clean environment: no AWS_* or CDK_* variables of the test run (the global setup sets some) leak in.
  await promisify(execFile)('npx', ['--no', 'cdk', 'synth', '--quiet', '--no-notices', '--output', outdir], {
    cwd: PROJECT_ROOT,
    env: OFFLINE_ENV,
    timeout: 170_000,
  });
  template = JSON.parse(readFileSync(join(outdir, `${DEFAULT_STACK_NAME}.template.json`), 'utf8')) as { Resources: Resources };
}, 180_000); // about 25 s alone; generous for a machine busy with other test files

describe('cdk synth', () => {
  test('writes the stack template', () => {
    expect(existsSync(join(outdir, 'manifest.json'))).toBe(true);
    const functions = Object.values(template.Resources).filter((resource) => resource.Type === 'AWS::Lambda::Function');
    expect(functions).toHaveLength(ROUTES.length);
  });

  test('bundles each function locally into an ES module with its source map', () => {
    const functions = Object.values(template.Resources).filter((resource) => resource.Type === 'AWS::Lambda::Function');
    for (const fn of functions) {
      const assetHash = (fn.Properties.Code as { S3Key: string }).S3Key.replace(/\.zip$/, '');
      const assetDir = join(outdir, `asset.${assetHash}`);
      expect(existsSync(join(assetDir, 'index.mjs'))).toBe(true);
      expect(existsSync(join(assetDir, 'index.mjs.map'))).toBe(true);
    }
  });
});
