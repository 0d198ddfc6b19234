import * as v from 'valibot';
import { STORED_SCHEMAS } from '../providers/registry.js';
import type { ConnectionDefinition } from './connection.js';

/**
 * The shape of a sealed definition as create writes it (the request schemas' output), checked when
 * a test opens one: a definition written by a future or older format is refused, never used on
 * the strength of a cast. Structure only: the request schemas' rules (key strength, cross-field
 * rules) ran at create, and the definition is authenticated since. The type check below fails to
 * compile if a provider's stored shape and its request schema's output drift apart.
 */
export const storedDefinition = v.variant('provider', STORED_SCHEMAS);

type Stored = v.InferOutput<typeof storedDefinition>;
const _sameShape: [Stored] extends [ConnectionDefinition] ? ([ConnectionDefinition] extends [Stored] ? true : never) : never = true;

/** The definition, or undefined when the sealed bytes do not hold one of the shapes above. */
export function readStoredDefinition(value: unknown): ConnectionDefinition | undefined {
  const result = v.safeParse(storedDefinition, value);
  return result.success ? result.output : undefined;
}
