import { describe, expect, test } from '@jest/globals';
import { Validator } from '@seriousme/openapi-schema-validator';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../../lib/connections/list.js';
import * as errors from '../../lib/errors.js';
import { mapError } from '../../lib/http/error-mapping.js';
import { PROVIDER_IDS, PROVIDERS } from '../../lib/providers/registry.js';
import { STAGE_NAMES } from '../../lib/providers/verdict.js';
import { addressesOf, ROUTES } from '../../lib/routes.js';
import { loadOpenApiDocument, OpenApiContract, pointerSegment, type RecordedResponse } from '../helpers/openapi-contract.js';

/**
 * docs/openapi.yaml: a valid OpenAPI 3.1 document whose paths and methods are exactly the routes of
 * lib/routes.ts, whose enums are the code's (providers, stages, failure codes, secret fields), and
 * which admits every error the code can give at the status it gives it. What the service actually
 * answers is checked against it in every test file (test/setup/openapi-watch.ts).
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const document = loadOpenApiDocument();
const contract = new OpenApiContract(document);
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const schemas = document.components.schemas as Record<string, Record<string, unknown>>;

function enumOf(name: string): unknown[] {
  return schemas[name]!.enum as unknown[];
}

function sourceFiles(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** Every `$ref` in the document, with where it is. */
function refsIn(value: unknown, at = ''): { at: string; ref: string }[] {
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, child]) =>
    key === '$ref' && typeof child === 'string' ? [{ at, ref: child }] : refsIn(child, `${at}/${pointerSegment(key)}`),
  );
}

/** Whether some operation's response for `status` admits the body (its JSON schema, after refs). */
function someOperationAdmits(status: number, body: unknown): boolean {
  return Object.entries(document.paths).some(([path, item]) =>
    METHODS.filter((method) => item[method] !== undefined).some((method) => {
      const responses = (item[method]!.responses ?? {}) as Record<string, unknown>;
      if (!(String(status) in responses)) return false;
      const { pointer } = contract.resolve(`/paths/${pointerSegment(path)}/${method}/responses/${status}`);
      return contract.validatorAt(`${pointer}/content/application~1json/schema`)(body);
    }),
  );
}

const meta = { request_id: '0b5a3c1e-1111-4222-8333-444455556666', organization_id: 'acme' };

describe('docs/openapi.yaml', () => {
  test('is a valid OpenAPI 3.1 document', async () => {
    const result = await new Validator().validate(structuredClone(document));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(document.openapi).toMatch(/^3\.1\./);
  });

  test('every $ref resolves, and every schema compiles as strict JSON Schema 2020-12', () => {
    const unresolved = refsIn(document).filter(({ ref }) => {
      try {
        contract.resolve(ref.slice(1));
        return false;
      } catch {
        return true;
      }
    });
    expect(unresolved).toEqual([]);
    for (const name of Object.keys(schemas)) expect(() => contract.validatorAt(`/components/schemas/${name}`)).not.toThrow();
  });

  test("documents exactly the routes' addresses: none missing, none that does not exist", () => {
    const documented = Object.entries(document.paths)
      .flatMap(([path, item]) => METHODS.filter((method) => item[method] !== undefined).map((method) => `${method.toUpperCase()} ${path}`))
      .sort();
    const routed = ROUTES.flatMap((route) => addressesOf(route).map((address) => `${address.method} ${address.path}`)).sort();
    expect(documented).toEqual(routed);
  });

  const addresses = ROUTES.flatMap((route) => addressesOf(route).map((address) => ({ ...address, route })));
  test.each(addresses.map((address) => [`${address.method} ${address.path}`, address.route.functionName, address] as const))(
    '%s names its function (%s), its path parameters, and a body only where the route takes one',
    (_, functionName, address) => {
      const item = document.paths[address.path]!;
      const operation = item[address.method.toLowerCase()]!;
      expect(operation['x-function-name']).toBe(functionName);
      const parameters = [...((item.parameters as unknown as unknown[]) ?? []), ...((operation.parameters as unknown[]) ?? [])].map(
        (parameter) => contract.resolve((parameter as { $ref: string }).$ref.slice(1)).value,
      );
      const inPath = parameters.filter((parameter) => parameter.in === 'path').map((parameter) => parameter.name);
      expect(inPath.sort()).toEqual([...address.path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]).sort());
      expect(operation.requestBody !== undefined).toBe(address.route.body === 'json');
      expect(Object.keys(operation.responses as object)).toEqual(expect.arrayContaining(['401', '500', '503']));
    },
  );

  test('its enums are the code’s: providers, stages, failure codes', () => {
    // As sets: the order of an enum says nothing.
    expect([...enumOf('ProviderId')].sort()).toEqual([...PROVIDER_IDS].sort());
    expect([...enumOf('StageName')].sort()).toEqual([...STAGE_NAMES].sort());
    const verdictSource = readFileSync(join(ROOT, 'lib/providers/verdict.ts'), 'utf8');
    const failureCodes = [.../export type FailureCode =([^;]+);/.exec(verdictSource)![1]!.matchAll(/'([a-z_]+)'/g)].map(
      (match) => match[1],
    );
    expect([...enumOf('FailureCode')].sort()).toEqual(failureCodes.sort());
  });

  test.each(PROVIDER_IDS)('%s: the edit form lists its secret fields as stored, and never shows one', (provider) => {
    const parts = schemas[`${provider === 'bigquery' ? 'BigQuery' : provider[0]!.toUpperCase() + provider.slice(1)}DetailParts`]!;
    const storedSecrets = (parts.properties as Record<string, { oneOf: { items?: { enum: string[] }; maxItems?: number }[] }>)
      .stored_secrets!;
    const stored = storedSecrets.oneOf[1]!;
    // A provider without secrets (Athena) documents a list that is always empty.
    expect(stored.items?.enum ?? (stored.maxItems === 0 ? [] : undefined)).toEqual([...PROVIDERS[provider].secretFields]);
    const shown = (parts.properties as Record<string, { oneOf: { $ref?: string }[] }>).credentials!.oneOf[1]!.$ref!;
    const validate = contract.validatorAt(shown.slice(1));
    for (const path of PROVIDERS[provider].secretFields) {
      const field = path.replace(/^credentials\./, '');
      expect(validate({ [field]: 'canary-not-a-secret' })).toBe(false);
    }
  });

  test('list paging: limit 1 to MAX_PAGE_SIZE, default DEFAULT_PAGE_SIZE', () => {
    const limit = contract.resolve('/components/parameters/Limit').value.schema as Record<string, unknown>;
    expect(limit).toMatchObject({ minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE });
  });
});

/** The arguments that build each error class of lib/errors.ts, for the check below. */
const ERROR_ARGUMENTS: Record<string, unknown[]> = {
  ValidationError: [[{ field: 'credentials.port', message: 'must be an integer from 1 to 65535' }]],
  PayloadTooLargeError: ['body: must be at most 64 KiB', { field: 'body' }],
  UnauthorizedError: ['The request carries no verified identity.'],
  ConnectionNotFoundError: [],
  ConnectionNameTakenError: [],
  ConnectionLimitError: [200],
  VersionMismatchError: [3],
  SecretRequiredError: [['credentials.host'], ['credentials.password']],
  FullCredentialsRequiredError: [],
  DependencyUnavailableError: [new Error('throttled')],
  DeadlineExceededError: [],
  CredentialsUnreadableError: [new Error('did not authenticate')],
  StoredConnectionUnreadableError: ['attribute settings'],
  TestRateLimitedError: [{ tests: 30, windowSeconds: 60 }, 12],
};

type ErrorClass = new (...args: unknown[]) => errors.ServiceError;
const errorClasses = Object.entries(errors as Record<string, unknown>)
  .filter(([, value]) => typeof value === 'function' && value.prototype instanceof errors.ServiceError)
  .map(([name, value]) => [name, value as ErrorClass] as const);

/** Codes given at run time by BadRequestError's callers, read from the source. */
const badRequestCodes = sourceFiles(join(ROOT, 'lib')).flatMap((file) =>
  [...readFileSync(file, 'utf8').matchAll(/new BadRequestError\(\s*'([a-z_]+)'/g)].map((match) => match[1]!),
);

/** Answers the local gateway makes itself (local/api-gateway.ts), by status and code. */
const gatewayCodes = [
  ...readFileSync(join(ROOT, 'local/api-gateway.ts'), 'utf8').matchAll(
    /(\d{3}),\s*(?:\{\s*\.\.\.)?gatewayError\(\s*'([^']+)',\s*'([a-z_]+)'/g,
  ),
].map((match) => ({ status: Number(match[1]), message: match[2]!, code: match[3]! }));

describe('every error the code gives is documented at its status', () => {
  test('every error class of lib/errors.ts is built here (a new class must be added)', () => {
    expect(errorClasses.map(([name]) => name).filter((name) => name !== 'BadRequestError' && !(name in ERROR_ARGUMENTS))).toEqual([]);
    expect(badRequestCodes.length).toBeGreaterThanOrEqual(5);
    expect(gatewayCodes.map(({ code }) => code).sort()).toEqual([
      'method_not_allowed',
      'payload_too_large',
      'route_not_found',
      'unauthorized',
    ]);
  });

  const mapped = [
    ...errorClasses
      .filter(([name]) => name !== 'BadRequestError')
      .map(([name, ErrorClass]) => ({ name, error: new ErrorClass(...ERROR_ARGUMENTS[name]!) })),
    ...badRequestCodes.map((code) => ({ name: `BadRequestError ${code}`, error: new errors.BadRequestError(code, 'x: is wrong', 'x') })),
    { name: 'content type refused by the body parser', error: middyBodyParserError('Unsupported Media Type', undefined) },
    { name: 'malformed JSON', error: middyBodyParserError('Invalid or malformed JSON was provided', '{') },
    { name: 'empty body', error: middyBodyParserError('Invalid or malformed JSON was provided', '') },
    { name: 'an unknown error', error: new Error('a bug') },
  ].map(({ name, error }) => ({ name, ...mapError(error, meta.request_id) }));

  test.each(mapped.map((entry) => [entry.name, entry.statusCode, entry.body.code, entry]))('%s: %i %s', (_, status, _code, entry) => {
    expect(someOperationAdmits(status as number, { ...(entry as (typeof mapped)[number]).body, meta })).toBe(true);
  });

  test.each(gatewayCodes.map((entry) => [entry.code, entry.status, entry]))('local gateway %s: %i', (_, status, entry) => {
    const { message, code } = entry as (typeof gatewayCodes)[number];
    const body = {
      message,
      error: 'x',
      code,
      meta: { request_id: meta.request_id, organization_id: null },
      ...(code === 'payload_too_large' ? { field: 'body' } : {}),
    };
    const component = { 404: 'RouteNotFound', 405: 'MethodNotAllowed' }[status as number];
    if (component) expect(contract.validatorAt(`/components/responses/${component}/content/application~1json/schema`)(body)).toBe(true);
    else expect(someOperationAdmits(status as number, body)).toBe(true);
    // In AWS, API Gateway's own shape.
    if (!component) expect(someOperationAdmits(status as number, { message })).toBe(true);
  });

  test('ErrorCode lists exactly the codes found, no more', () => {
    const found = new Set([...mapped.map((entry) => entry.body.code), ...gatewayCodes.map((entry) => entry.code)]);
    expect([...enumOf('ErrorCode')].sort()).toEqual([...found].sort());
  });
});

function middyBodyParserError(message: string, data: string | undefined) {
  return Object.assign(new Error(message), {
    statusCode: message === 'Unsupported Media Type' ? 415 : 422,
    cause: { package: '@middy/http-json-body-parser', data },
  });
}

describe('the watch over responses (test/setup/openapi-watch.ts) refuses what the document does not describe', () => {
  const id = '3f1c2a4b-5d6e-4f70-8a9b-0c1d2e3f4a5b';
  const detail = {
    id,
    name: 'Main',
    active: false,
    provider: 'postgres',
    project_id: null,
    dataset_id: 'public',
    settings: {},
    created_at: '2026-01-02T03:04:05.678Z',
    updated_at: '2026-01-02T03:04:05.678Z',
    version: 1,
    status: null,
    last_tested_at: null,
    latency_ms: null,
    stages: null,
    credentials: { host: 'db.example.com', port: 5432, database: 'app', username: 'reader', ssl_mode: 'require' },
    stored_secrets: ['credentials.password'],
  };
  const headers = { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ETag: '"1"' };
  const read = (body: unknown, overrides: Partial<RecordedResponse> = {}): RecordedResponse => ({
    method: 'GET',
    path: `/api/v2/warehouse/connections/named/${id}`,
    status: 200,
    headers,
    body: JSON.stringify(body),
    ...overrides,
  });

  test('a response as documented passes', () => {
    expect(contract.check(read({ connection: detail, meta }))).toEqual({
      route: 'GET /api/v2/warehouse/connections/named/{connection_id}',
      problems: [],
    });
  });

  test.each([
    [
      'a secret in the edit form',
      read({ connection: { ...detail, credentials: { ...detail.credentials, password: 'x' } }, meta }),
      /password/,
    ],
    ['a field the document does not name', read({ connection: { ...detail, owner: 'x' }, meta }), /owner/],
    ['a required field missing', read({ connection: { ...detail, version: undefined }, meta }), /version/],
    [
      'a stage name the code does not have',
      read({ connection: { ...detail, stages: [{ name: 'ping', ok: true, ms: 1 }] }, meta }),
      /stages/,
    ],
    ['no meta', read({ connection: detail }), /meta/],
    ['a status the route does not give', read({ connection: detail, meta }, { status: 418 }), /no 418/],
    ['a header the document requires missing', read({ connection: detail, meta }, { headers: { ...headers, ETag: undefined } }), /ETag/],
    [
      'an error without the field it must name',
      read({ error: 'limit', code: 'invalid_limit', meta }, { path: '/api/v2/warehouse/connections/named?limit=0', status: 400 }),
      /field/,
    ],
    ['an error code the route does not give', read({ error: 'x', code: 'name_taken', field: 'name', meta }, { status: 404 }), /code/],
    ['a body on 204', read({ meta }, { method: 'DELETE', status: 204 }), /gives none/],
  ])('%s', (_, response, complaint) => {
    const { problems } = contract.check(response as RecordedResponse);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(complaint as RegExp);
  });

  test('off every route, only the gateway’s 404 and 405 are documented; the Lambda Invoke API is not the document’s', () => {
    const gateway = (status: number, code: string) =>
      read({ message: 'Not Found', error: 'x', code, meta: { ...meta, organization_id: null } }, { path: '/api/v2/nowhere', status });
    expect(contract.check(gateway(404, 'route_not_found')).problems).toEqual([]);
    expect(contract.check(gateway(500, 'route_not_found')).problems).toHaveLength(1);
    expect(contract.check(read('', { method: 'HEAD', path: '/api/v2/nowhere', status: 404, body: '' })).problems).toEqual([]);
    expect(contract.check(read({ anything: true }, { path: '/2015-03-31/functions/get-connection/invocations', method: 'POST' }))).toEqual({
      route: undefined,
      problems: [],
    });
  });
});
