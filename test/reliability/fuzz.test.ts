import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { API_BASE_PATH } from '../../lib/routes.js';
import { bigqueryBody, postgresBody, SECRETS, SEED_BODIES, snowflakeBody } from '../helpers/bodies.js';
import { capturedLogLines } from '../helpers/logs.js';
import { handlerTransportFor, startTestApi, type ApiResponse, type TestApi } from '../helpers/transports.js';
import { freePort } from '../setup/postgres-server.js';
import { rawRequest, type RawResponse } from './support/raw-http.js';
import { scaled } from './support/scale.js';

/**
 * Generated requests through the local HTTP server: random and near-valid bodies for each
 * provider, wrong types, huge and deeply nested JSON, odd unicode and NUL bytes, wrong content
 * types and methods, missing and malformed headers. Every answer must be 2xx or 4xx with `error`
 * and `code`, within 10 s, and the server must keep serving.
 */
const RUNS_PER_ENDPOINT = scaled(250, 10_000);
let testApi: TestApi;
let validTokens: string[];
const responses: RawResponse[] = [];

beforeAll(async () => {
  // Snowflake and BigQuery connections that fuzzing stores are tested against closed loopback ports.
  const closedPort = await freePort();
  process.env.WAREHOUSE_SNOWFLAKE_ACCESS_URL = `http://127.0.0.1:${closedPort}`;
  process.env.WAREHOUSE_BIGQUERY_API_ENDPOINT = `http://127.0.0.1:${closedPort}`;
  process.env.WAREHOUSE_TEST_DEADLINE_MS = '2000';
  testApi = await startTestApi();
  validTokens = await Promise.all(['org-fuzz-1', 'org-fuzz-2'].map((org) => testApi.issuer.sign({ sub: 'fuzzer', org_id: org })));
});
afterAll(async () => {
  await testApi.close();
});

const seeds = [postgresBody(), snowflakeBody(), bigqueryBody(), snowflakeBody({}, { auth_method: 'key_pair', password: undefined })];
/** Fields that name a host are never set to generated values: a generated name would be resolved by DNS. */
const HOST_FIELDS = new Set(['host', 'account', 'project_id']);

const oddText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.constantFrom('\u0000', 'a\u0000b', '\uFEFF', '\uD800', '‮', 'ｐｏｓｔｇｒｅｓ', '𝕡𝕠𝕤𝕥𝕘𝕣𝕖𝕤', 'x'.repeat(5_000)),
);
const anyValue = fc.oneof(oddText, fc.jsonValue({ maxDepth: 3 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null));

type Json = Record<string, unknown>;
type GeneratedBy<A> = A extends fc.Arbitrary<infer T> ? T : never;
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('drop' as const), top: fc.boolean(), index: fc.nat() }),
  fc.record({ kind: fc.constant('set' as const), top: fc.boolean(), index: fc.nat(), value: anyValue }),
  fc.record({ kind: fc.constant('add' as const), top: fc.boolean(), key: oddText, value: anyValue }),
);

function mutate(seed: Json, steps: GeneratedBy<typeof mutation>[]): Json {
  const body: Json = structuredClone({ ...seed, credentials: { ...(seed.credentials as Json) } });
  for (const step of steps) {
    const target = step.top || typeof body.credentials !== 'object' || body.credentials === null ? body : (body.credentials as Json);
    const keys = Object.keys(target);
    if (step.kind === 'add') target[step.key] = step.value;
    else if (keys.length > 0) {
      const key = keys[step.index % keys.length]!;
      if (step.kind === 'drop') delete target[key];
      else if (!HOST_FIELDS.has(key)) target[key] = step.value;
    }
  }
  return body;
}

const nearValidBody = fc
  .tuple(fc.constantFrom(...seeds), fc.array(mutation, { maxLength: 4 }))
  .map(([seed, steps]) => Buffer.from(JSON.stringify(mutate(seed as Json, steps))));
const nested = (open: string, close: string, middle: string) =>
  fc.integer({ min: 50, max: 30_000 }).map((depth) => Buffer.from(open.repeat(depth) + middle + close.repeat(depth)));
const body = fc.oneof(
  { weight: 5, arbitrary: nearValidBody },
  { weight: 2, arbitrary: fc.jsonValue().map((value) => Buffer.from(JSON.stringify(value) ?? 'null')) },
  { weight: 1, arbitrary: nested('[', ']', '') },
  { weight: 1, arbitrary: nested('{"a":', '}', '1') },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 60_000, max: 300_000 }).map((size) => Buffer.from(JSON.stringify({ ...seeds[0], pad: 'x'.repeat(size) }))),
  },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 2_000 }).map((bytes) => Buffer.from(bytes)) },
  { weight: 1, arbitrary: oddText.map((text) => Buffer.from(text)) },
  { weight: 1, arbitrary: fc.constant(undefined) },
);

const contentType = fc.oneof(
  fc.constant(undefined),
  fc.constantFrom(
    'application/json',
    'application/json; charset=utf-8',
    'APPLICATION/JSON',
    'application/problem+json',
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/octet-stream',
    'json',
    '',
  ),
);
const authorization = (tokens: () => string[]) =>
  fc.oneof(
    { weight: 6, arbitrary: fc.nat().map((index) => `Bearer ${tokens()[index % tokens().length]}`) },
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.constantFrom('Bearer', 'Bearer ', 'Basic Zm9vOmJhcg==', 'bearer x.y.z', 'Bearer eyJhbGciOiJub25lIn0.e30.') },
    { weight: 1, arbitrary: fc.string({ maxLength: 200 }).filter((text) => /^[\x20-\x7e]*$/.test(text)) },
  );
const safeHeaderValue = fc.string({ maxLength: 100 }).filter((text) => /^[\x20-\x7e]*$/.test(text));

function requestFor(method: fc.Arbitrary<string>, path: fc.Arbitrary<string>) {
  return fc.record({
    method,
    path,
    authorization: authorization(() => validTokens),
    contentType,
    body,
    extraHeaders: fc.dictionary(fc.stringMatching(/^x-[a-z0-9-]{1,20}$/), safeHeaderValue, { maxKeys: 3 }),
  });
}

async function send(generated: GeneratedBy<ReturnType<typeof requestFor>>): Promise<RawResponse> {
  const headers: Record<string, string> = { ...generated.extraHeaders };
  if (generated.authorization !== undefined) headers.authorization = generated.authorization;
  if (generated.contentType !== undefined) headers['content-type'] = generated.contentType;
  const response = await rawRequest(testApi.api.url, {
    method: generated.method,
    path: generated.path,
    headers,
    ...(generated.body ? { body: generated.body } : {}),
  });
  responses.push(response);
  return response;
}

function assertWellFormed(method: string, response: RawResponse): void {
  expect(response.status).toBeGreaterThanOrEqual(200);
  expect(response.status).toBeLessThan(500);
  if (response.status >= 400 && method !== 'HEAD') {
    const parsed = JSON.parse(response.body) as { error?: unknown; code?: unknown };
    expect(typeof parsed.error).toBe('string');
    expect(typeof parsed.code).toBe('string');
  }
}

const endpoints: [string, fc.Arbitrary<string>, fc.Arbitrary<string>][] = [
  ['create (POST /connections)', fc.constant('POST'), fc.constant(API_BASE_PATH)],
  ['get (GET /connections)', fc.constant('GET'), fc.constant(API_BASE_PATH)],
  ['test (POST /connections/test)', fc.constant('POST'), fc.constant(`${API_BASE_PATH}/test`)],
  ['delete (DELETE /connections)', fc.constant('DELETE'), fc.constant(API_BASE_PATH)],
  [
    'other methods and paths',
    fc.constantFrom('PUT', 'PATCH', 'OPTIONS', 'HEAD', 'GET', 'POST'),
    fc.oneof(
      fc.webPath(),
      fc.constantFrom(
        `${API_BASE_PATH}/`,
        `${API_BASE_PATH}/x`,
        '/api/v2/warehouse',
        `${API_BASE_PATH}?a=1`,
        `${API_BASE_PATH}/test/..`,
        '//',
        '/%00',
      ),
    ),
  ],
];

describe(`${RUNS_PER_ENDPOINT} generated requests per endpoint`, () => {
  test.each(endpoints)(
    '%s: always 2xx or 4xx with error and code',
    async (_, method, path) => {
      await fc.assert(
        fc.asyncProperty(requestFor(method, path), async (generated) => {
          assertWellFormed(generated.method, await send(generated));
        }),
        { numRuns: RUNS_PER_ENDPOINT, endOnFailure: true },
      );
    },
    600_000,
  );

  test('Lambda Invoke API (unsigned, forged or garbled signatures and names): always 4xx with an AWS error type, and no function runs', async () => {
    const logLines = capturedLogLines().length;
    const forgedAuthorization = fc.oneof(
      fc.constant(undefined),
      fc.string({ maxLength: 200 }).filter((text) => /^[\x20-\x7e]*$/.test(text)),
      fc
        .record({
          key: fc.constantFrom('local', 'AKIDSTRANGER', ''),
          date: fc.constantFrom('20260101', 'x', ''),
          service: fc.constantFrom('lambda', 'dynamodb'),
          headers: fc.constantFrom('host;x-amz-date', 'host', 'x-amz-date;host', ''),
          signature: fc.stringMatching(/^[0-9a-f]{0,70}$/),
        })
        .map(
          ({ key, date, service, headers, signature }) =>
            `AWS4-HMAC-SHA256 Credential=${key}/${date}/us-east-1/${service}/aws4_request, SignedHeaders=${headers}, Signature=${signature}`,
        ),
    );
    const name = fc.oneof(
      fc.constantFrom(
        'get-connection',
        'create-connection',
        'nope',
        '%E0%A4%A',
        '%',
        '%00',
        'arn%3Aaws%3Alambda%3Aus-east-1%3A1%3Afunction%3Aget-connection',
      ),
      fc.stringMatching(/^[A-Za-z0-9%:._-]{1,40}$/),
    );
    await fc.assert(
      fc.asyncProperty(
        name,
        forgedAuthorization,
        fc.constantFrom('20260101T000000Z', 'now', undefined),
        body,
        async (functionName, authorization, amzDate, payload) => {
          const headers: Record<string, string> = { 'content-type': 'application/json' };
          if (authorization !== undefined) headers.authorization = authorization;
          if (amzDate !== undefined)
            headers['x-amz-date'] = amzDate === 'now' ? new Date().toISOString().replace(/[-:]|\.\d{3}/g, '') : amzDate;
          const response = await rawRequest(testApi.api.url, {
            method: 'POST',
            path: `/2015-03-31/functions/${functionName}/invocations`,
            headers,
            ...(payload ? { body: payload } : {}),
          });
          responses.push(response);
          expect(response.status).toBeGreaterThanOrEqual(400);
          expect(response.status).toBeLessThan(500);
          expect(response.headers['x-amzn-errortype']).toEqual(expect.any(String));
        },
      ),
      { numRuns: RUNS_PER_ENDPOINT, endOnFailure: true },
    );
    expect(capturedLogLines().length).toBe(logLines);
  }, 600_000);

  test('the server still serves afterwards', async () => {
    const response = await rawRequest(testApi.api.url, {
      method: 'GET',
      path: API_BASE_PATH,
      headers: { authorization: `Bearer ${validTokens[0]}` },
    });
    expect(response.status).toBe(200);
  });

  test('no response header or body, and no log line, carried a secret or a request body', () => {
    const everything = responses.map((response) => JSON.stringify(response.headers) + response.body).join('\n');
    const logs = capturedLogLines().join('');
    for (const secret of SECRETS) {
      expect(everything).not.toContain(secret);
      expect(logs).not.toContain(secret);
    }
    expect(logs).not.toContain('"credentials"');
    expect(responses.length).toBeGreaterThanOrEqual(RUNS_PER_ENDPOINT * endpoints.length);
  });
});

/**
 * Every field of every provider's seed body, mutated one at a time (and unknown fields added), sent
 * to POST /connections through the handler: always a 400 `validation_failed` naming that field (or
 * the object it belongs to), never a 5xx, never a secret or the sent value echoed. Only the create
 * function runs: nothing is stored, no warehouse is tested.
 */
describe('every field of every provider’s body, mutated', () => {
  // Over every field's limit, yet under the 64 KiB body limit (a larger body is a 413 before any field is read).
  const HUGE = 'x'.repeat(60_000);
  const NESTED_JUNK = { a: [{ b: { c: [null, 1, 'canary-nested'] } }], __proto__: { polluted: true } };
  /** Values no field takes (a string field gets a number, a number field a string, and so on). */
  const mutationsOf = (current: unknown): [string, unknown][] => [
    ['a wrong type', typeof current === 'number' ? 'canary-12345' : 12_345],
    ['a boolean', true],
    ['an array', ['canary-item']],
    ['nested junk', NESTED_JUNK],
    ['a huge string', typeof current === 'number' ? `${current}${HUGE}` : HUGE],
    ['control characters', 'canary\u0000\u001b[31m\r\n'],
  ];

  type Body = Record<string, unknown> & { credentials: Record<string, unknown> };
  const seedOf = (provider: keyof typeof SEED_BODIES) => SEED_BODIES[provider]() as Body;
  const cases = (Object.keys(SEED_BODIES) as (keyof typeof SEED_BODIES)[]).flatMap((provider) => {
    const seed = seedOf(provider);
    const paths = [
      ...Object.keys(seed).filter((key) => key !== 'provider'),
      ...Object.keys(seed.credentials).map((key) => `credentials.${key}`),
    ];
    return paths.flatMap((path) => {
      const [top, inner] = path.split('.') as [string, string | undefined];
      const current = inner === undefined ? seed[top] : seed.credentials[inner];
      return mutationsOf(current).map(([what, value]) => [provider, path, what, value] as const);
    });
  });
  const added = (Object.keys(SEED_BODIES) as (keyof typeof SEED_BODIES)[]).flatMap((provider) =>
    ['zz_unknown', 'credentials.zz_unknown'].map((path) => [provider, path] as const),
  );

  let handler: ReturnType<typeof handlerTransportFor>;
  beforeAll(() => {
    handler = handlerTransportFor(testApi.functions);
  });

  function expectRefusalNaming(response: ApiResponse, path: string, sent: unknown) {
    expect({ status: response.status, code: response.body?.code }).toEqual({ status: 400, code: 'validation_failed' });
    const named = [
      response.body!.field as string,
      ...((response.body!.details as { field: string }[]) ?? []).map((detail) => detail.field),
    ];
    // The field itself, or the object that holds it (a field whose name is not shown is named by its object).
    const parent = path.includes('.') ? path.split('.')[0]! : 'body';
    expect(named.some((field) => field === path || field.startsWith(`${path}.`) || field === parent)).toBe(true);
    for (const secret of SECRETS) expect(response.rawBody).not.toContain(secret);
    expect(response.rawBody).not.toContain('canary');
    if (typeof sent === 'string' && sent.length > 100) expect(response.rawBody.length).toBeLessThan(10_000);
  }

  test.each(cases)('%s %s, %s: 400 naming the field', async (provider, path, _, value) => {
    const body = seedOf(provider);
    const [top, inner] = path.split('.') as [string, string | undefined];
    if (inner === undefined) body[top] = value;
    else body.credentials[inner] = value;
    const response = await handler.call({ org: 'org-fuzz-fields', method: 'POST', body });
    expectRefusalNaming(response, path, value);
  });

  test.each(added)('%s with an unknown field %s: 400 naming it or its object', async (provider, path) => {
    const body = seedOf(provider);
    const [top, inner] = path.split('.') as [string, string | undefined];
    if (inner === undefined) body[top] = 'canary-unknown';
    else body.credentials[inner] = NESTED_JUNK;
    expectRefusalNaming(await handler.call({ org: 'org-fuzz-fields', method: 'POST', body }), path, undefined);
  });
});
