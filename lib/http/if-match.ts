import { BadRequestError } from '../errors.js';

/**
 * The versions an If-Match header admits (RFC 9110): `*` (any), or a list of strong entity tags as
 * ETag gives them (`"3"`). Undefined without the header. Weak tags (`W/"3"`) never match a strong
 * comparison, so they are refused as malformed rather than silently failing every time.
 */
export function parseIfMatch(header: string | undefined): number[] | '*' | undefined {
  if (header === undefined) return undefined;
  const value = header.trim();
  if (value === '*') return '*';
  const versions: number[] = [];
  for (const tag of value.split(',')) {
    const match = /^"(\d{1,9})"$/.exec(tag.trim());
    if (!match) {
      throw new BadRequestError(
        'invalid_if_match',
        'headers.if-match: must be the ETag of the connection as GET returned it (such as "3"), or *',
        'headers.if-match',
      );
    }
    versions.push(Number(match[1]));
  }
  return versions;
}

/** Whether the connection at `version` satisfies the parsed If-Match. */
export function ifMatchAdmits(condition: number[] | '*' | undefined, version: number): boolean {
  return condition === undefined || condition === '*' || condition.includes(version);
}
