import { gzipSync } from 'node:zlib';
import { startLoopbackServer, type ConnectionMode, type LoopbackServer } from './loopback-server.js';

/**
 * A loopback DuckDB extension repository: what DuckDB's installer fetches from
 * `<repository>/<duckdb version>/<platform>/<name>.duckdb_extension.gz` (DuckDB's own repository
 * is extensions.duckdb.org). The real MotherDuck extension is not available offline, so the
 * repository answers 404, garbage, or an extension built here that is complete but unsigned, and
 * records every request it receives.
 */
export type RepositoryAnswer = 'not_found' | 'garbage' | 'unsigned_extension';

export interface ExtensionRepository extends LoopbackServer {
  /** Paths requested so far, in order. */
  readonly requests: string[];
  answer: RepositoryAnswer;
}

export async function startExtensionRepository(initial: RepositoryAnswer = 'not_found'): Promise<ExtensionRepository> {
  const requests: string[] = [];
  const state = { answer: initial };
  const server = await startLoopbackServer(async (request, response) => {
    const path = request.url ?? '';
    requests.push(path);
    const file = /^\/(v[0-9][^/]*)\/([a-z0-9_]+)\/([a-z0-9_]+)\.duckdb_extension\.gz$/.exec(path);
    if (state.answer === 'not_found' || !file) {
      response.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    const body = state.answer === 'garbage' ? Buffer.from('this is not an extension') : gzipSync(unsignedExtension(file[2]!, file[1]!));
    response.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': body.length }).end(body);
  });
  return Object.defineProperties(server, {
    requests: { value: requests },
    answer: {
      get: () => state.answer,
      set: (next: RepositoryAnswer) => (state.answer = next),
    },
  }) as ExtensionRepository;
}

export type { ConnectionMode };

/**
 * A file that DuckDB reads as an extension for this platform and version (its metadata footer is
 * well formed: DuckDB's append_metadata layout, a WebAssembly custom section named
 * `duckdb_signature` holding eight 32-byte fields in reverse order and a 256-byte signature) but
 * whose signature is all zeros, as an extension built by anyone but DuckDB's release keys would be.
 */
export function unsignedExtension(platform: string, duckdbVersion: string): Buffer {
  const field = (value: string) => Buffer.concat([Buffer.from(value, 'ascii'), Buffer.alloc(32)]).subarray(0, 32);
  const fields = ['4', platform, duckdbVersion, 'v0.0.0-stand-in', '', '', '', ''].map(field).reverse();
  const header = Buffer.concat([Buffer.from([0, 147, 4, 16]), Buffer.from('duckdb_signature', 'ascii'), Buffer.from([128, 4])]);
  const body = Buffer.alloc(4_096, 0x90); // not a shared library: it must never get as far as being opened
  return Buffer.concat([body, header, ...fields, Buffer.alloc(256)]);
}
