/**
 * `npx tsx scripts/motherduck-live-check.ts`: the MotherDuck test against the real service, by hand
 * (never in CI: it needs the internet and a MotherDuck account). What the offline tests cannot prove,
 * this does: DuckDB downloads the real, signed MotherDuck extension from DuckDB's repository, opens
 * `md:<database>` with the token, runs `SELECT 1` and looks up the schema.
 *
 *   MOTHERDUCK_TOKEN=... MOTHERDUCK_DATABASE=my_db [MOTHERDUCK_SCHEMA=main] npx tsx scripts/motherduck-live-check.ts
 *
 * The token is read from the environment only and never printed; the verdict is what the service
 * would answer. Try a wrong token and a missing database too: they must answer `auth_failed` and
 * `object_not_found`.
 */
import { loadProbe } from '../lib/providers/probe-loaders.js';
import { runProbe } from '../lib/providers/probe.js';
import { DEFAULTS } from '../lib/config.js';
import { parseConnectionRequest } from '../lib/schema/connection.js';

const token = process.env.MOTHERDUCK_TOKEN;
const database = process.env.MOTHERDUCK_DATABASE;
if (!token || !database) {
  process.stderr.write('Set MOTHERDUCK_TOKEN and MOTHERDUCK_DATABASE (and optionally MOTHERDUCK_SCHEMA).\n');
  process.exit(2);
}
const definition = await parseConnectionRequest({
  provider: 'motherduck',
  dataset_id: process.env.MOTHERDUCK_SCHEMA ?? 'main',
  credentials: { token, database },
});
// A real download of the extension takes longer than a test's default deadline allows on a slow line.
const verdict = await runProbe(await loadProbe('motherduck'), definition, { ...DEFAULTS.probe, deadlineMs: 60_000 });
process.stdout.write(`${JSON.stringify(verdict, null, 2)}\n`);
process.exit(verdict.success ? 0 : 1);
