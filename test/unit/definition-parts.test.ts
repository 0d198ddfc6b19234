import { describe, expect, test } from '@jest/globals';
import {
  changedDestinationFields,
  destinationDigest,
  destinationOf,
  joinDefinition,
  readPath,
  secretPaths,
  splitDefinition,
} from '../../lib/connections/definition-parts.js';
import { requestFormOf } from '../../lib/connections/edit-form.js';
import { PROVIDER_IDS, PROVIDERS } from '../../lib/providers/registry.js';
import { parseConnectionRequest } from '../../lib/schema/connection.js';
import { SEED_BODIES } from '../helpers/bodies.js';

/**
 * Which fields are secret and which name the destination is declared once per provider (the
 * registry); these checks hold the declarations to each provider's real definitions.
 */
describe.each(PROVIDER_IDS)('%s', (provider) => {
  const definition = () => parseConnectionRequest(SEED_BODIES[provider]());

  test('every secret field it declares is a secret of its definitions, and the split leaves none in the plain part', async () => {
    const { plain, secrets } = splitDefinition(await definition());
    // A provider without secrets (Athena: the service assumes the customer's role) declares none and seals none.
    expect(Object.keys(secrets).length > 0).toBe(secretPaths(provider).length > 0);
    for (const path of Object.keys(secrets)) expect(secretPaths(provider)).toContain(path);
    for (const path of secretPaths(provider)) expect(readPath(plain, path)).toBeUndefined();
    for (const value of Object.values(secrets)) expect(JSON.stringify(plain)).not.toContain(value);
  });

  test('split and joined again, the definition is whole', async () => {
    const whole = await definition();
    const { plain, secrets } = splitDefinition(whole);
    expect(joinDefinition(plain, secrets)).toEqual(whole);
  });

  test('the request form of its stored plain part, with its secrets, parses back to the same definition (what PATCH merges into)', async () => {
    const whole = await definition();
    const { plain, secrets } = splitDefinition(whole);
    const form = requestFormOf(plain);
    for (const [path, value] of Object.entries(secrets)) {
      const [parent, name] = [path.split('.').slice(0, -1), path.split('.').at(-1)!];
      parent.reduce<Record<string, unknown>>((node, key) => node[key] as Record<string, unknown>, form)[name] = value;
    }
    expect(await parseConnectionRequest(form)).toEqual(whole);
  });

  test('every destination field it declares exists in its definitions', async () => {
    const { plain } = splitDefinition(await definition());
    for (const entry of PROVIDERS[provider].destinationFields as readonly string[]) {
      const path = entry.endsWith('.*') ? entry.slice(0, -2) : entry;
      expect({ entry, present: readPath(plain, path) !== undefined }).toEqual({ entry, present: true });
    }
  });

  test('a change of any destination field changes the digest the secret is bound to; other fields do not', async () => {
    const { plain } = splitDefinition(await definition());
    const digest = destinationDigest(plain);
    const destinationPaths = destinationOf(plain)
      .map(([path]) => path)
      .filter((path) => path !== 'provider');
    expect(destinationPaths.length).toBeGreaterThan(0);
    for (const path of destinationPaths) {
      const moved = structuredClone(plain) as Record<string, unknown>;
      const names = path.split('.');
      const parent = names.slice(0, -1).reduce<Record<string, unknown>>((node, key) => node[key] as Record<string, unknown>, moved);
      parent[names.at(-1)!] = `${JSON.stringify(parent[names.at(-1)!])}-moved`;
      expect({ path, digestChanged: destinationDigest(moved as typeof plain) !== digest }).toEqual({ path, digestChanged: true });
      expect(changedDestinationFields(plain, moved as typeof plain)).toEqual([path]);
    }
    const relabelled = { ...plain, dataset_id: 'elsewhere' };
    expect(destinationDigest(relabelled)).toBe(digest);
  });
});

test('a definition of another provider with the same fields has another destination', async () => {
  const { plain } = splitDefinition(await parseConnectionRequest(SEED_BODIES.postgres()));
  expect(destinationDigest({ ...plain, provider: 'redshift' } as typeof plain)).not.toBe(destinationDigest(plain));
});
