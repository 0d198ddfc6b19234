/**
 * Mutation testing of the modules in stryker.config.mjs, one group at a time:
 *
 *   npm run mutate                          every group, on the working tree
 *   npm run mutate -- store http            some groups
 *   npm run mutate -- --head                the last commit (git archive HEAD), whatever the
 *                                           working tree does meanwhile
 *   npm run mutate -- crypto --incremental  any other option goes to `stryker run`
 *
 * Starts dynalite, the local KMS and the test databases once (the setup of `npm test`) and runs
 * Stryker for each group with their endpoints in its environment: jest's global setup would start
 * them again for every mutant run. Sandboxes live in a fresh temp directory outside the checkout,
 * so a concurrent `npm test` or `npm run lint` never sees a mutated copy. Ends with the score per
 * module; reports/mutation/<group>.json and .html hold the details.
 */
import { execSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import startServers from '../test/setup/start-servers.js';
import stopServers from '../test/setup/stop-servers.js';

const STRYKER = resolve('node_modules/@stryker-mutator/core/bin/stryker.js');
const REPORTS = 'reports';

const args = process.argv.slice(2);
const fromHead = args.includes('--head');
const workDirectory = mkdtempSync(join(tmpdir(), 'warehouse-connections-stryker-'));
const projectDirectory = fromHead ? snapshotOfHead(join(workDirectory, 'head')) : process.cwd();

/** The groups stryker.config.mjs knows: name -> modules and test files. */
const GROUPS = JSON.parse(readFileSync(join(projectDirectory, 'test/mutation/groups.json'), 'utf8')) as Record<string, unknown>;
const isGroup = (arg: string) => Object.hasOwn(GROUPS, arg);
const unknown = args.filter((arg, index) => !arg.startsWith('-') && !isGroup(arg) && !isOptionValue(index));
if (unknown.length > 0) {
  console.error(`Unknown group ${unknown.join(', ')}; groups: ${Object.keys(GROUPS).join(', ')}`);
  process.exit(2);
}
const named = args.filter(isGroup);
const groups = named.length > 0 ? named : Object.keys(GROUPS);
const strykerOptions = args.filter((arg) => !isGroup(arg) && arg !== '--head');

let interrupted = false;
let failed = false;
await startServers();
try {
  for (const group of groups) {
    if (interrupted) break;
    const started = Date.now();
    const stryker = spawn(process.execPath, [STRYKER, 'run', '--tempDirName', join(workDirectory, `sandbox-${group}`), ...strykerOptions], {
      cwd: projectDirectory,
      stdio: 'inherit',
      env: { ...process.env, STRYKER_GROUP: group },
    });
    // The test servers live in this process: if one dies, every later mutant would fail for that
    // reason and count as killed, so the run stops instead of reporting a false score.
    const serverFailed = (error: Error) => {
      console.error(`\nA test server failed (${error.message}); the run is stopped: its score would be false.`);
      stryker.kill('SIGTERM');
      process.exit(1);
    };
    process.once('uncaughtException', serverFailed);
    const forward = (signal: NodeJS.Signals) => {
      interrupted = true;
      stryker.kill(signal);
    };
    process.once('SIGINT', forward).once('SIGTERM', forward);
    const [code] = (await once(stryker, 'exit')) as [number | null];
    process.off('SIGINT', forward).off('SIGTERM', forward).off('uncaughtException', serverFailed);
    if (code !== 0) failed = true;
    console.log(`\n${group}: stryker exited ${code} after ${Math.round((Date.now() - started) / 1000)} s\n`);
  }
} finally {
  await stopServers();
  if (fromHead) for (const group of groups) copyReportsBack(group);
  rmSync(workDirectory, { recursive: true, force: true });
}
printScores(groups);
process.exit(failed || interrupted ? 1 : 0);

/**
 * The committed tree, with earlier reports (for --incremental). This checkout's node_modules is
 * linked one level up, where the copy and Stryker's sandboxes beside it both find it.
 */
function snapshotOfHead(directory: string): string {
  mkdirSync(directory);
  execSync(`git archive HEAD | tar -x -C '${directory}'`, { stdio: ['ignore', 'ignore', 'inherit'] });
  symlinkSync(resolve('node_modules'), join(directory, '..', 'node_modules'), 'dir');
  if (existsSync(REPORTS)) cpSync(REPORTS, join(directory, REPORTS), { recursive: true });
  const commit = execSync('git rev-parse --short HEAD', { encoding: 'utf8' }).trim();
  console.log(`Mutating commit ${commit} (a copy in ${directory})`);
  return directory;
}

/**
 * Only this run's groups: the copy also holds the other groups' reports as they were when it was
 * made, and a run of another group that ended meanwhile must not be overwritten by them.
 */
function copyReportsBack(group: string): void {
  for (const path of [`mutation/${group}.json`, `mutation/${group}.html`, `stryker-incremental-${group}.json`]) {
    const produced = join(projectDirectory, REPORTS, path);
    if (!existsSync(produced)) continue;
    mkdirSync(dirname(join(REPORTS, path)), { recursive: true });
    cpSync(produced, join(REPORTS, path));
  }
}

/** `--concurrency 2`: the 2 is the option's value, not a group. */
function isOptionValue(index: number): boolean {
  const previous = args[index - 1];
  return previous !== undefined && previous.startsWith('--') && !previous.includes('=') && previous !== '--head';
}

interface Report {
  files: Record<string, { mutants: { status: string }[] }>;
}

/** Score = (killed + timeout) / (killed + timeout + survived + no coverage), as Stryker counts it. */
function printScores(groupNames: string[]): void {
  const header = ['module', 'killed', 'survived', 'timeout', 'no cov', 'errors', 'score'];
  const rows: string[][] = [];
  for (const group of groupNames) {
    let report: Report;
    try {
      report = JSON.parse(readFileSync(join(REPORTS, 'mutation', `${group}.json`), 'utf8')) as Report;
    } catch {
      continue;
    }
    for (const [file, { mutants }] of Object.entries(report.files)) {
      const count = (...statuses: string[]) => mutants.filter((mutant) => statuses.includes(mutant.status)).length;
      const [killed, survived, timeout, noCoverage] = [count('Killed'), count('Survived'), count('Timeout'), count('NoCoverage')];
      const valid = killed + survived + timeout + noCoverage;
      const score = valid === 0 ? 'n/a' : `${((100 * (killed + timeout)) / valid).toFixed(1)}%`;
      rows.push([file, ...[killed, survived, timeout, noCoverage, count('CompileError', 'RuntimeError')].map(String), score]);
    }
  }
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  for (const row of [header, ...rows]) console.log(row.map((cell, column) => cell.padEnd(widths[column]!)).join('  '));
}
