import * as v from 'valibot';
import type { FieldIssue } from '../errors.js';

const PROVIDER_LIST = "'bigquery', 'snowflake' or 'postgres'";

/**
 * Valibot issues as {field, message}. Messages are built from what was expected, never from the
 * value received, so nothing the caller sent (a password, a key) is echoed back.
 */
export function toFieldIssues(issues: readonly v.BaseIssue<unknown>[]): FieldIssue[] {
  return issues.map((issue) => {
    const field = v.getDotPath(issue) ?? 'body';
    return { field, message: describe(issue, field) };
  });
}

function describe(issue: v.BaseIssue<unknown>, field: string): string {
  if (issue.type === 'strict_object' && issue.expected === 'never') return 'is not a known field';
  if (field === 'provider') return issue.received === 'undefined' ? `is required: one of ${PROVIDER_LIST}` : `must be one of ${PROVIDER_LIST}`;
  if (issue.received === 'undefined') return 'is required';
  // Our schemas give every check its own message; valibot's defaults ("Invalid ...: ... received X") quote the value.
  if (!issue.message.startsWith('Invalid ')) return issue.message;
  return `must be ${article(issue.expected)}`;
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
