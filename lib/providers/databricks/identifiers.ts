/**
 * A Databricks SQL name, quoted exactly as named: backticks around it, a backtick inside doubled.
 * Names the customer typed reach SQL only this way.
 */
export function quoteIdentifier(name: string): string {
  return `\`${name.replace(/`/g, '``')}\``;
}

/** `cat`.`schema`, as the schema check names it. */
export function qualifiedSchema(catalog: string, schema: string): string {
  return `${quoteIdentifier(catalog)}.${quoteIdentifier(schema)}`;
}

/**
 * What Unity Catalog needs for the schema check: USE CATALOG on the catalog and USE SCHEMA on the
 * schema. The principal is the service principal's application id for OAuth; for a token the
 * service does not know whose it is, so the hint leaves a placeholder.
 */
export function useSchemaHint(catalog: string, schema: string, principal: string | undefined): string {
  const grantee = principal === undefined ? '<user or service principal>' : quoteIdentifier(principal);
  return (
    `GRANT USE CATALOG ON CATALOG ${quoteIdentifier(catalog)} TO ${grantee}; ` +
    `GRANT USE SCHEMA ON SCHEMA ${qualifiedSchema(catalog, schema)} TO ${grantee};`
  );
}
