/**
 * Mutation testing of the modules in stryker.config.mjs, one group at a time:
 *
 *   npm run mutate                          every group
 *   npm run mutate -- store http            some groups
 *   npm run mutate -- crypto --incremental  any other option goes to `stryker run`
 *
 * Starts dynalite, the local KMS and PostgreSQL once (the setup of `npm test`) and runs Stryker
 * for each group with their endpoints in its environment: jest's global setup would start a
 * PostgreSQL cluster for every mutant run. Sandboxes live in a fresh temp directory outside the
 * checkout, so a concurrent `npm test` or `npm run lint` never sees a mutated copy. Ends with the
 * score per module (reports/mutation/<group>.json and .html hold the details).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import startServers from '../test/setup/start-servers.js';
import stopServers from '../test/setup/stop-servers.js';

const STRYKER = 'node_modules/@stryker-mutator/core/bin/stryker.js';
/** The groups stryker.config.mjs knows: name -> modules and test files. */
const GROUPS = JSON.parse(readFileSync('test/mutation/groups.json', 'utf8')) as Record<string, unknown>;

const args = process.argv.slice(2);
const named = args.filter((arg) => arg in GROUPS);
const unknown = args.filter((arg) => !arg.startsWith('-') && !(arg in GROUPS) && !isOptionValue(arg));
if (unknown.length > 0) {
  console.error(`Unknown group ${unknown.join(', ')}; groups: ${Object.keys(GROUPS).join(', ')}`);
  process.exit(2);
}
const groups = named.length > 0 ? named : Object.keys(GROUPS);
const strykerOptions = args.filter((arg) => !(arg in GROUPS));

const sandboxParent = mkdtempSync(join(tmpdir(), 'warehouse-connections-stryker-'));
let interrupted = false;
let failed = false;
await startServers();
try {
  for (const group of groups) {
    if (interrupted) break;
    const started = Date.now();
    const stryker = spawn(process.execPath, [STRYKER, 'run', '--tempDirName', join(sandboxParent, group), ...strykerOptions], {
      stdio: 'inherit',
      env: { ...process.env, STRYKER_GROUP: group },
    });
    const forward = (signal: NodeJS.Signals) => {
      interrupted = true;
      stryker.kill(signal);
    };
    process.once('SIGINT', forward).once('SIGTERM', forward);
    const [code] = (await once(stryker, 'exit')) as [number | null];
    process.off('SIGINT', forward).off('SIGTERM', forward);
    if (code !== 0) failed = true;
    console.log(`\n${group}: stryker exited ${code} after ${Math.round((Date.now() - started) / 1000)} s\n`);
  }
} finally {
  await stopServers();
  rmSync(sandboxParent, { recursive: true, force: true });
}
printScores(groups);
process.exit(failed || interrupted ? 1 : 0);

/** `--concurrency 2`: the 2 is the option's value, not a group. */
function isOptionValue(arg: string): boolean {
  const index = args.indexOf(arg);
  return index > 0 && args[index - 1]!.startsWith('--') && !args[index - 1]!.includes('=');
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
      report = JSON.parse(readFileSync(`reports/mutation/${group}.json`, 'utf8')) as Report;
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
