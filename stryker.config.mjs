// @ts-check
import { readFileSync } from 'node:fs';

/**
 * Mutation testing (StrykerJS) of the modules where a silent bug is a breach, one group of modules
 * at a time. Run it with `npm run mutate [-- <group>...]` (scripts/mutate.ts): it starts the test
 * servers once and runs Stryker with STRYKER_GROUP set for each group. docs/testing.md has the
 * scores and the survivors judged equivalent.
 *
 * Each group names the test files that exercise its modules in process. Per-test coverage
 * (`perTest`) then picks, for each mutant, the tests that ran its code; a mutant in code that runs
 * when a module loads (a schema, a constant) runs all of its group's test files, so the lists stay
 * short. A new test file that guards one of these modules goes into its group.
 */

/** Group name -> the modules it mutates and the test files that run them (test/mutation/groups.json). */
const GROUPS = JSON.parse(readFileSync(new URL('./test/mutation/groups.json', import.meta.url), 'utf8'));

const groupName = process.env.STRYKER_GROUP ?? '';
/** @type {{ mutate: string[], tests: string[] } | undefined} */
const group = GROUPS[groupName];
if (!group) throw new Error(`STRYKER_GROUP must be one of ${Object.keys(GROUPS).join(', ')}: run \`npm run mutate\``);

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  mutate: group.mutate,
  testRunner: 'jest',
  // The suite is ESM: jest needs vm modules in every test runner process, as in `npm test`.
  testRunnerNodeArgs: ['--experimental-vm-modules', '--disable-warning=ExperimentalWarning'],
  jest: {
    projectType: 'custom',
    configFile: 'jest.config.js',
    config: {
      // scripts/mutate.ts starts dynalite, the local KMS and PostgreSQL once; jest's own global
      // setup would start (and stop) them again for each of the mutant runs.
      globalSetup: '<rootDir>/test/mutation/servers-ready.js',
      globalTeardown: null,
      testMatch: group.tests.map((path) => `<rootDir>/${path}`),
    },
    // The handlers reach lib/ through the route table's dynamic imports, which jest's
    // --findRelatedTests cannot follow: per-test coverage selects the tests instead.
    enableFindRelatedTests: false,
  },
  coverageAnalysis: 'perTest',
  checkers: ['typescript'],
  // lib/ only: a mutant that does not compile there is dropped; type errors it would cause in
  // tests do not matter (ts-jest transpiles without type checking).
  tsconfigFile: 'tsconfig.mutate.json',
  // Two shared cores: one test runner and one checker.
  concurrency: 1,
  timeoutMS: 10_000,
  reporters: ['clear-text', 'progress-append-only', 'html', 'json'],
  clearTextReporter: { reportTests: false, reportMutants: true, reportScoreTable: true },
  htmlReporter: { fileName: `reports/mutation/${groupName}.html` },
  jsonReporter: { fileName: `reports/mutation/${groupName}.json` },
  incrementalFile: `reports/stryker-incremental-${groupName}.json`,
  thresholds: { high: 90, low: 80, break: null },
  // Not needed by the tests; keeps the sandbox copy small. docs/ stays: the API tests check every
  // response against docs/openapi.yaml.
  ignorePatterns: ['/cdk.out', '/.data', '/dist', '/coverage', '/.bench', '/.esb-tmp', '/.scratch', '/bench', '/reports/mutation'],
  cleanTempDir: 'always',
};
