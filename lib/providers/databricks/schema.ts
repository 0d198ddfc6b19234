import * as v from 'valibot';
import { DATABRICKS_AUTH_METHODS } from './stored.js';
import { secret, text } from '../../schema/fields.js';

export const DEFAULT_DATABRICKS_SCHEMA = 'default';
/** Unity Catalog's limit for catalog and schema names. */
const IDENTIFIER_MAX = 255;

/**
 * The workspace's host name and nothing else: no scheme, path, port or user part, and no IP
 * address (the workspace's certificate names the host, never an address). Lower-cased, as the
 * certificate check and the pinned agent compare it.
 */
const HOST_LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
/** Labels of a DNS name; the last one has a letter, so that no form of an IPv4 address (`127.1`, `0x7f.1`) passes. */
const WORKSPACE_HOST = new RegExp(`^(?=.{1,253}$)(?:${HOST_LABEL}\\.)*(?=[a-z0-9-]*[a-z])${HOST_LABEL}$`);
const HOST_MESSAGE = "must be the workspace's host name, such as 'dbc-1234abcd-5678.cloud.databricks.com' (no https://, path or port)";

/**
 * The domains whose workspaces sign service principals in at their own OIDC endpoint, as
 * @databricks/sql does it (AWS, GCP, and Azure with Databricks-managed secrets). Elsewhere the
 * driver would send the secret to another host (Microsoft Entra ID) or refuse.
 */
export const OAUTH_DOMAINS = ['.cloud.databricks.com', '.gcp.databricks.com', '.azuredatabricks.net', '.databricks.azure.cn'] as const;

/**
 * A SQL warehouse's HTTP path as the workspace shows it under Connection details: `/sql/1.0/
 * warehouses/<id>` (`endpoints` is its older name), the id 16 hexadecimal digits. Nothing else
 * reaches the driver's URL: no query string, no cluster path.
 */
const HTTP_PATH = /^\/sql\/1\.0\/(?:warehouses|endpoints)\/[0-9a-f]{16}$/;

/** A service principal's application id (a UUID), the OAuth client id. */
const CLIENT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const fields = v.strictObject({
  host: v.pipe(
    v.string(),
    v.transform((value) => value.toLowerCase()),
    v.regex(WORKSPACE_HOST, HOST_MESSAGE),
  ),
  http_path: v.pipe(
    v.string(),
    v.regex(HTTP_PATH, "must be the SQL warehouse's HTTP path, '/sql/1.0/warehouses/' and its 16-character id"),
  ),
  catalog: text(IDENTIFIER_MAX),
  auth_method: v.optional(v.picklist(DATABRICKS_AUTH_METHODS, "must be 'token' or 'oauth_m2m'"), 'token'),
  // auth_method 'token': a personal access token
  token: v.optional(secret(1_024)),
  // auth_method 'oauth_m2m': a service principal's OAuth secret. null (stored for a token) is no client id.
  client_id: v.optional(v.nullable(v.pipe(v.string(), v.regex(CLIENT_ID, "must be the service principal's application id (a UUID)")))),
  client_secret: v.optional(secret(1_024)),
});

type Fields = v.InferOutput<typeof fields>;
type RuleField = 'host' | 'token' | 'client_id' | 'client_secret';

const ONLY_TOKEN = "is only used when auth_method is 'token'";
const ONLY_OAUTH = "is only used when auth_method is 'oauth_m2m'";

/** Which field is wrong, and why, for the combinations the field types cannot say on their own. */
const RULES: Record<RuleField, (input: Fields) => string | undefined> = {
  host: (input) =>
    input.auth_method === 'oauth_m2m' && !OAUTH_DOMAINS.some((domain) => input.host.endsWith(domain))
      ? `must be a workspace on ${OAUTH_DOMAINS.join(', ')} when auth_method is 'oauth_m2m'`
      : undefined,
  token: (input) => {
    if (input.auth_method === 'oauth_m2m') return input.token === undefined ? undefined : ONLY_TOKEN;
    return input.token === undefined ? "is required when auth_method is 'token'" : undefined;
  },
  client_id: (input) => {
    if (input.auth_method === 'token') return input.client_id == null ? undefined : ONLY_OAUTH;
    return input.client_id == null ? "is required when auth_method is 'oauth_m2m'" : undefined;
  },
  client_secret: (input) => {
    if (input.auth_method === 'token') return input.client_secret === undefined ? undefined : ONLY_OAUTH;
    return input.client_secret === undefined ? "is required when auth_method is 'oauth_m2m'" : undefined;
  },
};

function rule(field: RuleField) {
  return v.forward<Fields, v.RawCheckIssue<Fields>, [RuleField]>(
    v.rawCheck<Fields>(({ dataset, addIssue }) => {
      if (!dataset.typed) return;
      const message = RULES[field](dataset.value);
      if (message !== undefined) addIssue({ message });
    }),
    [field],
  );
}

/**
 * Only what names the workspace, the warehouse, the catalog and the principal: no connection
 * string, no driver options (proxy, TLS switches, retry settings, staging paths), no other auth.
 */
export const databricksCredentials = v.pipe(fields, rule('host'), rule('token'), rule('client_id'), rule('client_secret'));

/** `dataset_id` is the schema in `catalog` that the test checks; Databricks' own default is `default`. */
export const databricksConnection = v.pipe(
  v.strictObject({
    provider: v.literal('databricks'),
    project_id: v.optional(v.nullable(text(255))),
    dataset_id: v.optional(v.nullable(text(IDENTIFIER_MAX))),
    credentials: databricksCredentials,
  }),
  v.transform((input) => ({
    provider: input.provider,
    project_id: input.project_id ?? null,
    dataset_id: input.dataset_id ?? DEFAULT_DATABRICKS_SCHEMA,
    // Always present (null with a token): it is a destination field, which every definition carries.
    credentials: { ...input.credentials, client_id: input.credentials.client_id ?? null },
    settings: {},
  })),
);

export { DATABRICKS_AUTH_METHODS };

export { databricksStored } from './stored.js';
