import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PROVIDER_IDS, PROVIDERS } from '../../lib/providers/registry.js';

/** The README's provider table is the registry's (lib/providers/registry.ts): one row per provider, its auth and test. */
const README = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
const rows = README.split('\n').filter((line) => /^\| `[a-z]+` \(`[^`]+`\) \|/.test(line));

describe('the README provider table', () => {
  test('has one row per provider in the registry, and no other', () => {
    expect(rows.map((row) => /^\| `([a-z]+)`/.exec(row)![1]).sort()).toEqual([...PROVIDER_IDS].sort());
  });

  test.each(PROVIDER_IDS)('%s: driver, auth and what the test checks as the registry says', (id) => {
    const { driver, auth, checks } = PROVIDERS[id];
    expect(rows).toContain(`| \`${id}\` (\`${driver}\`) | ${auth} | ${checks} |`);
  });
});
