import type { Context } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { routeKey, type Route } from '../lib/routes.js';
import { httpApiEvent, lambdaContext } from './http-api-event.js';
import { TokenRejectedError, type TokenVerifier } from './jwt.js';

/**
 * Plays API Gateway (HTTP API, JWT authorizer, payload v2) and the Lambda Invoke API in front of
 * the real handler modules, on one loopback port.
 */
export type LambdaHandler = (event: unknown, context: Context) => Promise<unknown>;

export interface LocalFunction {
  route: Route;
  handler: LambdaHandler;
}

export interface LocalApiOptions {
  functions: LocalFunction[];
  verifier: TokenVerifier;
  port?: number;
  host?: string;
}

export interface LocalApi {
  url: string;
  close(): Promise<void>;
}

const PROJECT_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
const API_GATEWAY_MAX_BODY = 10 * 1024 * 1024;
const LAMBDA_MAX_PAYLOAD = 6 * 1024 * 1024;
const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

/** Imports each route's handler module, as Lambda would load the function's entry file. */
export async function loadFunctions(routes: readonly Route[]): Promise<LocalFunction[]> {
  const functions: LocalFunction[] = [];
  // One at a time: jest's ESM loader fails on concurrent imports of shared modules.
  for (const route of routes) {
    const module = (await import(resolve(PROJECT_ROOT, route.entry))) as { handler: LambdaHandler };
    functions.push({ route, handler: module.handler });
  }
  return functions;
}

export async function startLocalApi(options: LocalApiOptions): Promise<LocalApi> {
  const byName = new Map(options.functions.map((fn) => [fn.route.functionName, fn]));
  const server = createServer((request, response) => {
    serve(request, response, options, byName).catch(() => {
      if (!response.headersSent) send(response, 500, { message: 'Internal Server Error' });
      else response.destroy();
    });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 35_000;
  await new Promise<void>((ready, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => ready());
  });
  const { port } = server.address() as AddressInfo;
  return { url: `http://${options.host ?? '127.0.0.1'}:${port}`, close: () => closeServer(server) };
}

async function serve(request: IncomingMessage, response: ServerResponse, options: LocalApiOptions, byName: Map<string, LocalFunction>): Promise<void> {
  // The raw request target, split by hand: URL parsing would read "//x" as a host.
  const [pathname = '/', query = ''] = (request.url ?? '/').split(/\?(.*)/s);
  const url = { pathname, search: query ? `?${query}` : '' };
  const method = request.method ?? 'GET';
  const invoke = INVOKE_PATH.exec(url.pathname);
  if (invoke) return invokeFunction(request, response, byName, decodeURIComponent(invoke[1] ?? ''));

  const onPath = options.functions.filter((fn) => fn.route.path === url.pathname);
  if (onPath.length === 0) return send(response, 404, gatewayError('Not Found', 'route_not_found', `No route for ${method} ${url.pathname}`));
  const target = onPath.find((fn) => fn.route.method === method);
  if (!target) {
    const allow = onPath.map((fn) => fn.route.method).join(', ');
    return send(response, 405, gatewayError('Method Not Allowed', 'method_not_allowed', `${method} is not allowed on ${url.pathname}; use ${allow}`), { Allow: allow });
  }

  const body = await readBody(request, API_GATEWAY_MAX_BODY);
  if (body === undefined) return send(response, 413, gatewayError('Request Entity Too Large', 'payload_too_large', 'The request body is larger than 10 MB'));

  let claims: Record<string, unknown>;
  try {
    claims = await options.verifier.verify(header(request, 'authorization'));
  } catch (error) {
    const reason = error instanceof TokenRejectedError ? error.message : 'The bearer token could not be verified';
    return send(response, 401, gatewayError('Unauthorized', 'unauthorized', reason), { 'WWW-Authenticate': 'Bearer' });
  }

  const requestId = randomUUID();
  const event = httpApiEvent({
    method,
    path: url.pathname,
    routeKey: routeKey(target.route),
    rawQueryString: url.search.slice(1),
    headers: request.headers,
    body,
    sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
    claims,
    requestId,
  });
  let result: unknown;
  try {
    result = await runWithTimeout(target, event, requestId);
  } catch (error) {
    if (error instanceof FunctionTimeoutError) return send(response, 504, { message: 'Gateway Timeout' });
    return send(response, 500, { message: 'Internal Server Error' });
  }
  writeProxyResult(response, result);
}

/** Lambda's Invoke API, as @aws-sdk/client-lambda calls it. The event is passed as given, like Lambda does. */
async function invokeFunction(request: IncomingMessage, response: ServerResponse, byName: Map<string, LocalFunction>, nameOrArn: string): Promise<void> {
  const name = nameOrArn.replace(/^arn:aws:lambda:[^:]+:\d+:function:/, '').split(':')[0] ?? '';
  const target = byName.get(name);
  if (request.method !== 'POST') return send(response, 405, { message: 'Method Not Allowed' });
  // The Invoke API takes claims from the event as given. A web page in the developer's browser must
  // not be able to post one: browsers send Origin, and cannot add a SigV4 Authorization header
  // without a CORS preflight this server never grants. The SDK always signs.
  if (request.headers.origin !== undefined || !/^AWS4-HMAC-SHA256 /.test(header(request, 'authorization') ?? '')) {
    return send(response, 403, { Type: 'User', message: 'Lambda Invoke needs a SigV4-signed request from an AWS SDK or CLI' }, { 'x-amzn-ErrorType': 'AccessDeniedException' });
  }
  if (!target) {
    return send(response, 404, { Type: 'User', message: `Function not found: ${nameOrArn}` }, { 'x-amzn-ErrorType': 'ResourceNotFoundException' });
  }
  const body = await readBody(request, LAMBDA_MAX_PAYLOAD);
  if (body === undefined) return send(response, 413, { Type: 'User', message: 'Request must be smaller than 6291456 bytes' }, { 'x-amzn-ErrorType': 'RequestTooLargeException' });
  let event: unknown;
  try {
    event = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
  } catch {
    return send(response, 400, { Type: 'User', message: 'Could not parse request body into json' }, { 'x-amzn-ErrorType': 'InvalidRequestContentException' });
  }
  const invocationType = header(request, 'x-amz-invocation-type') ?? 'RequestResponse';
  if (invocationType === 'DryRun') return send(response, 204, undefined);
  const requestId = randomUUID();
  const running = runWithTimeout(target, event, requestId);
  if (invocationType === 'Event') {
    running.catch(() => undefined);
    return send(response, 202, undefined, { 'x-amzn-RequestId': requestId });
  }
  try {
    send(response, 200, await running, { 'X-Amz-Executed-Version': '$LATEST', 'x-amzn-RequestId': requestId });
  } catch (error) {
    const failure = error instanceof FunctionTimeoutError
      ? { errorType: 'Sandbox.Timedout', errorMessage: `Task timed out after ${target.route.timeoutSeconds} seconds` }
      : { errorType: (error as Error)?.name ?? 'Error', errorMessage: 'The function failed' };
    send(response, 200, failure, { 'X-Amz-Function-Error': 'Unhandled', 'x-amzn-RequestId': requestId });
  }
}

class FunctionTimeoutError extends Error {}

async function runWithTimeout(target: LocalFunction, event: unknown, requestId: string): Promise<unknown> {
  const context = lambdaContext(target.route, requestId);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new FunctionTimeoutError()), target.route.timeoutSeconds * 1000);
  });
  try {
    return await Promise.race([target.handler(event, context), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Payload v2 response mapping: a structured result is used as is, anything else becomes a 200 JSON body. */
function writeProxyResult(response: ServerResponse, result: unknown): void {
  if (typeof result === 'object' && result !== null && 'statusCode' in result) {
    const structured = result as { statusCode: number; headers?: Record<string, string>; body?: string; isBase64Encoded?: boolean; cookies?: string[] };
    const body = structured.body === undefined ? undefined : Buffer.from(structured.body, structured.isBase64Encoded ? 'base64' : 'utf8');
    const headers: Record<string, string | string[]> = { ...structured.headers };
    if (structured.cookies?.length) headers['Set-Cookie'] = structured.cookies;
    response.writeHead(structured.statusCode, { ...headers, ...(body ? { 'Content-Length': body.length } : {}) });
    response.end(body);
    return;
  }
  send(response, 200, result);
}

function gatewayError(message: string, code: string, error: string) {
  return { message, error, code, meta: { request_id: randomUUID(), organization_id: null } };
}

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (body === undefined) {
    response.writeHead(status, headers);
    response.end();
    return;
  }
  const payload = JSON.stringify(body);
  response.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload), ...headers });
  response.end(payload);
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The body, or undefined when it is larger than `limit` (the rest is drained, not buffered). */
async function readBody(request: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size <= limit) chunks.push(chunk as Buffer);
  }
  return size > limit ? undefined : Buffer.concat(chunks);
}

function closeServer(server: Server): Promise<void> {
  return new Promise((done) => {
    server.close(() => done());
    server.closeAllConnections();
  });
}
