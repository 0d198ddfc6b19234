/**
 * A ClickHouse name in back quotes, exactly as named. Inside back quotes ClickHouse's lexer reads a
 * backslash as an escape, so backslashes and back quotes are escaped; control characters never get
 * here (the schema refuses them).
 */
export function quoteIdentifier(name: string): string {
  return `\`${name.replace(/\\/g, '\\\\').replace(/`/g, '\\`')}\``;
}

/** `GRANT SELECT ON `db`.* TO `user`;`: read access to one database, what the test looks for. */
export function grantSelectHint(database: string, username: string): string {
  return `GRANT SELECT ON ${quoteIdentifier(database)}.* TO ${quoteIdentifier(username)};`;
}
