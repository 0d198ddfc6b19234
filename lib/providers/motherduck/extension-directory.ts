import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Where DuckDB installs the MotherDuck extension. The extension is downloaded once per process and
 * repository, not once per test (it is tens of megabytes): the repository is the operator's setting,
 * never a tenant's, and DuckDB loads only a signed extension (allow_unsigned_extensions=false), so
 * what one test installed is safe for the next.
 *
 * A failed install retires its directory at once: tests that start later get a fresh one, and the
 * retired one (a partial download, a file that did not load) is removed only when the last test
 * that used it is done. A removal never runs under another test's install, which would make that
 * install fail for a reason of its own.
 */
export interface ExtensionDirectory {
  readonly path: string;
  /** The install failed: no test that starts from now on uses this directory. */
  retire(): void;
  /** This test is done with the directory (its native calls have returned). */
  release(): Promise<void>;
}

interface Generation {
  readonly path: string;
  users: number;
  retired: boolean;
}

const current = new Map<string, Generation>();
let made = 0;

export function useExtensionDirectory(repository: string | undefined, root = join(tmpdir(), 'motherduck-extensions')): ExtensionDirectory {
  const key = createHash('sha256')
    .update(`${root}\0${repository ?? 'duckdb-default'}`)
    .digest('hex')
    .slice(0, 16);
  let generation = current.get(key);
  if (generation === undefined) {
    // The process id too: another process's download (a crashed one's, half written) is never read.
    generation = { path: join(root, `${process.pid}-${key}-${made++}`), users: 0, retired: false };
    current.set(key, generation);
  }
  const used = generation;
  used.users += 1;
  let released = false;
  return {
    path: used.path,
    retire() {
      used.retired = true;
      if (current.get(key) === used) current.delete(key);
    },
    async release() {
      if (released) return;
      released = true;
      used.users -= 1;
      if (used.retired && used.users === 0) await rm(used.path, { recursive: true, force: true });
    },
  };
}
