import { execFile, spawn } from 'node:child_process';
import { access, chmod, chown, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { makeTestCertificates, type TestCertificates } from './certificates.js';
import { freePort } from './postgres-server.js';

const run = promisify(execFile);

/**
 * A private MariaDB server for the tests: mariadb-install-db into a temp dir, then mariadbd on a
 * free loopback port (TCP only for clients: its socket file stays in the temp dir, nothing in /run).
 * As root it runs as the `mysql` user (mariadbd drops to it itself). The fixtures are created by
 * an init file the server runs before it accepts a connection, so the tests need no admin account:
 * root can only log in through the server's socket file, as the user the server runs as.
 */
export interface TestMariadb {
  host: string;
  port: number;
  directory: string;
  certificates?: TestCertificates;
  stop(): Promise<void>;
}

/** How long install and start may take: seconds normally, longer with two suites on two cores. */
const STARTUP_BUDGET_MS = 60_000;

/** Small, unsafe-on-crash settings: the data is thrown away after the run. */
const SERVER_SETTINGS = [
  '--skip-name-resolve',
  '--skip-log-bin',
  '--innodb-buffer-pool-size=16M',
  '--innodb-log-file-size=4M',
  '--innodb-data-file-path=ibdata1:4M:autoextend',
  '--innodb-flush-log-at-trx-commit=0',
  '--innodb-doublewrite=0',
];

/** With `tls`, the server also accepts TLS with a certificate from a private test CA; `initSql` runs at startup. */
export async function startTestMariadb(options: { tls?: boolean; initSql?: readonly string[] } = {}): Promise<TestMariadb> {
  const { installDb, mariadbd } = await findMariadbBinaries();
  const directory = await mkdtemp(join(tmpdir(), 'wc-mariadb-'));
  const dataDir = join(directory, 'data');
  const port = await freePort();
  const owner = await serverOwner(directory);

  const initFile = join(directory, 'init.sql');
  await writeFile(initFile, (options.initSql ?? []).map((statement) => `${statement};\n`).join(''));
  // The certificates and the data directory do not depend on each other: made at the same time.
  const [certificates] = await Promise.all([
    options.tls ? makeTestCertificates(directory) : undefined,
    // Its own temporary directory: two servers set up at once (two suites) collide in a shared /tmp.
    run(
      installDb,
      ['--no-defaults', `--datadir=${dataDir}`, `--tmpdir=${directory}`, ...owner.userOption, '--skip-test-db', ...SERVER_SETTINGS],
      {
        timeout: STARTUP_BUDGET_MS,
      },
    ).catch((error: unknown) => {
      throw new Error(`mariadb-install-db failed: ${(error as { stderr?: string }).stderr ?? String(error)}`);
    }),
  ]);
  await owner.prepare([initFile, ...(certificates ? [certificates.serverCertificateFile, certificates.serverKeyFile] : [])]);

  const serverLog = join(directory, 'server.log');
  const server = spawn(
    mariadbd,
    [
      '--no-defaults',
      ...owner.userOption,
      `--datadir=${dataDir}`,
      `--tmpdir=${directory}`,
      `--port=${port}`,
      '--bind-address=127.0.0.1',
      `--socket=${join(directory, 'mariadbd.sock')}`,
      `--pid-file=${join(directory, 'mariadbd.pid')}`,
      `--log-error=${serverLog}`,
      `--init-file=${initFile}`,
      // Aborted handshakes (the TLS failure tests) must never get 127.0.0.1 blocked (error 1129).
      '--max-connect-errors=1000000',
      ...(certificates ? [`--ssl-cert=${certificates.serverCertificateFile}`, `--ssl-key=${certificates.serverKeyFile}`] : []),
      ...SERVER_SETTINGS,
    ],
    { stdio: 'ignore' },
  );
  const exited = new Promise<number | null>((resolve) => server.once('exit', (code) => resolve(code)));
  server.unref();

  const stop = async () => {
    if (server.exitCode === null && server.signalCode === null) {
      server.ref(); // keep the process alive until the server is gone
      server.kill('SIGKILL');
      await exited;
    }
    await rm(directory, { recursive: true, force: true });
  };
  try {
    await Promise.race([
      waitForGreeting(port),
      exited.then(async (code) => {
        const log = await readFile(serverLog, 'utf8').catch(() => '');
        throw new Error(`mariadbd exited (${code}) before accepting connections:\n${log.slice(-2_000)}`);
      }),
    ]);
  } catch (error) {
    await stop();
    throw error;
  }
  return { host: '127.0.0.1', port, directory, ...(certificates ? { certificates } : {}), stop };
}

/**
 * Ready once the server greets (MySQL protocol version 10): it runs the init file before it
 * accepts its first connection, so the fixtures exist by then.
 */
async function waitForGreeting(port: number): Promise<void> {
  const deadline = Date.now() + STARTUP_BUDGET_MS;
  while (Date.now() < deadline) {
    if (await greets(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`MariaDB did not accept connections on 127.0.0.1:${port} within ${STARTUP_BUDGET_MS / 1000} s`);
}

function greets(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (greeted: boolean) => {
      socket.destroy();
      resolve(greeted);
    };
    socket.once('data', (chunk: Buffer) => done(chunk.length > 4 && chunk[4] === 0x0a));
    socket.once('error', () => done(false));
    socket.once('close', () => done(false));
  });
}

async function findMariadbBinaries(): Promise<{ installDb: string; mariadbd: string }> {
  const directories = [process.env.MARIADB_BIN, ...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/local/sbin'].filter(
    (directory): directory is string => Boolean(directory),
  );
  const find = async (name: string) => {
    for (const directory of directories) {
      const file = join(directory, name);
      if (
        await access(file).then(
          () => true,
          () => false,
        )
      )
        return file;
    }
    throw new Error(`${name} not found: install mariadb-server (apt-get install mariadb-server) or set MARIADB_BIN`);
  };
  return { installDb: await find('mariadb-install-db'), mariadbd: await find('mariadbd') };
}

/** As root, the files the server reads and writes belong to `mysql`, and mariadbd is told to run as it. */
async function serverOwner(directory: string) {
  if (process.getuid?.() !== 0) return { userOption: [] as string[], prepare: async (_files: string[]) => undefined };
  const { stdout } = await run('id', ['-u', 'mysql']).catch(() => {
    throw new Error('Running as root needs the mysql system user (installed with the mariadb-server package)');
  });
  const uid = Number(stdout.trim());
  await chown(directory, uid, -1);
  await chmod(directory, 0o700);
  return {
    userOption: ['--user=mysql'],
    prepare: async (files: string[]) => {
      for (const file of files) await chown(file, uid, -1);
    },
  };
}
