import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { errorFields, log } from '../../log.js';
import type { Probe } from '../probe.js';
import { ProbeFailure, seconds, type ProbeLimits } from '../verdict.js';
import { useExtensionDirectory } from './extension-directory.js';
import { classifyMotherduckFailure, type MotherduckContext, type MotherduckDefinition } from './failures.js';
import { NativeCalls } from './native-calls.js';
import { instanceConfig, motherduckPath } from './settings.js';

type Driver = typeof import('@duckdb/node-api');

/**
 * The DuckDB driver is native (duckdb.node and libduckdb.so for the platform): loaded here, on first
 * use, so that a runtime without the binding answers a classified failure instead of crashing.
 */
async function loadDriver(): Promise<Driver> {
  try {
    return await import('@duckdb/node-api');
  } catch (error) {
    log.error('motherduck.driver_unavailable', errorFields(error));
    throw new ProbeFailure('warehouse_error', 'The DuckDB driver the MotherDuck test needs could not be loaded by the service.');
  }
}

/**
 * With @duckdb/node-api, hardened before anything runs (settings.ts): installs the MotherDuck
 * extension from the extension repository into an in-memory instance that holds no token, then
 * opens `md:<database>` with the token as configuration, runs `SELECT 1`, and checks that the schema
 * in dataset_id exists in the database. Nothing on the service's disk is opened as a database.
 */
export const probeMotherduck: Probe = async (definition, limits, signal, stages) => {
  if (definition.provider !== 'motherduck') throw new Error('probeMotherduck needs a motherduck connection');
  const context: MotherduckContext = { definition, step: 'extension' };
  stages.begin('connect');
  const calls = new NativeCalls(signal);
  const { DuckDBInstance } = await loadDriver();
  const work = await mkdtemp(join(tmpdir(), 'motherduck-test-'));
  const extensions = useExtensionDirectory(limits.motherduckExtensionRepository);
  const config = instanceConfig({ extensions: extensions.path, work }, limits.motherduckExtensionRepository);
  const connections: DuckDBConnection[] = [];
  const interrupt = () => connections.forEach((connection) => connection.interrupt());
  signal.addEventListener('abort', interrupt, { once: true });
  const opened = async (instance: InstanceType<Driver['DuckDBInstance']>) => {
    calls.onClose(() => instance.closeSync());
    const connection = await calls.run(
      () => instance.connect(),
      limits.connectTimeoutMs,
      () => timeout(limits.connectTimeoutMs),
    );
    calls.onClose(() => connection.closeSync());
    connections.push(connection);
    return connection;
  };
  try {
    // The extension, installed where no token is: a download that fails ends here.
    const setup = await opened(
      await calls.run(
        () => DuckDBInstance.create(':memory:', config),
        limits.connectTimeoutMs,
        () => timeout(limits.connectTimeoutMs),
      ),
    );
    await calls.run(
      () => setup.run('INSTALL motherduck'),
      limits.deadlineMs,
      () => timeout(limits.deadlineMs),
    );

    stages.begin('sign_in');
    context.step = 'sign_in';
    const { token, database } = definition.credentials;
    const instance = await calls.run(
      () => DuckDBInstance.create(motherduckPath(database), { ...config, motherduck_token: token }),
      limits.connectTimeoutMs,
      () => timeout(limits.connectTimeoutMs),
    );
    const connection = await opened(instance);
    await checkSession(connection, definition, limits, calls, { stages, context });
  } catch (error) {
    // Whatever the install left (a partial download, a file that did not load) is not used by the next test.
    if (context.step === 'extension') extensions.retire();
    throw classifyMotherduckFailure(error, context);
  } finally {
    signal.removeEventListener('abort', interrupt);
    calls.closeWhenDone(async () => {
      await rm(work, { recursive: true, force: true });
      await extensions.release();
    });
  }
};

interface Progress {
  stages: { begin(name: 'query' | 'schema_access'): void };
  context: MotherduckContext;
}

/**
 * On a signed-in connection: locks the configuration, runs `SELECT 1`, then looks the schema up in
 * `duckdb_schemas()` with the names as parameters (never in the SQL text).
 */
export async function checkSession(
  connection: DuckDBConnection,
  definition: MotherduckDefinition,
  limits: ProbeLimits,
  calls: NativeCalls,
  { stages, context }: Progress,
): Promise<void> {
  const statement = <T>(run: () => Promise<T>) =>
    calls.run(
      run,
      limits.statementTimeoutMs,
      () => new ProbeFailure('timeout', `The test statement did not finish within ${seconds(limits.statementTimeoutMs)}.`),
    );
  stages.begin('query');
  context.step = 'query';
  await statement(() => connection.run('SET lock_configuration = true'));
  const one = await statement(() => connection.runAndReadAll('SELECT 1 AS ok'));
  if (one.getRowObjects()[0]?.ok !== 1)
    throw new ProbeFailure('warehouse_error', 'MotherDuck answered SELECT 1 with something other than 1.');

  stages.begin('schema_access');
  context.step = 'schema';
  const { database } = definition.credentials;
  const schema = definition.dataset_id;
  const found = await statement(() =>
    connection.runAndReadAll(
      'SELECT count(*)::INTEGER AS n FROM duckdb_schemas() WHERE lower(database_name) = lower($1) AND lower(schema_name) = lower($2)',
      [database, schema],
    ),
  );
  if (found.getRowObjects()[0]?.n !== 1) {
    throw new ProbeFailure('object_not_found', `The schema '${schema}' does not exist in the MotherDuck database '${database}'.`, {
      hint: `CREATE SCHEMA ${database}."${schema.replace(/"/g, '""')}";`,
    });
  }
}

function timeout(ms: number): ProbeFailure {
  return new ProbeFailure('timeout', `MotherDuck did not answer within ${seconds(ms)}.`);
}
