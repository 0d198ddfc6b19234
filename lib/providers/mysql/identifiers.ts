/**
 * MySQL names quoted for the grants a hint shows, exactly as named. Doubling the quote character is
 * understood whatever the server's sql_mode (backslash escapes are not, under NO_BACKSLASH_ESCAPES).
 */
export function quoteIdentifier(name: string): string {
  return `\`${name.replace(/`/g, '``')}\``;
}

/** An account as GRANT names it. The host part is '%': the service cannot know which host pattern the account was created with. */
export function quoteAccount(username: string): string {
  return `'${username.replace(/'/g, "''")}'@'%'`;
}

/** `GRANT SELECT ON `schema`.* TO 'user'@'%';`: read access to one schema, what the test needs. */
export function grantSelectHint(schema: string, username: string): string {
  return `GRANT SELECT ON ${quoteIdentifier(schema)}.* TO ${quoteAccount(username)};`;
}
