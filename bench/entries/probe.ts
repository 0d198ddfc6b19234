/**
 * What a provider's first test adds to the test function, for one provider chosen when the bench
 * builds it (`BENCH_PROVIDER`, `BENCH_DRIVER`: esbuild defines, bench/bundles.ts): the provider's
 * probe chunk, loaded through the test function's own loader (lib/providers/probe-loaders.ts), and
 * the npm driver its registry entry names, which the probe loads with its chunk or, like
 * snowflake-sdk, at its first test. Top-level awaits, so the bundle is ready once both have loaded.
 */
import type { ProviderId } from '../../lib/providers/ids.js';
import { loadProbe } from '../../lib/providers/probe-loaders.js';

declare const BENCH_PROVIDER: ProviderId;
declare const BENCH_DRIVER: string;

await import(BENCH_DRIVER);
export const probe = await loadProbe(BENCH_PROVIDER);
