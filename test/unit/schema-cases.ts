import { expect, test } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import { rootCertificates } from 'node:tls';
import { type FieldIssue, ValidationError } from '../../lib/errors.js';
import type { ProviderId } from '../../lib/providers/ids.js';
import { type ConnectionDefinition, parseConnectionRequest } from '../../lib/schema/connection.js';

/**
 * Table-driven checks of the request schemas (lib/schema, lib/providers/<id>/schema.ts), in
 * process: each case is a body and the exact issues parseConnectionRequest gives for it (none when
 * it is accepted). Shared by the test/unit/schema-*.test.ts files.
 */
export type Body = Record<string, unknown>;

export interface Case {
  rule: string;
  body: unknown;
  issues: FieldIssue[];
}

/** A value for `withFields` that removes the field. */
export const OMIT = Symbol('omit');

/** A copy of `base` with the dotted paths set to the values given (OMIT removes the field). */
export function withFields(base: Body, changes: Record<string, unknown>): Body {
  const body = structuredClone(base);
  for (const [path, value] of Object.entries(changes)) {
    const keys = path.split('.');
    const last = keys.pop() as string;
    let target = body;
    for (const key of keys) target = target[key] as Body;
    if (value === OMIT) delete target[last];
    else target[last] = value;
  }
  return body;
}

/** The issues of a refused body, [] for an accepted one. */
export async function issuesOf(body: unknown): Promise<FieldIssue[]> {
  try {
    await parseConnectionRequest(body);
    return [];
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    return error.details ?? [];
  }
}

/** The definition of a body that must be accepted (its issues in the failure message otherwise). */
export async function parsed(body: unknown): Promise<ConnectionDefinition> {
  expect(await issuesOf(body)).toEqual([]);
  return parseConnectionRequest(body);
}

export const accepted = (rule: string, body: unknown): Case => ({ rule: `${rule}: accepted`, body, issues: [] });
export const refused = (rule: string, body: unknown, field: string, message: string): Case => ({
  rule: `${rule}: refused`,
  body,
  issues: [{ field, message }],
});

/** One test per case: the body's issues are exactly the case's. */
export function checkCases(cases: Case[]): void {
  test.each(cases)('$rule', async ({ body, issues }) => {
    expect(await issuesOf(body)).toEqual(issues);
  });
}

export const CONTROL_CHARACTERS_MESSAGE = 'must not contain control characters';

/** text(): no control characters; secret(): anything but NUL; token: a secret with text()'s rules. */
export type StringKind = 'text' | 'secret' | 'token';

/** A string of `length` characters; secrets carry the canary the secret watch looks for. */
function filler(length: number, kind: StringKind): string {
  return kind === 'text' ? 'x'.repeat(length) : 'canary'.padEnd(length, 's');
}

/**
 * A text() or secret() field (lib/schema/fields.ts) at `path`: its length at both edges, empty, a
 * number, and its character rule (text: no control characters; secret: no NUL, anything else).
 */
export function stringField(base: Body, path: string, max: number, kind: StringKind): Case[] {
  const at = (value: unknown) => withFields(base, { [path]: value });
  const prefix = kind === 'text' ? 'a' : 'canary';
  const characterRule =
    kind === 'secret'
      ? [
          refused(`${path} with a NUL`, at('canary\u0000s'), path, 'must not contain NUL characters'),
          accepted(`${path} with a tab, U+001F, DEL and letters beyond ASCII`, at('canary\t\u001f\u007fsé')),
        ]
      : [
          refused(`${path} with a NUL`, at(`${prefix}\u0000b`), path, CONTROL_CHARACTERS_MESSAGE),
          refused(`${path} with a tab`, at(`${prefix}\tb`), path, CONTROL_CHARACTERS_MESSAGE),
          refused(`${path} with U+001F, the last C0 control`, at(`${prefix}\u001fb`), path, CONTROL_CHARACTERS_MESSAGE),
          refused(`${path} with DEL`, at(`${prefix}\u007fb`), path, CONTROL_CHARACTERS_MESSAGE),
          refused(`${path} with U+0080, the first C1 control`, at(`${prefix}\u0080b`), path, CONTROL_CHARACTERS_MESSAGE),
          refused(`${path} with U+009F, the last C1 control`, at(`${prefix}\u009fb`), path, CONTROL_CHARACTERS_MESSAGE),
          accepted(`${path} with a space and ~`, at(`${prefix} b~`)),
        ];
  return [
    accepted(`${path} of ${max} characters`, at(filler(max, kind))),
    refused(`${path} of ${max + 1} characters`, at(filler(max + 1, kind)), path, `must be at most ${max} characters`),
    refused(`${path} empty`, at(''), path, 'must not be empty'),
    refused(`${path} a number`, at(42), path, 'must be a string'),
    ...characterRule,
  ];
}

/** An optional field that may be null (project_id, dataset_id): absent, null, and its text() rules. */
export function nullableTextField(base: Body, path: string, max: number): Case[] {
  return [
    accepted(`${path} absent`, withFields(base, { [path]: OMIT })),
    accepted(`${path} null`, withFields(base, { [path]: null })),
    ...stringField(base, path, max, 'text'),
  ];
}

/** Each path missing from the body: "is required". */
export function requiredFields(base: Body, paths: string[]): Case[] {
  return paths.map((path) => refused(`${path} missing`, withFields(base, { [path]: OMIT }), path, 'is required'));
}

/** A field at the top and in credentials that the provider does not know. */
export function unknownFields(base: Body, names: string[]): Case[] {
  return names.flatMap((name) => [
    refused(`an unknown top-level field ${name}`, withFields(base, { [name]: 'x' }), name, 'is not a known field'),
    refused(
      `an unknown credentials field ${name}`,
      withFields(base, { [`credentials.${name}`]: 'x' }),
      `credentials.${name}`,
      'is not a known field',
    ),
  ]);
}

/** Each allowed value of a picklist accepted, near misses refused with the field's message. */
export function picklistField(base: Body, path: string, allowed: readonly string[], nearMisses: unknown[], message: string): Case[] {
  return [
    ...allowed.map((value) => accepted(`${path} '${value}'`, withFields(base, { [path]: value }))),
    ...nearMisses.map((value) => refused(`${path} ${JSON.stringify(value)}`, withFields(base, { [path]: value }), path, message)),
  ];
}

export const PORT_MESSAGE = 'must be an integer from 1 to 65535';

/** A port (lib/schema/fields.ts): 1 and 65535 accepted; 0, 65536, a fraction, a string refused. */
export function portField(base: Body, path = 'credentials.port'): Case[] {
  const at = (value: unknown) => withFields(base, { [path]: value });
  return [
    accepted(`${path} 1`, at(1)),
    accepted(`${path} 65535`, at(65_535)),
    refused(`${path} 0`, at(0), path, PORT_MESSAGE),
    refused(`${path} 65536`, at(65_536), path, PORT_MESSAGE),
    refused(`${path} -1`, at(-1), path, PORT_MESSAGE),
    refused(`${path} 5432.5`, at(5432.5), path, PORT_MESSAGE),
    refused(`${path} as a string`, at('5432'), path, PORT_MESSAGE),
  ];
}

export const HOSTNAME_MESSAGE = 'must be a hostname or an IP address';
const label = (length: number, letter = 'a') => letter.repeat(length);
/** A name of exactly `length` characters: labels of 63 joined by dots. */
export function hostnameOf(length: number): string {
  const labels: string[] = [];
  let remaining = length;
  while (remaining > 64) {
    labels.push(label(63));
    remaining -= 64;
  }
  labels.push(label(remaining));
  return labels.join('.');
}

/** The `host` field of lib/schema/fields.ts: a DNS name (each side of each rule) or an IP literal, never a path. */
export function hostField(base: Body, path = 'credentials.host'): Case[] {
  const at = (value: unknown) => withFields(base, { [path]: value });
  const ok = (rule: string, value: string) => accepted(`${path} ${rule}`, at(value));
  const no = (rule: string, value: unknown) => refused(`${path} ${rule}`, at(value), path, HOSTNAME_MESSAGE);
  return [
    ok('one letter', 'a'),
    ok('a name with digits, hyphens, capitals', 'Db-1.Example-2.COM'),
    ok('with a final dot', 'db.example.com.'),
    ok('with a label of 63 characters, first and later', `${label(63)}.${label(63)}`),
    ok('of 253 characters', hostnameOf(253)),
    ok('of 253 characters and a final dot', `${hostnameOf(253)}.`),
    ok('an IPv4 address', '192.0.2.10'),
    ok('an IPv6 address', '2001:db8::1'),
    ok('IPv6 loopback', '::1'),
    no('with a first label of 64 characters', `${label(64)}.example.com`),
    no('with a later label of 64 characters', `db.${label(64)}`),
    no('of 254 characters', hostnameOf(254)),
    no('starting with a hyphen', '-db.example.com'),
    no('with a label ending in a hyphen', 'db-.example.com'),
    no('with a later label starting with a hyphen', 'db.-example.com'),
    no('with an empty label', 'db..example.com'),
    no('starting with a dot', '.db.example.com'),
    no('with an underscore', 'db_1.example.com'),
    no('a socket path', '/var/run/postgresql'),
    no('with a path after the name', 'db.example.com/x'),
    no('with a port', 'db.example.com:5432'),
    no('with a space', 'db example.com'),
    no('an IPv6 address in brackets', '[2001:db8::1]'),
    no('an IPv6 address with a zone (an interface of the connecting machine)', 'fe80::1%eth0'),
    no('a global IPv6 address with a zone', '2001:db8::1%1'),
    no('a URL', 'https://db.example.com'),
    refused(`${path} empty`, at(''), path, 'must not be empty'),
    refused(`${path} a number`, at(42), path, 'must be a string'),
  ];
}

/** Two certificates that load (Node's own root store: public, nothing secret). */
export const CERTIFICATE = rootCertificates[0] as string;
export const OTHER_CERTIFICATE = rootCertificates[1] as string;
export const PEM_CERTIFICATES_MESSAGE = 'must be one or more PEM certificates (-----BEGIN CERTIFICATE-----)';
export const CA_ONLY_WHEN_VERIFIED = "is only used with ssl_mode 'verify-ca' or 'verify-full'";

/**
 * `ca_certificate` (pg-wire/ssl-mode.ts, mysql's own): certificates only, at most 65536 characters,
 * and only with a verifying ssl_mode.
 */
export function caCertificateField(base: Body, defaultSslModeVerifies: boolean): Case[] {
  const path = 'credentials.ca_certificate';
  const verified = (value: unknown, mode = 'verify-full') => withFields(base, { 'credentials.ssl_mode': mode, [path]: value });
  const padded = (length: number) => CERTIFICATE.padEnd(length, '\n');
  const noPem = (rule: string, value: string) => refused(`${path} ${rule}`, verified(value), path, PEM_CERTIFICATES_MESSAGE);
  return [
    accepted(`${path} with ssl_mode verify-full`, verified(CERTIFICATE)),
    accepted(`${path} with ssl_mode verify-ca`, verified(CERTIFICATE, 'verify-ca')),
    refused(`${path} with ssl_mode require`, verified(CERTIFICATE, 'require'), path, CA_ONLY_WHEN_VERIFIED),
    refused(`${path} with ssl_mode disable`, verified(CERTIFICATE, 'disable'), path, CA_ONLY_WHEN_VERIFIED),
    defaultSslModeVerifies
      ? accepted(
          `${path} without ssl_mode (the default verify-full)`,
          withFields(base, { 'credentials.ssl_mode': OMIT, [path]: CERTIFICATE }),
        )
      : refused(
          `${path} without ssl_mode (the default require)`,
          withFields(base, { 'credentials.ssl_mode': OMIT, [path]: CERTIFICATE }),
          path,
          CA_ONLY_WHEN_VERIFIED,
        ),
    accepted(`${path} of two certificates`, verified(`${CERTIFICATE}\n${OTHER_CERTIFICATE}`)),
    accepted(`${path} with text around the certificate`, verified(`issuer: example\n${CERTIFICATE}\ntrailer`)),
    accepted(`${path} of 65536 characters`, verified(padded(65_536))),
    refused(`${path} of 65537 characters`, verified(padded(65_537)), path, 'must be at most 65536 characters'),
    noPem('of 65536 characters that are not PEM', 'x'.repeat(65_536)),
    noPem('a file path', '/etc/ssl/certs/ca.pem'),
    noPem('empty', ''),
    noPem('a block that is not a certificate', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----'),
    noPem('a good certificate followed by a bad one', `${CERTIFICATE}\n-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----`),
    noPem('a BEGIN line without its END', CERTIFICATE.replace('-----END CERTIFICATE-----', '')),
    refused(`${path} a number`, verified(42), path, 'must be a string'),
  ];
}

export const SSL_MODE_MESSAGE = "must be one of 'disable', 'require', 'verify-ca', 'verify-full'";
export const SSL_MODES = ['disable', 'require', 'verify-ca', 'verify-full'] as const;

/** ssl_mode: libpq's four names, nothing near them. */
export function sslModeField(base: Body): Case[] {
  return picklistField(base, 'credentials.ssl_mode', SSL_MODES, ['verify_full', 'VERIFY-FULL', 'prefer', 'allow', '', 1], SSL_MODE_MESSAGE);
}

/** An RSA key as Google issues service-account keys (PKCS#8, 2048 bits). */
export const SERVICE_ACCOUNT_KEY = generateKeyPairSync('rsa', { modulusLength: 2048 })
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString();

export const ROLE_ARN = 'arn:aws:iam::222233334444:role/warehouse-reader';

/** The smallest body each provider accepts: required fields only. */
export const MINIMAL: Record<ProviderId, Body> = {
  postgres: {
    provider: 'postgres',
    credentials: { host: 'db.example.com', database: 'analytics', username: 'reader', password: 'pg-canary-password' },
  },
  snowflake: {
    provider: 'snowflake',
    credentials: {
      account: 'acme-analytics',
      username: 'LOADER',
      password: 'sf-canary-password',
      warehouse: 'COMPUTE_WH',
      database: 'ANALYTICS',
    },
  },
  bigquery: {
    provider: 'bigquery',
    project_id: 'acme-analytics-123',
    dataset_id: 'levered',
    credentials: {
      type: 'service_account',
      project_id: 'acme-analytics-123',
      private_key: SERVICE_ACCOUNT_KEY,
      client_email: 'reader@acme-analytics-123.iam.gserviceaccount.com',
    },
  },
  mysql: {
    provider: 'mysql',
    credentials: { host: 'db.example.com', database: 'analytics', username: 'reader', password: 'my-canary-password' },
  },
  redshift: {
    provider: 'redshift',
    credentials: {
      host: 'examplecluster.abc123xyz789.us-west-2.redshift.amazonaws.com',
      database: 'dev',
      username: 'reader',
      password: 'rs-canary-password',
    },
  },
  databricks: {
    provider: 'databricks',
    credentials: {
      host: 'dbc-1234abcd-5678.cloud.databricks.com',
      http_path: '/sql/1.0/warehouses/0123456789abcdef',
      catalog: 'main',
      token: 'dapi-canary-token',
    },
  },
  clickhouse: {
    provider: 'clickhouse',
    credentials: { host: 'abc123.eu-west-1.aws.clickhouse.cloud', username: 'reader', password: 'ch-canary-password' },
  },
  trino: {
    provider: 'trino',
    dataset_id: 'sales',
    credentials: { host: 'trino.example.com', username: 'analyst', catalog: 'hive' },
  },
  athena: {
    provider: 'athena',
    dataset_id: 'analytics',
    credentials: { role_arn: ROLE_ARN, region: 'us-east-1' },
  },
  motherduck: {
    provider: 'motherduck',
    credentials: { token: 'md-canary-token', database: 'analytics' },
  },
};
