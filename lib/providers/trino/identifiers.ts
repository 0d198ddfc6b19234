/**
 * Trino names quoted for SQL: double quotes, an inner one doubled. Trino folds every name to lower
 * case, quoted or not, so quoting only keeps names with spaces, dots or quotes in one piece.
 */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** `"catalog"."schema"`, as the schema check and the hint name it. */
export function qualifiedSchema(catalog: string, schema: string): string {
  return `${quoteIdentifier(catalog)}.${quoteIdentifier(schema)}`;
}

/**
 * What lets a user list and read a schema where Trino's SQL access control manages grants. With
 * file-based rules, Ranger or OPA the same access is a rule there, which the message says.
 */
export function grantSchemaHint(catalog: string, schema: string, username: string): string {
  return `GRANT SELECT ON SCHEMA ${qualifiedSchema(catalog, schema)} TO USER ${quoteIdentifier(username)};`;
}
