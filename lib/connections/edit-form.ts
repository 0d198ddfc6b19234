import { PROVIDERS, type ProviderEntry } from '../providers/registry.js';
import type { PlainDefinition } from './definition-parts.js';

/**
 * A stored definition back in the shape of a request body (what POST takes), which PATCH merges
 * into and the provider's request schema validates again. Settings are top-level fields of the
 * request (BigQuery's `location`, `maximum_bytes_billed`). Fields the provider derives from its
 * credentials (a Snowflake `project_id` is the account) are left out, so a PATCH can change the
 * credentials alone.
 */
export function requestFormOf(plain: PlainDefinition): Record<string, unknown> {
  const { settings, ...rest } = structuredClone(plain) as PlainDefinition & { settings: Record<string, unknown> };
  const form: Record<string, unknown> = { ...rest, ...settings };
  const entry: ProviderEntry = PROVIDERS[plain.provider];
  for (const field of entry.derivedFields ?? []) delete form[field];
  return form;
}
