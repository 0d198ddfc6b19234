import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import { addressesOf, NAMED_PATH, pathFor, ROUTES, routeKey, type RouteAddress } from '../../lib/routes.js';
import { startLocalApi, type LocalApi } from '../../local/api-gateway.js';
import { localIssuer, type LocalIssuer } from '../../local/jwt.js';
import { useTestApi } from '../helpers/transports.js';

/**
 * The local API Gateway routes as API Gateway does, by lib/routes.ts: templated routes reach their
 * function with `pathParameters` (decoded) and the template as `routeKey`; the query string
 * arrives as sent and as `queryStringParameters`; bodies arrive as text or base64 by content type;
 * a path with other methods answers 405 with Allow, an unknown one 404, before any function runs.
 *
 * First in front of functions that only record their event (what the gateway hands a function),
 * then with the real functions over every transport.
 */
const everyAddress = ROUTES.flatMap((route) => addressesOf(route).map((address) => ({ functionName: route.functionName, address })));
/** An id that is not a UUID and needs encoding: the gateway must pass it on decoded, unchecked. */
const AWKWARD_ID = 'not a/uuid?#%λ';

describe('what the gateway hands a function', () => {
  type Received = { functionName: string; event: APIGatewayProxyEventV2WithJWTAuthorizer };
  let received: Received[] = [];
  let gateway: LocalApi;
  let issuer: LocalIssuer;
  let token: string;

  beforeAll(async () => {
    issuer = await localIssuer();
    token = await issuer.sign({ sub: 'user-1', org_id: 'org-routing' });
    gateway = await startLocalApi({
      functions: ROUTES.map((route) => ({
        route,
        handler: async (event: unknown) => {
          received.push({ functionName: route.functionName, event: event as APIGatewayProxyEventV2WithJWTAuthorizer });
          return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ran: route.functionName }) };
        },
      })),
      verifier: issuer.verifier(),
      invokeCredentials: [],
    });
  });
  afterAll(async () => gateway?.close());
  beforeEach(() => {
    received = [];
  });

  const send = (method: string, path: string, init: { body?: string; headers?: Record<string, string> } = {}) =>
    fetch(`${gateway.url}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...init.headers }, body: init.body });

  /** The one event the request produced. */
  const onlyEvent = () => {
    expect(received).toHaveLength(1);
    return received[0]!.event;
  };

  test.each(everyAddress.map(({ functionName, address }) => [routeKey(address), functionName, address] as const))(
    '%s reaches %s, with the template as routeKey and the path parameters decoded',
    async (key, functionName, address: RouteAddress) => {
      const templated = address.path.includes('{connection_id}');
      const path = pathFor(address.path, { connection_id: AWKWARD_ID });
      const response = await send(address.method, path);
      expect({ status: response.status, body: await response.json() }).toEqual({ status: 200, body: { ran: functionName } });
      expect(received.map((call) => call.functionName)).toEqual([functionName]);
      const event = onlyEvent();
      expect(event.routeKey).toBe(key);
      expect(event.requestContext.routeKey).toBe(key);
      expect(event.requestContext.http.method).toBe(address.method);
      if (templated) {
        expect(event.pathParameters).toEqual({ connection_id: AWKWARD_ID });
        // HTTP APIs pass the path decoded too (REST APIs and function URLs do not).
        expect(event.rawPath).toBe(address.path.replace('{connection_id}', AWKWARD_ID));
      } else {
        expect(event).not.toHaveProperty('pathParameters');
        expect(event.rawPath).toBe(address.path);
      }
      expect(event.requestContext.http.path).toBe(event.rawPath);
    },
  );

  test('the query string arrives as sent, and decoded in queryStringParameters with repeated names joined by commas', async () => {
    const query = 'limit=5&tag=a&tag=b&q=a+b%26c%3Dd&empty=&flag&name=%CE%BB';
    await send('GET', `${NAMED_PATH}?${query}`);
    const event = onlyEvent();
    expect(event.rawQueryString).toBe(query);
    expect(event.queryStringParameters).toEqual({ limit: '5', tag: 'a,b', q: 'a b&c=d', empty: '', flag: '', name: 'λ' });
  });

  test('without a query string there is no queryStringParameters', async () => {
    await send('GET', NAMED_PATH);
    const event = onlyEvent();
    expect(event.rawQueryString).toBe('');
    expect(event).not.toHaveProperty('queryStringParameters');
  });

  test('a query string on a templated route reaches the function with its path parameters', async () => {
    await send('POST', `${NAMED_PATH}/abc/test?verbose=1`);
    const event = onlyEvent();
    expect({ routeKey: event.routeKey, pathParameters: event.pathParameters, query: event.queryStringParameters }).toEqual({
      routeKey: `POST ${NAMED_PATH}/{connection_id}/test`,
      pathParameters: { connection_id: 'abc' },
      query: { verbose: '1' },
    });
  });

  // API Gateway passes only text/* and application/json, xml and javascript as text; every other
  // body, `+json` types included, arrives base64-encoded (isBase64Encoded: true).
  test.each([
    ['application/merge-patch+json', true, '{"dataset_id":"analytics","credentials":{"password":null}}'],
    ['application/merge-patch+json; charset=utf-8', true, '{"dataset_id":"λ"}'],
    ['application/x-www-form-urlencoded', true, 'dataset_id=analytics'],
    ['application/octet-stream', true, '\u0000\u0001binary'],
    ['application/json', false, '{"dataset_id":"analytics"}'],
    ['Application/JSON; charset=utf-8', false, '{"dataset_id":"λ"}'],
    ['text/plain; charset=utf-8', false, 'λ plain'],
  ])('a PATCH body sent as %s: base64-encoded %s, and exactly the bytes sent', async (contentType, base64, body) => {
    await send('PATCH', `${NAMED_PATH}/abc`, { body, headers: { 'content-type': contentType } });
    const event = onlyEvent();
    expect(event.isBase64Encoded).toBe(base64);
    expect(Buffer.from(event.body!, base64 ? 'base64' : 'utf8').toString('utf8')).toBe(body);
  });

  test('POST on /named/{connection_id} answers 405 allowing exactly GET, PATCH and DELETE, and runs no function', async () => {
    const response = await send('POST', `${NAMED_PATH}/abc`);
    expect(response.status).toBe(405);
    expect(
      response.headers
        .get('allow')
        ?.split(',')
        .map((method) => method.trim())
        .sort(),
    ).toEqual(['DELETE', 'GET', 'PATCH']);
    expect(await response.json()).toMatchObject({ code: 'method_not_allowed' });
    expect(received).toEqual([]);
  });

  test.each([
    ['an empty path parameter', `${NAMED_PATH}//activate`],
    ['a trailing slash', `${NAMED_PATH}/`],
    ['a parameter that is not valid percent-encoding', `${NAMED_PATH}/%E0%A4%A`],
    ['a segment too many', `${NAMED_PATH}/abc/test/again`],
  ])('%s is a 404 that runs no function', async (_, path) => {
    const response = await send('GET', path);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ code: 'route_not_found' });
    expect(received).toEqual([]);
  });
});

describe('the real functions read what the gateway passes', () => {
  const { transport } = useTestApi();

  // get-named-connection checks its {connection_id} before anything else, so the answer shows the
  // request reached that function with that path parameter, whatever the store holds.
  test.each(['handler', 'invoke', 'http'] as const)(
    'over %s, GET /named/not-a-uuid reaches get-named-connection: 400 naming path.connection_id',
    async (name) => {
      const response = await transport(name).call({ org: 'org-routing', method: 'GET', path: `${NAMED_PATH}/not-a-uuid` });
      expect({ status: response.status, body: response.body }).toEqual({
        status: 400,
        body: expect.objectContaining({ code: 'invalid_connection_id', field: 'path.connection_id' }),
      });
    },
  );

  test.each(['handler', 'invoke', 'http'] as const)(
    'over %s, a merge-patch+json body reaches patch-named-connection decoded (its path check answers, not the JSON parser)',
    async (name) => {
      const response = await transport(name).call({
        org: 'org-routing',
        method: 'PATCH',
        path: `${NAMED_PATH}/not-a-uuid?dry_run=1`,
        rawBody: JSON.stringify({ dataset_id: 'analytics' }),
        headers: { 'content-type': 'application/merge-patch+json' },
      });
      expect({ status: response.status, body: response.body }).toEqual({
        status: 400,
        body: expect.objectContaining({ code: 'invalid_connection_id', field: 'path.connection_id' }),
      });
    },
  );
});
