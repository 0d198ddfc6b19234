import { execFile } from 'node:child_process';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const openssl = (args: string[], cwd: string) => promisify(execFile)('openssl', args, { cwd });

export interface TestCertificates {
  caCertificate: string;
  serverCertificateFile: string;
  serverKeyFile: string;
  /** A CA that signed nothing here: verification against it must fail. */
  otherCaCertificate: string;
}

/**
 * A private CA and a server certificate for `localhost` (DNS name only, no IP SAN, so that
 * verify-full against 127.0.0.1 fails on the name while verify-ca passes).
 */
export async function makeTestCertificates(directory: string): Promise<TestCertificates> {
  const subject = (name: string) => ['-subj', `/CN=${name}`];
  await openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '2',
      ...subject('warehouse-connections test CA'),
    ],
    directory,
  );
  await openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'other-ca.key',
      '-out',
      'other-ca.crt',
      '-days',
      '2',
      ...subject('unrelated CA'),
    ],
    directory,
  );
  await openssl(
    ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', ...subject('localhost')],
    directory,
  );
  await writeFile(
    join(directory, 'server.ext'),
    'subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n',
  );
  await openssl(
    [
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
    ],
    directory,
  );
  await chmod(join(directory, 'server.key'), 0o600); // PostgreSQL refuses a key others can read
  return {
    caCertificate: await readFile(join(directory, 'ca.crt'), 'utf8'),
    otherCaCertificate: await readFile(join(directory, 'other-ca.crt'), 'utf8'),
    serverCertificateFile: join(directory, 'server.crt'),
    serverKeyFile: join(directory, 'server.key'),
  };
}
