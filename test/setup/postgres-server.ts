import { execFile } from 'node:child_process';
import { chmod, chown, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { makeTestCertificates, type TestCertificates } from './certificates.js';

const run = promisify(execFile);

/**
 * A private PostgreSQL cluster for the tests: initdb + pg_ctl in a temp dir, on a free loopback
 * port, password (SCRAM) authentication over TCP. As root it runs as the `postgres` user, since
 * PostgreSQL refuses to run as root.
 */
export interface TestPostgres {
  host: string;
  port: number;
  superuser: { username: string; password: string };
  directory: string;
  certificates?: TestCertificates;
  stop(): Promise<void>;
}

/** With `tls`, the server also accepts TLS (ssl = on) with a certificate from a private test CA. */
export async function startTestPostgres(options: { tls?: boolean } = {}): Promise<TestPostgres> {
  const bin = await findPostgresBin();
  const directory = await mkdtemp(join(tmpdir(), 'wc-postgres-'));
  const dataDir = join(directory, 'data');
  const superuser = { username: 'postgres', password: `super-${Math.random().toString(36).slice(2)}` };
  const port = await freePort();
  const asOwner = await ownerCommand(directory);

  await writeFile(join(directory, 'pwfile'), superuser.password);
  await asOwner.prepare([join(directory, 'pwfile')]);
  const certificates = options.tls ? await makeTestCertificates(directory) : undefined;
  if (certificates) await asOwner.prepare([certificates.serverCertificateFile, certificates.serverKeyFile]);
  const tlsConfig = certificates
    ? ['ssl = on', `ssl_cert_file = '${certificates.serverCertificateFile}'`, `ssl_key_file = '${certificates.serverKeyFile}'`]
    : [];
  await asOwner.exec(join(bin, 'initdb'), [
    '-D',
    dataDir,
    '-U',
    superuser.username,
    '--pwfile',
    join(directory, 'pwfile'),
    '--auth-local=trust',
    '--auth-host=scram-sha-256',
    '-E',
    'UTF8',
    '--no-sync',
  ]);
  await writeFile(
    join(dataDir, 'postgresql.auto.conf'),
    [
      `listen_addresses = '127.0.0.1'`,
      `port = ${port}`,
      `unix_socket_directories = '${directory}'`,
      'fsync = off',
      'synchronous_commit = off',
      'full_page_writes = off',
      ...tlsConfig,
    ].join('\n'),
  );
  await asOwner.prepare([join(dataDir, 'postgresql.auto.conf')]);
  await asOwner.exec(join(bin, 'pg_ctl'), ['-D', dataDir, '-l', join(directory, 'server.log'), '-w', '-t', '60', 'start']);

  return {
    host: '127.0.0.1',
    port,
    superuser,
    directory,
    ...(certificates ? { certificates } : {}),
    async stop() {
      await asOwner.exec(join(bin, 'pg_ctl'), ['-D', dataDir, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/** Runs SQL as the superuser, for test fixtures. */
export async function asSuperuser<T>(server: TestPostgres, database: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({
    host: server.host,
    port: server.port,
    user: server.superuser.username,
    password: server.superuser.password,
    database,
  });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function findPostgresBin(): Promise<string> {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const versions = await readdir('/usr/lib/postgresql').catch(() => [] as string[]);
  const newest = versions.filter((name) => /^\d+$/.test(name)).sort((a, b) => Number(b) - Number(a))[0];
  if (!newest) throw new Error('PostgreSQL server binaries not found: install postgresql (apt-get install postgresql) or set PG_BIN');
  return `/usr/lib/postgresql/${newest}/bin`;
}

async function ownerCommand(directory: string) {
  const isRoot = process.getuid?.() === 0;
  if (!isRoot) return { prepare: async (_files: string[]) => undefined, exec: (file: string, args: string[]) => run(file, args) };
  const { stdout } = await run('id', ['-u', 'postgres']).catch(() => {
    throw new Error('Running as root needs the postgres system user (installed with the postgresql package)');
  });
  const uid = Number(stdout.trim());
  await chown(directory, uid, -1);
  await chmod(directory, 0o700);
  return {
    prepare: async (files: string[]) => {
      for (const file of files) await chown(file, uid, -1);
    },
    exec: (file: string, args: string[]) => run('runuser', ['-u', 'postgres', '--', file, ...args], { cwd: directory }),
  };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
