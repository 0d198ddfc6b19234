import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

export interface ClickhouseCertificates {
  /** The private CA that signed the server certificate. */
  ca: string;
  /** A CA that signed nothing here: verification against it must fail. */
  otherCa: string;
  serverKey: string;
  serverCertificate: string;
}

/** The ClickHouse Cloud name the tests give a loopback stand-in (a test lookup resolves it). */
export const CLOUD_HOST = 'abc123xyz.eu-west-1.aws.clickhouse.cloud';

/**
 * A private CA and a server certificate for `localhost` and `*.eu-west-1.aws.clickhouse.cloud`:
 * DNS names only, no IP address, so verify-full against 127.0.0.1 fails on the name while
 * verify-ca passes. EC keys: made in milliseconds.
 */
export async function makeClickhouseCertificates(): Promise<ClickhouseCertificates> {
  const directory = await mkdtemp(join(tmpdir(), 'clickhouse-certificates-'));
  const openssl = (args: string[]) => promisify(execFile)('openssl', args, { cwd: directory });
  const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  try {
    await Promise.all([
      openssl(['req', '-x509', ...ecKey, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=clickhouse test CA']),
      openssl(['req', '-x509', ...ecKey, '-keyout', 'other.key', '-out', 'other.crt', '-days', '2', '-subj', '/CN=unrelated CA']),
      openssl(['req', ...ecKey, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost']),
      writeFile(
        join(directory, 'server.ext'),
        `subjectAltName=DNS:localhost,DNS:*.eu-west-1.aws.clickhouse.cloud\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`,
      ),
    ]);
    await openssl([
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'server.crt',
      '-days',
      '2',
      '-extfile',
      'server.ext',
    ]);
    const read = (name: string) => readFile(join(directory, name), 'utf8');
    return {
      ca: await read('ca.crt'),
      otherCa: await read('other.crt'),
      serverKey: await read('server.key'),
      serverCertificate: await read('server.crt'),
    };
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}
