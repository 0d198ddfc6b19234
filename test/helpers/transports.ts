import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll } from '@jest/globals';
import type { Context } from 'aws-lambda';
import { randomBytes } from 'node:crypto';
import { API_BASE_PATH, isRoute, matchRoute, type RouteAddress, ROUTES } from '../../lib/routes.js';
import { loadFunctions, startLocalApi, type InvokeCredentials, type LocalApi, type LocalFunction } from '../../local/api-gateway.js';
import { lambdaContext, routeEvent } from '../../local/http-api-event.js';
import { localIssuer, type LocalIssuer } from '../../local/jwt.js';
import { watchResponse } from './logs.js';

/**
 * Three ways to reach the same functions: the handler called with an API Gateway v2 event,
 * Lambda's Invoke API on the local runtime (@aws-sdk/client-lambda), and plain HTTP with a
 * bearer token through the local API Gateway. Scenario tests run over all three.
 */
export interface ApiResponse {
  status: number;
  headers: Record<string, string>;
  body: Record<string, unknown> | undefined;
  rawBody: string;
}

export interface ApiCall {
  /** The organization the caller belongs to; null sends no identity at all. */
  org: string | null;
  method: 'GET' | 'POST' | 'DELETE' | 'PUT' | 'PATCH';
  /** The path as sent, percent-encoded, with any query string (`/named/<id>?limit=5`); default the base path. */
  path?: string;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
}

export interface Transport {
  name: 'handler' | 'invoke' | 'http';
  call(request: ApiCall): Promise<ApiResponse>;
}

export interface TestApi {
  transports: Transport[];
  issuer: LocalIssuer;
  api: LocalApi;
  functions: LocalFunction[];
  /** The credentials the local Invoke API accepts (a fresh secret per API). */
  invokeCredentials: InvokeCredentials;
  close(): Promise<void>;
}

export async function startTestApi(): Promise<TestApi> {
  const functions = await loadFunctions(ROUTES);
  const issuer = await localIssuer();
  const invokeCredentials = { accessKeyId: 'local', secretAccessKey: randomBytes(24).toString('base64url') };
  const api = await startLocalApi({ functions, verifier: issuer.verifier(), invokeCredentials: [invokeCredentials] });
  const lambda = new LambdaClient({ endpoint: api.url, region: 'us-east-1', credentials: invokeCredentials });

  const handlerTransport = handlerTransportFor(functions);

  const invokeTransport: Transport = {
    name: 'invoke',
    async call(request) {
      const target = routeFor(functions, request);
      const output = await lambda.send(
        new InvokeCommand({
          FunctionName: target.fn.route.functionName,
          Payload: Buffer.from(JSON.stringify(eventFor(target, request))),
        }),
      );
      if (output.FunctionError) throw new Error(`Function error: ${output.FunctionError}`);
      return fromLambdaResult(JSON.parse(Buffer.from(output.Payload ?? []).toString('utf8')) as LambdaResult, request);
    },
  };

  const httpTransport: Transport = {
    name: 'http',
    async call(request) {
      const headers: Record<string, string> = { ...request.headers };
      if (request.org !== null && headers.authorization === undefined)
        headers.authorization = `Bearer ${await issuer.sign({ sub: 'user-1', org_id: request.org })}`;
      const payload = bodyText(request);
      if (payload !== undefined && headers['content-type'] === undefined) headers['content-type'] = 'application/json';
      const response = await fetch(`${api.url}${request.path ?? API_BASE_PATH}`, {
        method: request.method,
        headers,
        ...(payload === undefined ? {} : { body: payload }),
      });
      const rawBody = await response.text();
      watchResponse(Object.fromEntries(response.headers), rawBody, {
        method: request.method,
        path: request.path ?? API_BASE_PATH,
        status: response.status,
      });
      return { status: response.status, headers: Object.fromEntries(response.headers), body: parse(rawBody), rawBody };
    },
  };

  return {
    transports: [handlerTransport, invokeTransport, httpTransport],
    issuer,
    api,
    functions,
    invokeCredentials,
    close: async () => {
      lambda.destroy();
      await api.close();
    },
  };
}

/**
 * The handler called directly with an API Gateway v2 event. `timeoutSeconds` replaces each
 * function's Lambda timeout (the deadline its context reports), for tests that run hundreds of
 * invocations in one process, where each waits for the others as it never would in Lambda.
 */
export function handlerTransportFor(functions: LocalFunction[], options: { timeoutSeconds?: number } = {}): Transport {
  return {
    name: 'handler',
    async call(request) {
      const { fn, ...target } = routeFor(functions, request);
      const route = options.timeoutSeconds === undefined ? fn.route : { ...fn.route, timeoutSeconds: options.timeoutSeconds };
      const result = (await fn.handler(eventFor({ fn, ...target }, request), lambdaContext(route) as Context)) as LambdaResult;
      return fromLambdaResult(result, request);
    },
  };
}

interface LambdaResult {
  statusCode: number;
  headers?: Record<string, string>;
  body?: string;
}

interface Target {
  fn: LocalFunction;
  address: RouteAddress;
  pathParameters: Record<string, string>;
  query: string;
}

/** The function, address and path parameters API Gateway would pick for the request (lib/routes.ts matchRoute). */
function routeFor(functions: LocalFunction[], request: ApiCall): Target {
  const [path = API_BASE_PATH, query = ''] = (request.path ?? API_BASE_PATH).split(/\?(.*)/s);
  const match = matchRoute(functions.map((fn) => fn.route).filter(isRoute), request.method, path);
  if (!match.found) throw new Error(`No function for ${request.method} ${path}: only the http transport reaches API Gateway's 404/405`);
  const fn = functions.find((candidate) => candidate.route === match.route)!;
  return { fn, address: match.address, pathParameters: match.pathParameters, query };
}

function eventFor(target: Target, request: ApiCall) {
  const payload = bodyText(request);
  return routeEvent(target.address, {
    pathParameters: target.pathParameters,
    ...(target.query ? { query: target.query } : {}),
    ...(request.headers ? { headers: request.headers } : {}),
    ...(payload === undefined ? {} : { body: payload }),
    ...(request.org === null ? {} : { claims: { sub: 'user-1', org_id: request.org, iss: 'test', aud: 'warehouse-connections' } }),
  });
}

function bodyText(request: ApiCall): string | undefined {
  if (request.rawBody !== undefined) return request.rawBody;
  return request.body === undefined ? undefined : JSON.stringify(request.body);
}

function fromLambdaResult(result: LambdaResult, request: ApiCall): ApiResponse {
  const rawBody = result.body ?? '';
  watchResponse(result.headers ?? {}, rawBody, { method: request.method, path: request.path ?? API_BASE_PATH, status: result.statusCode });
  return { status: result.statusCode, headers: lowerCase(result.headers ?? {}), body: parse(rawBody), rawBody };
}

function lowerCase(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}

function parse(text: string): Record<string, unknown> | undefined {
  if (text === '') return undefined;
  return JSON.parse(text) as Record<string, unknown>;
}

/**
 * Starts the local API for the calling test file (closed after it). The transports it hands out
 * can be taken at module scope: they reach the API once it has started.
 */
export function useTestApi(): { api: () => TestApi; transport: (name: Transport['name']) => Transport } {
  let started: TestApi | undefined;
  beforeAll(async () => {
    started = await startTestApi();
  });
  afterAll(async () => {
    await started?.close();
  });
  const api = () => {
    if (!started) throw new Error('The test API starts in beforeAll');
    return started;
  };
  const transport = (name: Transport['name']): Transport => ({
    name,
    call: (request) =>
      api()
        .transports.find((candidate) => candidate.name === name)!
        .call(request),
  });
  return { api, transport };
}
