import { describe, expect, test } from '@jest/globals';
import { PROVIDERS } from '../../lib/providers/registry.js';
import { SECRETS, SEED_BODIES } from '../helpers/bodies.js';

/**
 * The secret watch (test/setup/secret-watch.ts) and every "no secret in …" assertion search for the
 * entries of SECRETS: a provider whose seed secret is not there could leak it unnoticed. Every
 * provider's secret fields, as its registry entry names them, must be covered; a provider without
 * secret fields is named here with the reason.
 */
const WITHOUT_SECRETS: Partial<Record<string, string>> = {
  // The service assumes the customer's role with the organization's external id: nothing secret is given.
  athena: 'role assumed with the external id',
};

type ProviderName = keyof typeof SEED_BODIES;
const valueAt = (body: Record<string, unknown>, path: string) =>
  path.split('.').reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], body);

describe.each(Object.keys(SEED_BODIES) as ProviderName[])('%s', (provider) => {
  const secretFields = (PROVIDERS as Record<string, { secretFields: readonly string[] }>)[provider]?.secretFields ?? [];

  test('its seed body sends a secret the watch knows, or it is listed as having none', () => {
    const body = SEED_BODIES[provider]() as Record<string, unknown>;
    const sent = secretFields.map((path) => valueAt(body, path)).filter((value): value is string => typeof value === 'string');
    if (WITHOUT_SECRETS[provider] !== undefined) {
      expect(secretFields).toEqual([]);
      return;
    }
    expect(sent.length).toBeGreaterThan(0);
    for (const value of sent) expect(SECRETS.some((secret) => value.includes(secret))).toBe(true);
  });
});

test('every watched secret is a canary or key material the watch recognises', () => {
  for (const secret of SECRETS) expect(/canary/i.test(secret) || /^[A-Za-z0-9+/]{64}$/.test(secret)).toBe(true);
});
