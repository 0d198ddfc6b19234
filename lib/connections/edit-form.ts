import type { PlainDefinition } from './definition-parts.js';

/**
 * A stored definition back in the shape of a request body (what POST takes), which PATCH merges
 * into and the provider's request schema validates again. Settings are top-level fields of the
 * request (BigQuery's `location`, `maximum_bytes_billed`). A Snowflake `project_id` is the account,
 * derived from `credentials.account`: leaving it out lets a PATCH change the account alone.
 */
export function requestFormOf(plain: PlainDefinition): Record<string, unknown> {
  const { settings, ...rest } = structuredClone(plain) as PlainDefinition & { settings: Record<string, unknown> };
  const form: Record<string, unknown> = { ...rest, ...settings };
  if (plain.provider === 'snowflake') delete form.project_id;
  return form;
}
