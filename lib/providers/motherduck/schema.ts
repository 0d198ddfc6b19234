import * as v from 'valibot';
import { text } from '../../schema/fields.js';

/** DuckDB's default schema, where MotherDuck databases keep their tables unless told otherwise. */
export const DEFAULT_MOTHERDUCK_SCHEMA = 'main';
/** A MotherDuck access token is a JWT of a few hundred characters; the bound leaves room and nothing more. */
const TOKEN_MAX = 4_096;
/** DuckDB's limit for schema names is the identifier limit; MotherDuck database names are shorter (below). */
const SCHEMA_MAX = 255;

/**
 * A MotherDuck database's name and nothing else: letters, digits and `_`, starting with a letter
 * or `_`, at most 63 characters. The probe builds `md:<name>` from it, so no path (`/`, `.`), URL
 * (`:`), `md:` prefix, `?` parameters or anything DuckDB would open as a local file can pass.
 */
const DATABASE = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

const fields = v.strictObject({
  token: text(TOKEN_MAX),
  database: v.pipe(
    v.string(),
    v.regex(DATABASE, "must be a MotherDuck database name: letters, digits and '_', starting with a letter or '_', at most 63 characters"),
  ),
});

/** Only the token and the database: no connection string, no DuckDB settings, no path. */
export const motherduckCredentials = fields;

/** `dataset_id` is the schema in `database` that the test checks; DuckDB's default is `main`. */
export const motherduckConnection = v.pipe(
  v.strictObject({
    provider: v.literal('motherduck'),
    project_id: v.optional(v.nullable(text(255))),
    dataset_id: v.optional(v.nullable(text(SCHEMA_MAX))),
    credentials: motherduckCredentials,
  }),
  v.transform((input) => ({
    provider: input.provider,
    project_id: input.project_id ?? null,
    dataset_id: input.dataset_id ?? DEFAULT_MOTHERDUCK_SCHEMA,
    credentials: { token: input.credentials.token, database: input.credentials.database },
    settings: {},
  })),
);

export { motherduckStored } from './stored.js';
