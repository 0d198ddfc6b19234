import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { DuckDBInstance } from '@duckdb/node-api';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadProbe } from '../../lib/providers/probe-loaders.js';
import { runProbe } from '../../lib/providers/probe.js';
import { classifyMotherduckFailure, type MotherduckDefinition, type MotherduckStep } from '../../lib/providers/motherduck/failures.js';
import { NativeCalls } from '../../lib/providers/motherduck/native-calls.js';
import { checkSession } from '../../lib/providers/motherduck/probe.js';
import { motherduckDriverOptions } from '../../lib/providers/motherduck/driver-options.js';
import { DUCKDB_HARDENING, instanceConfig, motherduckPath } from '../../lib/providers/motherduck/settings.js';
import { ProbeFailure, StageClock, type ProbeLimits, type Verdict } from '../../lib/providers/verdict.js';
import { parseConnectionRequest } from '../../lib/schema/connection.js';
import { startBlackholeServer } from '../fakes/blackhole-server.js';
import { startExtensionRepository, type ExtensionRepository } from '../fakes/motherduck-extension-repository.js';
import { CANARY, motherduckBody } from '../helpers/bodies.js';
import { stagesThrough } from '../helpers/stages.js';
import { expectNoSecrets, watchOutput } from './leak-guard.js';

/**
 * The MotherDuck probe with the real @duckdb/node-api. DuckDB fetches the MotherDuck extension at
 * run time; here its extension repository is a loopback stand-in (test/fakes/motherduck-extension-
 * repository.ts) that answers 404, garbage, an unsigned extension, or nothing. The real extension's
 * sign-in and ATTACH against MotherDuck's service cannot run offline: the session checks that follow
 * it run against a real in-memory DuckDB, and the classifier is tested with MotherDuck's messages.
 */
const LIMITS: ProbeLimits = { connectTimeoutMs: 2_000, statementTimeoutMs: 2_000, deadlineMs: 5_000 };
const definition = async (credentials: Record<string, unknown> = {}, overrides: Record<string, unknown> = {}) =>
  (await parseConnectionRequest(motherduckBody(overrides, credentials))) as MotherduckDefinition;

let repository: ExtensionRepository;
let version: string;
let platform: string;
beforeAll(async () => {
  repository = await startExtensionRepository();
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  const row = (
    await connection.runAndReadAll('SELECT version() AS version, (SELECT platform FROM pragma_platform()) AS platform')
  ).getRowObjects()[0]!;
  [version, platform] = [String(row.version), String(row.platform)];
  connection.closeSync();
  instance.closeSync();
});
afterAll(() => repository.close());

async function probe(limits: Partial<ProbeLimits> = {}, credentials: Record<string, unknown> = {}) {
  const run = await loadProbe('motherduck');
  return watchOutput(async () =>
    runProbe(run, await definition(credentials), { ...LIMITS, motherduckExtensionRepository: repository.origin, ...limits }),
  );
}

function expectVerdict(verdict: Verdict, code: string, message: RegExp, stages: readonly ('connect' | 'sign_in')[]) {
  expect(verdict).toEqual({ success: false, code, error: expect.stringMatching(message), stages: stagesThrough(stages, 'failed') });
}

describe('the DuckDB instance is hardened with settings the installed DuckDB has', () => {
  test('every setting the probe opens DuckDB with is read back from a real instance as set', async () => {
    const work = mkdtempSync(join(tmpdir(), 'motherduck-settings-'));
    const config = instanceConfig({ extensions: join(work, 'extensions'), work }, 'http://127.0.0.1:9');
    const instance = await DuckDBInstance.create(':memory:', config);
    const connection = await instance.connect();
    const names = Object.keys(config);
    const rows = (
      await connection.runAndReadAll(
        `SELECT name, value FROM duckdb_settings() WHERE name IN (${names.map((_, i) => `$${i + 1}`).join(', ')})`,
        names,
      )
    ).getRowObjects();
    connection.closeSync();
    instance.closeSync();
    rmSync(work, { recursive: true, force: true });
    expect(rows.map((row) => row.name).sort()).toEqual([...names].sort());
    const value = (name: string) => String(rows.find((row) => row.name === name)!.value);
    expect(value('allow_unsigned_extensions')).toBe('false');
    expect(value('allow_community_extensions')).toBe('false');
    expect(value('allow_persistent_secrets')).toBe('false');
    expect(value('threads')).toBe('1');
    expect(value('custom_extension_repository')).toBe('http://127.0.0.1:9');
    expect(value('extension_directory').startsWith(work)).toBe(true);
    expect(value('temp_directory').startsWith(work)).toBe(true);
  });

  test('the token cannot be given to an in-memory instance, so the probe opens the md: path itself', async () => {
    await expect(DuckDBInstance.create(':memory:', { motherduck_token: CANARY.motherduckToken })).rejects.toThrow(/not recognized/);
    expect(motherduckPath('analytics')).toBe('md:analytics?saas_mode=true');
  });

  test('with external access off DuckDB will not load the MotherDuck extension at all (why it stays on)', async () => {
    const work = mkdtempSync(join(tmpdir(), 'motherduck-settings-'));
    const { enable_external_access: _on, ...config } = instanceConfig({ extensions: join(work, 'extensions'), work }, repository.origin);
    // Last: once it is off, DuckDB refuses to change the directories and repository after it.
    Object.assign(config, { enable_external_access: 'false' });
    await expect(DuckDBInstance.create(motherduckPath('analytics'), config)).rejects.toThrow(/disabled through configuration/);
    rmSync(work, { recursive: true, force: true });
  });
});

describe('the MotherDuck extension comes from the configured repository, signed, or the test fails classified', () => {
  test('the install asks the repository for motherduck.duckdb_extension.gz of this DuckDB and platform; a 404 is warehouse_unavailable', async () => {
    repository.answer = 'not_found';
    const before = repository.requests.length;
    const result = await probe();
    expectVerdict(
      result.verdict,
      'warehouse_unavailable',
      /^The MotherDuck extension could not be downloaded: the extension repository answered HTTP 404\.$/,
      ['connect'],
    );
    expect(repository.requests.slice(before)).toEqual([`/${version}/${platform}/motherduck.duckdb_extension.gz`]);
    expectNoSecrets(result, [CANARY.motherduckToken]);
    expect(result.verdict.success || result.verdict.error).not.toMatch(/127\.0\.0\.1|duckdb\.org|http/);
  });

  test('garbage from the repository is warehouse_unavailable', async () => {
    repository.answer = 'garbage';
    const result = await probe();
    expectVerdict(
      result.verdict,
      'warehouse_unavailable',
      /^The extension repository served something that is not a loadable MotherDuck extension\.$/,
      ['connect'],
    );
    expectNoSecrets(result, [CANARY.motherduckToken]);
  });

  test('an unsigned extension is refused (allow_unsigned_extensions=false) and never installed', async () => {
    repository.answer = 'unsigned_extension';
    const result = await probe();
    expectVerdict(
      result.verdict,
      'warehouse_unavailable',
      /^The MotherDuck extension from the extension repository was refused: it is not signed by DuckDB\.$/,
      ['connect'],
    );
    expectNoSecrets(result, [CANARY.motherduckToken]);
  });

  test('failed installs one after another are each classified by their own cause (a cleanup never runs under the next install)', async () => {
    const unsigned = /^The MotherDuck extension from the extension repository was refused: it is not signed by DuckDB\.$/;
    const garbage = /^The extension repository served something that is not a loadable MotherDuck extension\.$/;
    for (let round = 0; round < 6; round += 1) {
      repository.answer = round % 2 === 0 ? 'garbage' : 'unsigned_extension';
      const result = await probe();
      expectVerdict(result.verdict, 'warehouse_unavailable', round % 2 === 0 ? garbage : unsigned, ['connect']);
    }
  });

  test('a repository that refuses connections is warehouse_unavailable', async () => {
    const closed = await startExtensionRepository();
    await closed.setMode('refuse');
    const result = await probe({ motherduckExtensionRepository: closed.origin });
    await closed.close();
    expectVerdict(
      result.verdict,
      'warehouse_unavailable',
      /^The extension repository that serves the MotherDuck extension could not be reached/,
      ['connect'],
    );
  });

  test('a repository that never answers ends in timeout within the deadline; the stranded download is let go', async () => {
    const blackhole = await startBlackholeServer();
    const deadlineMs = 1_000;
    const started = performance.now();
    const result = await probe({ motherduckExtensionRepository: blackhole.origin, deadlineMs });
    const waited = performance.now() - started;
    expect(result.verdict).toMatchObject({ success: false, code: 'timeout', stages: stagesThrough(['connect'], 'failed') });
    // The budget is the deadline plus the loop's turn to deliver it: never the download's own minutes.
    expect(waited).toBeLessThan(deadlineMs + 2_000);
    expect(blackhole.accepted).toBe(1);
    await blackhole.close(); // the download's socket closes: DuckDB's call returns and its thread is free
  });

  test('no file is opened or left in the working directory, and the per-test directory is removed', async () => {
    repository.answer = 'not_found';
    const cwd = readdirSync(process.cwd()).sort();
    const temporary = () => readdirSync(tmpdir()).filter((name) => name.startsWith('motherduck-test-'));
    const before = temporary();
    await probe();
    await new Promise((resolve) => setTimeout(resolve, 100)); // closing waits for DuckDB's last call
    expect(readdirSync(process.cwd()).sort()).toEqual(cwd);
    expect(temporary()).toEqual(before);
  });
});

describe('once signed in: SELECT 1 and the schema, on a real DuckDB', () => {
  /** An in-memory DuckDB with a database attached under the MotherDuck database's name, as the md: open leaves it. */
  async function session(schemas: string[]) {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    await connection.run("ATTACH ':memory:' AS analytics");
    for (const schema of schemas) await connection.run(`CREATE SCHEMA analytics."${schema}"`);
    return { connection, close: () => (connection.closeSync(), instance.closeSync()) };
  }
  const check = async (schemas: string[], datasetId: string) => {
    const { connection, close } = await session(schemas);
    const stages = new StageClock();
    const signal = new AbortController().signal;
    try {
      await checkSession(connection, await definition({}, { dataset_id: datasetId }), LIMITS, new NativeCalls(signal), {
        stages,
        context: { definition: await definition(), step: 'query' },
      });
      return { ok: true as const, stages: stages.finish(true) };
    } catch (error) {
      return { ok: false as const, error: error as ProbeFailure, stages: stages.finish(false) };
    } finally {
      close();
    }
  };

  test('the schema in dataset_id exists: the test passes query and schema_access', async () => {
    const result = await check(['reporting'], 'reporting');
    expect(result).toEqual({ ok: true, stages: stagesThrough(['query', 'schema_access'], 'passed') });
  });

  test("DuckDB's default schema main is found without being created", async () => {
    expect((await check([], 'main')).ok).toBe(true);
  });

  test('a missing schema is object_not_found with the CREATE SCHEMA that fixes it', async () => {
    const result = await check(['other'], 'reporting');
    expect(result.ok).toBe(false);
    expect(result.stages).toEqual(stagesThrough(['query', 'schema_access'], 'failed'));
    expect(result.ok || [result.error.code, result.error.message, result.error.hint]).toEqual([
      'object_not_found',
      "The schema 'reporting' does not exist in the MotherDuck database 'analytics'.",
      'CREATE SCHEMA analytics."reporting";',
    ]);
  });

  test('a schema name is a parameter, never SQL text', async () => {
    const result = await check(['reporting'], "reporting' OR '1'='1");
    expect(result.ok || result.error.code).toBe('object_not_found');
  });

  test('the configuration is locked once signed in', async () => {
    const { connection, close } = await session([]);
    await checkSession(connection, await definition({}, { dataset_id: 'main' }), LIMITS, new NativeCalls(new AbortController().signal), {
      stages: new StageClock(),
      context: { definition: await definition(), step: 'query' },
    });
    await expect(connection.run('SET enable_external_access = true')).rejects.toThrow(/locked/);
    close();
  });
});

describe("MotherDuck's answers are classified by their meaning, never repeated", () => {
  const SERVER_TEXT = 'request id 81941733 quoted server text';
  const cases: [string, MotherduckStep, string, string, RegExp][] = [
    [
      'an invalid token',
      'sign_in',
      `Invalid Error: Request failed: Your request is not authenticated. Please check your MotherDuck token. (Jwt is not in the form of Header.Payload.Signature, ${SERVER_TEXT})`,
      'auth_failed',
      /refused the access token/,
    ],
    [
      'an expired token',
      'sign_in',
      `Invalid Input Error: Failed to connect: UNAUTHENTICATED: token has expired (${SERVER_TEXT})`,
      'auth_failed',
      /invalid, expired or revoked/,
    ],
    [
      'a database that does not exist',
      'sign_in',
      `Catalog Error: Failed to attach 'analytics': no database/share named 'analytics' found (${SERVER_TEXT})`,
      'object_not_found',
      /no database 'analytics'/,
    ],
    [
      'a database shared without access',
      'sign_in',
      `Invalid Error: PERMISSION_DENIED: ${SERVER_TEXT}`,
      'permission_denied',
      /may not use the MotherDuck database 'analytics'/,
    ],
    [
      'no network',
      'sign_in',
      `IO Error: UNAVAILABLE: DNS resolution failed for api.motherduck.com (${SERVER_TEXT})`,
      'warehouse_unavailable',
      /could not be reached/,
    ],
    ['anything else at sign-in', 'sign_in', `Invalid Error: ${SERVER_TEXT}`, 'warehouse_error', /did not accept the sign-in/],
    ['anything else later', 'query', `Binder Error: ${SERVER_TEXT}`, 'warehouse_error', /did not expect/],
    [
      'an extension the installer could not read',
      'extension',
      `IO Error: Extension "/tmp/x" could not be loaded: invalid ELF header ${SERVER_TEXT}`,
      'warehouse_unavailable',
      /not a loadable MotherDuck extension/,
    ],
  ];
  test.each(cases)('%s', async (_, step, message, code, text) => {
    const failure = classifyMotherduckFailure(new Error(message), { definition: await definition(), step });
    expect(failure.code).toBe(code);
    expect(failure.message).toMatch(text);
    expect(`${failure.message} ${failure.hint ?? ''}`).not.toContain('81941733');
    expect(failure.cause).toEqual({ name: 'Error' });
  });
});

describe('the resolve function hands workers the md: path and the token as configuration', () => {
  test('driver options: no local path, the hardening, no address', async () => {
    const resolved = await motherduckDriverOptions(await definition(), { limits: LIMITS, signal: new AbortController().signal });
    expect(resolved).toEqual({
      driver: '@duckdb/node-api',
      options: {
        path: 'md:analytics?saas_mode=true',
        config: { ...DUCKDB_HARDENING, motherduck_token: CANARY.motherduckToken },
        schema: 'reporting',
      },
      tls: null,
      address: null,
      expiresAt: null,
    });
  });
});
