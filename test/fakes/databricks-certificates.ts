import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface WorkspaceCertificates {
  /** The private CA that issued the workspace certificate (what the probe is told to trust). */
  caCertificate: string;
  /** A CA that issued nothing here: a probe trusting only it must fail the handshake. */
  otherCaCertificate: string;
  /** The workspace's certificate, for the DNS names given (no IP address), and its key. */
  certificate: string;
  key: string;
}

/**
 * Certificates for the Databricks stand-in, made with openssl in a temporary directory that is
 * removed afterwards: a workspace certificate names its hosts only, as a real one does.
 */
export async function makeWorkspaceCertificates(hosts: readonly string[]): Promise<WorkspaceCertificates> {
  const directory = await mkdtemp(join(tmpdir(), 'databricks-certificates-'));
  const openssl = (args: string[]) => run('openssl', args, { cwd: directory });
  const selfSigned = (name: string, file: string) =>
    openssl([
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      `${file}.key`,
      '-out',
      `${file}.crt`,
      '-days',
      '2',
      '-subj',
      `/CN=${name}`,
    ]);
  try {
    await Promise.all([selfSigned('databricks stand-in CA', 'ca'), selfSigned('unrelated CA', 'other-ca')]);
    await openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', `/CN=${hosts[0]}`]);
    await writeFile(
      join(directory, 'server.ext'),
      `subjectAltName=${hosts.map((host) => `DNS:${host}`).join(',')}\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n`,
    );
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
    const read = (file: string) => readFile(join(directory, file), 'utf8');
    const [caCertificate, otherCaCertificate, certificate, key] = await Promise.all([
      read('ca.crt'),
      read('other-ca.crt'),
      read('server.crt'),
      read('server.key'),
    ]);
    return { caCertificate, otherCaCertificate, certificate, key };
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}
