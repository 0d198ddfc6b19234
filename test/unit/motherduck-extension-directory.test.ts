import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { useExtensionDirectory } from '../../lib/providers/motherduck/extension-directory.js';

/**
 * The directory the MotherDuck extension is installed in is shared by the tests of one process and
 * repository; a failed install must never have its leftovers removed under another test's install
 * (CI once saw an unsigned extension reported as "could not be installed" because the previous
 * test's cleanup removed the directory while the next one was installing into it).
 */
let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'extension-directory-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** Stands in for DuckDB's install: a file written into the directory. */
function install(path: string, name = 'motherduck.duckdb_extension'): string {
  mkdirSync(path, { recursive: true });
  const file = join(path, name);
  writeFileSync(file, 'extension');
  return file;
}

describe('one directory per process and repository, kept between tests', () => {
  test('two tests of one repository share a directory; another repository has its own', async () => {
    const first = useExtensionDirectory('http://127.0.0.1:1', root);
    const second = useExtensionDirectory('http://127.0.0.1:1', root);
    const other = useExtensionDirectory('http://127.0.0.1:2', root);
    const defaultRepository = useExtensionDirectory(undefined, root);
    expect(second.path).toBe(first.path);
    expect(new Set([first.path, other.path, defaultRepository.path]).size).toBe(3);
    for (const path of [first.path, other.path, defaultRepository.path]) {
      expect(dirname(path)).toBe(root);
      expect(path).toContain(`${process.pid}-`);
    }
    await Promise.all([first, second, other, defaultRepository].map((directory) => directory.release()));
  });

  test('an install that succeeded is kept for the next test once every test is done', async () => {
    const first = useExtensionDirectory('http://127.0.0.1:1', root);
    const file = install(first.path);
    await first.release();
    expect(existsSync(file)).toBe(true);
    const next = useExtensionDirectory('http://127.0.0.1:1', root);
    expect(next.path).toBe(first.path);
    await next.release();
  });
});

describe('a failed install is retired, and removed only when no test uses it', () => {
  test('a test that starts after the failure gets a fresh directory, which the removal of the old one leaves alone', async () => {
    const failed = useExtensionDirectory('http://127.0.0.1:1', root);
    const leftover = install(failed.path);
    failed.retire();
    const next = useExtensionDirectory('http://127.0.0.1:1', root);
    expect(next.path).not.toBe(failed.path);
    const installed = install(next.path);
    await failed.release();
    expect(existsSync(leftover)).toBe(false);
    expect(existsSync(failed.path)).toBe(false);
    expect(existsSync(installed)).toBe(true);
    await next.release();
    expect(existsSync(installed)).toBe(true);
  });

  test('a test still using the retired directory keeps it until it is done', async () => {
    const failed = useExtensionDirectory('http://127.0.0.1:1', root);
    const concurrent = useExtensionDirectory('http://127.0.0.1:1', root);
    const file = install(failed.path);
    failed.retire();
    await failed.release();
    expect(existsSync(file)).toBe(true);
    await concurrent.release();
    expect(existsSync(failed.path)).toBe(false);
  });

  test('a test released twice counts once: the directory stays while another test uses it', async () => {
    const failed = useExtensionDirectory('http://127.0.0.1:1', root);
    const concurrent = useExtensionDirectory('http://127.0.0.1:1', root);
    const file = install(failed.path);
    failed.retire();
    await failed.release();
    await failed.release();
    expect(existsSync(file)).toBe(true);
    await concurrent.release();
    expect(existsSync(file)).toBe(false);
  });

  test('retiring twice, or retiring an old directory, never retires the fresh one', async () => {
    const failed = useExtensionDirectory('http://127.0.0.1:1', root);
    const concurrent = useExtensionDirectory('http://127.0.0.1:1', root);
    failed.retire();
    const fresh = useExtensionDirectory('http://127.0.0.1:1', root);
    concurrent.retire();
    failed.retire();
    const later = useExtensionDirectory('http://127.0.0.1:1', root);
    expect(later.path).toBe(fresh.path);
    const installed = install(fresh.path);
    await Promise.all([failed, concurrent, later].map((directory) => directory.release()));
    expect(existsSync(installed)).toBe(true);
    await fresh.release();
  });
});
