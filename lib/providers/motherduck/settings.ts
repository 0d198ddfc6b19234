/**
 * How DuckDB is opened for MotherDuck, in one place for the probe and the resolve function's driver
 * options. Each setting below was tried against the installed DuckDB (test/providers/motherduck.test.ts
 * reads them back from a real instance).
 *
 * - The only database opened is `md:<database>`, a MotherDuck path: DuckDB hands it to the MotherDuck
 *   extension and never opens a file on the service's disk. DuckDB 1.5 refuses `motherduck_token` on
 *   an in-memory instance ("options were not recognized"), so the token cannot be given to
 *   `:memory:` and an `ATTACH` after it; it goes in the instance's configuration of the `md:` open,
 *   never in SQL text or the path.
 * - `saas_mode=true` (MotherDuck's own setting, in the path the service builds) makes the extension
 *   refuse local file access and local extensions once it has loaded.
 * - `enable_external_access` stays on: with it off DuckDB refuses to load the MotherDuck extension at
 *   all (tested). What the SQL may reach is limited instead by saas_mode and by the probe running
 *   only its own fixed statements.
 * - Extensions: only signed ones (`allow_unsigned_extensions=false`, no community extensions, no
 *   metadata mismatch), downloaded from `repository` (DuckDB's own unless the operator names another).
 * - Its directories (extensions, home, temporary files, secrets) lie under /tmp, the only writable
 *   place on Lambda; persistent secrets are off. Memory and threads are small: one test is one query.
 * - `lock_configuration` is set once the extension has loaded (the probe's first statement), since
 *   the extension applies saas_mode through settings of its own while it opens.
 */
export const DUCKDB_HARDENING = {
  allow_community_extensions: 'false',
  allow_unsigned_extensions: 'false',
  allow_extensions_metadata_mismatch: 'false',
  allow_persistent_secrets: 'false',
  autoinstall_known_extensions: 'true',
  autoload_known_extensions: 'true',
  enable_external_access: 'true',
  memory_limit: '256MB',
  threads: '1',
} as const;

/** Where the instance may write: all under the service's temporary directory. */
export interface DuckDBDirectories {
  /** Downloaded extensions: one directory per process and extension repository (probe.ts). */
  extensions: string;
  /** This test's own: DuckDB's home, spill files and secrets, removed after the test. */
  work: string;
}

/** The configuration of one instance; `repository` unset is DuckDB's own extension repository. */
export function instanceConfig(directories: DuckDBDirectories, repository: string | undefined): Record<string, string> {
  return {
    ...DUCKDB_HARDENING,
    extension_directory: directories.extensions,
    home_directory: directories.work,
    temp_directory: `${directories.work}/spill`,
    secret_directory: `${directories.work}/secrets`,
    ...(repository === undefined ? {} : { custom_extension_repository: repository, autoinstall_extension_repository: repository }),
  };
}

/** The database path: MotherDuck's, built by the service from a validated name (schema.ts), never given whole. */
export function motherduckPath(database: string): string {
  return `md:${database}?saas_mode=true`;
}
