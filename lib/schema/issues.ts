import * as v from 'valibot';
import type { FieldIssue } from '../errors.js';
import { PROVIDER_IDS } from '../providers/ids.js';

/** "'postgres', 'snowflake' or 'bigquery'", from the registry. */
const PROVIDER_LIST = `${PROVIDER_IDS.slice(0, -1)
  .map((id) => `'${id}'`)
  .join(', ')} or '${PROVIDER_IDS.at(-1)}'`;

/**
 * Field names are echoed only when they look like field names: every field of every schema is
 * lower-case snake case. Anything else (a secret pasted as a key, markup, a 10 KB key) is not
 * repeated: the issue names the object that holds it instead.
 */
const SHOWN_FIELD_NAME = /^[a-z][a-z0-9_]{0,39}$/;
/** A body with thousands of bad fields gets a readable answer, not thousands of lines. */
export const MAX_LISTED_ISSUES = 20;

/**
 * Valibot issues as {field, message}. Messages are built from what was expected, never from the
 * value received, so nothing the caller sent (a password, a key) is echoed back; field names only
 * when they are plain names (above). Identical issues are listed once, at most MAX_LISTED_ISSUES.
 */
export function toFieldIssues(issues: readonly v.BaseIssue<unknown>[]): FieldIssue[] {
  const listed = new Map<string, FieldIssue>();
  for (const issue of issues) {
    const { field, nameHidden } = fieldOf(issue);
    const message = nameHidden ? describeHidden(issue) : describe(issue, field);
    listed.set(`${field}\u0000${message}`, { field, message });
  }
  const all = [...listed.values()];
  if (all.length <= MAX_LISTED_ISSUES) return all;
  return [...all.slice(0, MAX_LISTED_ISSUES), { field: 'body', message: `has ${unlisted(all.length - MAX_LISTED_ISSUES)}, not listed` }];
}

function unlisted(count: number): string {
  return count === 1 ? '1 more problem' : `${count} more problems`;
}

/** The dotted path up to the first key that is not a plain field name. */
function fieldOf(issue: v.BaseIssue<unknown>): { field: string; nameHidden: boolean } {
  const shown: string[] = [];
  for (const item of issue.path ?? []) {
    const key: unknown = item.key;
    if (typeof key !== 'string' || !SHOWN_FIELD_NAME.test(key)) return { field: shown.join('.') || 'body', nameHidden: true };
    shown.push(key);
  }
  return { field: shown.join('.') || 'body', nameHidden: false };
}

function describe(issue: v.BaseIssue<unknown>, field: string): string {
  if (isUnknownField(issue)) return 'is not a known field';
  if (field === 'provider')
    return issue.received === 'undefined' ? `is required: one of ${PROVIDER_LIST}` : `must be one of ${PROVIDER_LIST}`;
  if (issue.received === 'undefined') return 'is required';
  // Our schemas give every check its own message; valibot's defaults ("Invalid ...: ... received X") quote the value.
  if (!issue.message.startsWith('Invalid ')) return issue.message;
  return `must be ${article(issue.expected)}`;
}

function describeHidden(issue: v.BaseIssue<unknown>): string {
  if (isUnknownField(issue)) return 'has a field that is not known (its name is not shown)';
  return `has a field (its name is not shown) that ${describe(issue, '')}`;
}

function isUnknownField(issue: v.BaseIssue<unknown>): boolean {
  return issue.type === 'strict_object' && issue.expected === 'never';
}

function article(expected: string | null): string {
  switch (expected) {
    case 'string':
      return 'a string';
    case 'number':
      return 'a number';
    case 'Object':
      return 'a JSON object';
    case null:
      return 'valid';
    default:
      return expected;
  }
}
