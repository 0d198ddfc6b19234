/** A PostgreSQL identifier quoted exactly as named (the test checks names exactly), for hints the user runs. */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
