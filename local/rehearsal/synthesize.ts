import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/**
 * `cdk synth` of the real app as a person runs it (the CLI, cdk.json's app command, real bundling,
 * cdk-nag), offline: no credentials, no instance metadata, no notices or version check, and no
 * account or region, so the template is the environment-agnostic one `cdk deploy` uploads.
 *
 * The rehearsal's context allows the loopback networks, where the test warehouses listen, as a
 * deployer allows a private network (`-c allowedNetworks=...`), and names one consumer principal of
 * the resolve function.
 */
export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** A consumer of another account, named as a deployer names its query workers' role (`-c consumerPrincipals=...`). */
export const REHEARSAL_CONSUMER = 'arn:aws:iam::111122223333:role/rehearsal-query-worker';
export const REHEARSAL_CONTEXT = { allowedNetworks: '127.0.0.0/8,::1/128', consumerPrincipals: REHEARSAL_CONSUMER } as const;

export async function synthesize(outdir: string, context: Record<string, string> = REHEARSAL_CONTEXT): Promise<void> {
  const contextArgs = Object.entries(context).flatMap(([key, value]) => ['--context', `${key}=${value}`]);
  await promisify(execFile)(
    process.execPath,
    [join(PROJECT_ROOT, 'node_modules/aws-cdk/bin/cdk'), 'synth', '--quiet', '--no-notices', '--output', outdir, ...contextArgs],
    {
      cwd: PROJECT_ROOT,
      env: offlineEnvironment(outdir),
      timeout: 600_000,
      maxBuffer: 64 * 1024 * 1024,
    },
  );
}

export function offlineEnvironment(scratch: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? scratch,
    CDK_DISABLE_CLI_TELEMETRY: 'true',
    CDK_DISABLE_VERSION_CHECK: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: join(scratch, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(scratch, 'no-aws-credentials'),
  };
}
