import { describe, expect, test } from '@jest/globals';
import {
  addressesOf,
  API_BASE_PATH,
  matchPath,
  matchRoute,
  NAMED_CONNECTION_PATH,
  NAMED_PATH,
  pathFor,
  ROUTE,
  ROUTES,
  routeKey,
  type Route,
} from '../../lib/routes.js';

/**
 * How a request finds its function (lib/routes.ts), as API Gateway picks a route: the router the
 * local gateway, the test transports and the rehearsal share.
 */
const ID = '0b8f6c1e-8f0e-4c52-9a59-3c1b2d0e7f11';
const everyAddress = ROUTES.flatMap((route) => addressesOf(route).map((address) => ({ route, address })));

describe('every address of the table reaches its own function', () => {
  test('the table has 14 addresses, each a distinct route key', () => {
    expect(everyAddress).toHaveLength(14);
    expect(new Set(everyAddress.map(({ address }) => routeKey(address))).size).toBe(14);
  });

  test.each(everyAddress.map(({ route, address }) => [routeKey(address), route.functionName, address] as const))(
    '%s -> %s',
    (_, functionName, address) => {
      const match = matchRoute(ROUTES, address.method, pathFor(address.path, { connection_id: ID }));
      expect(match).toEqual({
        found: true,
        route: expect.objectContaining({ functionName }),
        address,
        pathParameters: address.path.includes('{connection_id}') ? { connection_id: ID } : {},
      });
    },
  );

  test('the test function serves both test addresses, and says which one was called', () => {
    const base = matchRoute(ROUTES, 'POST', `${API_BASE_PATH}/test`);
    const named = matchRoute(ROUTES, 'POST', `${NAMED_PATH}/${ID}/test`);
    expect(base).toMatchObject({ found: true, route: ROUTE.test, pathParameters: {} });
    expect(named).toMatchObject({ found: true, route: ROUTE.test, pathParameters: { connection_id: ID } });
    expect(named.found && routeKey(named.address)).toBe(`POST ${NAMED_CONNECTION_PATH}/test`);
  });
});

describe('a literal segment wins over a parameter', () => {
  const route = (functionName: string, method: Route['method'], path: string): Route => ({ ...ROUTE.get, functionName, method, path });
  // Declared parameter first, so the order of the table cannot be what decides.
  const routes = [route('get-item', 'GET', '/items/{id}'), route('get-new-item-form', 'GET', '/items/new')];

  test('/items/new is the literal route, not {id} = "new"', () => {
    expect(matchRoute(routes, 'GET', '/items/new')).toMatchObject({
      found: true,
      route: { functionName: 'get-new-item-form' },
      pathParameters: {},
    });
  });

  test('any other segment is the parameter', () => {
    expect(matchRoute(routes, 'GET', '/items/42')).toMatchObject({
      found: true,
      route: { functionName: 'get-item' },
      pathParameters: { id: '42' },
    });
  });

  test('in the table: POST .../connections/test is the base test route, not a named one', () => {
    expect(matchRoute(ROUTES, 'POST', `${API_BASE_PATH}/test`)).toMatchObject({ found: true, address: { path: `${API_BASE_PATH}/test` } });
  });
});

describe('path parameters as API Gateway passes them', () => {
  test.each([
    ['a percent-encoded space and slash are decoded', 'a%20b%2Fc', 'a b/c'],
    ['UTF-8 is decoded', '%CE%BB-%E4%B8%96', 'λ-世'],
    ['a plus sign stays a plus sign (a path is not a form)', 'a+b', 'a+b'],
    ['an encoded percent sign is decoded once', '100%2525', '100%25'],
  ])('%s', (_, segment, decoded) => {
    expect(matchPath(NAMED_CONNECTION_PATH, `${NAMED_PATH}/${segment}`)).toEqual({ connection_id: decoded });
    expect(matchRoute(ROUTES, 'GET', `${NAMED_PATH}/${segment}`)).toMatchObject({
      found: true,
      pathParameters: { connection_id: decoded },
    });
  });

  test('pathFor encodes what matchPath decodes', () => {
    const value = 'a b/c?d#e%f';
    const path = pathFor(NAMED_CONNECTION_PATH, { connection_id: value });
    expect(path).toBe(`${NAMED_PATH}/a%20b%2Fc%3Fd%23e%25f`);
    expect(matchPath(NAMED_CONNECTION_PATH, path)).toEqual({ connection_id: value });
  });

  test('pathFor refuses a template parameter it has no value for', () => {
    expect(() => pathFor(NAMED_CONNECTION_PATH, {})).toThrow(/connection_id/);
  });
});

describe('paths no route takes: 404, no methods to offer', () => {
  test.each([
    ['an empty parameter segment', `${NAMED_PATH}//activate`],
    ['a trailing slash after /named (an empty {connection_id})', `${NAMED_PATH}/`],
    ['a trailing slash after the base path', `${API_BASE_PATH}/`],
    ['a segment that is not valid percent-encoding', `${NAMED_PATH}/%E0%A4%A`],
    ['a lone percent sign', `${NAMED_PATH}/100%`],
    ['one segment too many', `${NAMED_PATH}/${ID}/test/again`],
    ['an unknown literal', `${API_BASE_PATH}/nope`],
    ['a literal in another case', `${API_BASE_PATH}/TEST`],
  ])('%s', (_, path) => {
    expect(matchRoute(ROUTES, 'GET', path)).toEqual({ found: false, allowedMethods: [] });
    expect(matchRoute(ROUTES, 'POST', path)).toEqual({ found: false, allowedMethods: [] });
  });
});

describe('a path that exists, with a method it does not have: the methods it has (for 405 Allow)', () => {
  test.each([
    [`${NAMED_PATH}/${ID}`, 'POST', ['DELETE', 'GET', 'PATCH']],
    [NAMED_PATH, 'DELETE', ['GET', 'POST']],
    [API_BASE_PATH, 'PUT', ['DELETE', 'GET', 'PATCH', 'POST']],
    [`${NAMED_PATH}/${ID}/test`, 'GET', ['POST']],
    [`${NAMED_PATH}/${ID}/activate`, 'DELETE', ['POST']],
    [`${API_BASE_PATH}/aws-identity`, 'POST', ['GET']],
  ])('%s with %s allows %j', (path, method, allowed) => {
    const match = matchRoute(ROUTES, method, path);
    expect(match.found).toBe(false);
    expect(match.found ? [] : [...match.allowedMethods].sort()).toEqual(allowed);
  });
});
