// Installs infra/lambda-natives: the native bindings for the Lambda runtime (linux-arm64, glibc),
// which npm skips on any other machine. From the npm registry and its lock file like any package;
// infra/bundling.ts copies them into the function packages that load them.
import { execFileSync } from 'node:child_process';

const npm = process.env.npm_execpath;
const args = [
  'ci',
  '--prefix',
  'infra/lambda-natives',
  '--cpu=arm64',
  '--os=linux',
  '--libc=glibc',
  '--no-audit',
  '--no-fund',
  '--ignore-scripts',
];
if (npm) execFileSync(process.execPath, [npm, ...args], { stdio: 'inherit' });
else execFileSync('npm', args, { stdio: 'inherit' });
