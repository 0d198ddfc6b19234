import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULTS } from '../lib/config.js';
import { MAX_BODY_BYTES } from '../lib/http/endpoint.js';
import { isRoute, matchRoute, RESOLVER, routeKey, type FunctionSpec, type Route } from '../lib/routes.js';
import { httpApiEvent, lambdaContext } from './http-api-event.js';
import { loadHandler, type LambdaHandler } from './load-handler.js';
import { TokenRejectedError, type TokenVerifier } from './jwt.js';
import { checkSigV4Header, SigV4Error, verifySigV4 } from './sigv4.js';

/**
 * Plays API Gateway (HTTP API, JWT authorizer, payload v2) and the Lambda Invoke API in front of
 * the real handler modules, on one loopback port.
 */
export type { LambdaHandler };

export interface LocalFunction {
  route: FunctionSpec;
  handler: LambdaHandler;
}

export interface InvokeCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface LocalApiOptions {
  functions: LocalFunction[];
  verifier: TokenVerifier;
  port?: number;
  host?: string;
  /**
   * Who may call the Lambda Invoke API: requests must be SigV4-signed with one of these. Default:
   * the runtime's own AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (none set: nobody may invoke).
   */
  invokeCredentials?: InvokeCredentials[];
  /** The claim naming the organization (default: the functions' default, org_id); a non-string value is refused. */
  orgClaim?: string;
  /**
   * The principals (access key ids, on one machine) that may invoke the resolve function, as the
   * deployed function's resource policy names consumer roles; they may invoke nothing else.
   * Default: WAREHOUSE_CONSUMER_PRINCIPALS (comma-separated; none set: nobody may resolve).
   */
  consumers?: string[];
}

export interface LocalApi {
  url: string;
  close(): Promise<void>;
}

/**
 * The largest body the gateway reads. API Gateway itself takes 10 MB, but every function refuses
 * more than 64 KiB, so reading more would only let a caller fill memory. The margin lets bodies
 * just over the limit reach the function, whose own 413 is the one clients see in AWS.
 */
export const GATEWAY_MAX_BODY_BYTES = MAX_BODY_BYTES + 1024;
const LAMBDA_MAX_PAYLOAD = 6 * 1024 * 1024;
/**
 * After an early refusal the rest of a body is read and dropped (never kept), up to this much,
 * so a client that already sent it reads the answer instead of a connection reset; beyond it
 * the connection is cut.
 */
const MAX_DISCARDED_BYTES = 1024 * 1024;
const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

/** Imports each function's handler module, as Lambda would load the function's entry file. */
export async function loadFunctions(routes: readonly FunctionSpec[]): Promise<LocalFunction[]> {
  const functions: LocalFunction[] = [];
  // One at a time: jest's ESM loader fails on concurrent imports of shared modules.
  for (const route of routes) {
    functions.push({ route, handler: await loadHandler(route) });
  }
  return functions;
}

export async function startLocalApi(options: LocalApiOptions): Promise<LocalApi> {
  const byName = new Map(options.functions.map((fn) => [fn.route.functionName, fn]));
  const settings: GatewaySettings = {
    routes: options.functions.map((fn) => fn.route).filter(isRoute),
    consumers: new Set(options.consumers ?? environmentConsumers()),
    byName,
    verifier: options.verifier,
    invokeSecrets: new Map(
      (options.invokeCredentials ?? environmentCredentials()).map((credentials) => [credentials.accessKeyId, credentials.secretAccessKey]),
    ),
    orgClaim: options.orgClaim ?? DEFAULTS.orgClaim,
  };
  const server = createServer((request, response) => {
    serve(request, response, settings).catch(() => {
      if (!response.headersSent) refuse(request, response, 500, { message: 'Internal Server Error' });
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

interface GatewaySettings {
  routes: Route[];
  consumers: Set<string>;
  byName: Map<string, LocalFunction>;
  verifier: TokenVerifier;
  invokeSecrets: Map<string, string>;
  orgClaim: string;
}

/** The runtime's own key, and each consumer's: one machine has one secret, AWS_SECRET_ACCESS_KEY. */
function environmentCredentials(): InvokeCredentials[] {
  const { AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY } = process.env;
  if (!AWS_SECRET_ACCESS_KEY) return [];
  return [...(AWS_ACCESS_KEY_ID ? [AWS_ACCESS_KEY_ID] : []), ...environmentConsumers()].map((accessKeyId) => ({
    accessKeyId,
    secretAccessKey: AWS_SECRET_ACCESS_KEY,
  }));
}

function environmentConsumers(): string[] {
  return (process.env.WAREHOUSE_CONSUMER_PRINCIPALS ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
}

/**
 * In API Gateway's order: route, then the JWT authorizer, then the body. Nothing of a body is read
 * before the token passed and the declared length fits, and never more than the limit.
 */
async function serve(request: IncomingMessage, response: ServerResponse, settings: GatewaySettings): Promise<void> {
  // The raw request target, split by hand: URL parsing would read "//x" as a host.
  const [pathname = '/', query = ''] = (request.url ?? '/').split(/\?(.*)/s);
  const url = { pathname, search: query ? `?${query}` : '' };
  const method = request.method ?? 'GET';
  const invoke = INVOKE_PATH.exec(url.pathname);
  if (invoke) return invokeFunction(request, response, settings, url.pathname, query, invoke[1] ?? '');

  const match = matchRoute(settings.routes, method, url.pathname);
  if (!match.found) {
    if (match.allowedMethods.length === 0)
      return refuse(request, response, 404, gatewayError('Not Found', 'route_not_found', `No route for ${method} ${url.pathname}`));
    // API Gateway itself answers 404 here too; naming the methods the path has helps more locally.
    const allow = match.allowedMethods.join(', ');
    return refuse(
      request,
      response,
      405,
      gatewayError('Method Not Allowed', 'method_not_allowed', `${method} is not allowed on ${url.pathname}; use ${allow}`),
      { Allow: allow },
    );
  }
  const target = settings.byName.get(match.route.functionName)!;

  let claims: Record<string, unknown>;
  try {
    claims = await settings.verifier.verify(header(request, 'authorization'));
    // API Gateway hands every claim to the function as a string, so 123 and "123" would arrive
    // alike; here the type is still known, and an organization is only ever named by a string.
    const organization = claims[settings.orgClaim];
    if (organization !== undefined && typeof organization !== 'string')
      throw new TokenRejectedError(`The token's '${settings.orgClaim}' claim must be a string`);
  } catch (error) {
    const reason = error instanceof TokenRejectedError ? error.message : 'The bearer token could not be verified';
    return refuse(request, response, 401, gatewayError('Unauthorized', 'unauthorized', reason), { 'WWW-Authenticate': 'Bearer' });
  }

  const tooLarge = () =>
    refuse(request, response, 413, {
      ...gatewayError('Request Entity Too Large', 'payload_too_large', `body: must be at most ${MAX_BODY_BYTES / 1024} KiB`),
      field: 'body',
    });
  if (declaredLength(request) > GATEWAY_MAX_BODY_BYTES) return tooLarge();
  const body = await readBody(request, GATEWAY_MAX_BODY_BYTES);
  if (body === undefined) return tooLarge();

  const requestId = randomUUID();
  const event = httpApiEvent({
    method,
    path: url.pathname,
    routeKey: routeKey(match.address),
    pathParameters: match.pathParameters,
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

/**
 * Lambda's Invoke API, as @aws-sdk/client-lambda calls it. The event is passed as given, like Lambda
 * does, so it names any organization: only callers holding the local credentials may invoke.
 */
async function invokeFunction(
  request: IncomingMessage,
  response: ServerResponse,
  settings: GatewaySettings,
  rawPath: string,
  rawQuery: string,
  rawName: string,
): Promise<void> {
  const lambdaError = (status: number, code: string, message: string) =>
    refuse(request, response, status, { Type: 'User', message }, { 'x-amzn-ErrorType': code });
  if (request.method !== 'POST') return refuse(request, response, 405, { message: 'Method Not Allowed' });
  // A web page in the developer's browser sends Origin, and cannot sign without a CORS preflight
  // this server never grants; refusing Origin outright keeps browsers out even with a leaked key.
  if (request.headers.origin !== undefined) return lambdaError(403, 'AccessDeniedException', 'Lambda Invoke does not answer browsers');
  const credentialsFor = (accessKeyId: string) => {
    const secretAccessKey = settings.invokeSecrets.get(accessKeyId);
    return secretAccessKey === undefined ? undefined : { secretAccessKey };
  };
  let caller: string;
  try {
    caller = checkSigV4Header(request.headersDistinct, credentialsFor, { service: 'lambda' }).accessKeyId;
  } catch (error) {
    if (error instanceof SigV4Error) return lambdaError(error.statusCode, error.code, error.message);
    throw error;
  }

  const nameOrArn = decodedName(rawName);
  const name = nameOrArn?.replace(/^arn:aws:lambda:[^:]+:\d+:function:/, '').split(':')[0] ?? '';
  const target = settings.byName.get(name);
  if (!target) return lambdaError(404, 'ResourceNotFoundException', `Function not found: ${nameOrArn ?? rawName}`);
  // The resolver's resource policy names its consumers; consumers hold no other permission.
  const isConsumer = settings.consumers.has(caller);
  if ((target.route.functionName === RESOLVER.functionName) !== isConsumer) {
    return lambdaError(
      403,
      'AccessDeniedException',
      `User: ${caller} is not authorized to perform: lambda:InvokeFunction on resource: ${target.route.functionName}`,
    );
  }
  const tooLarge = () => lambdaError(413, 'RequestTooLargeException', `Request must be smaller than ${LAMBDA_MAX_PAYLOAD} bytes`);
  if (declaredLength(request) > LAMBDA_MAX_PAYLOAD) return tooLarge();
  const body = await readBody(request, LAMBDA_MAX_PAYLOAD);
  if (body === undefined) return tooLarge();
  try {
    await verifySigV4({ method: 'POST', path: rawPath, query: rawQuery, headers: request.headersDistinct, body }, credentialsFor, {
      service: 'lambda',
    });
  } catch (error) {
    if (error instanceof SigV4Error) return lambdaError(error.statusCode, error.code, error.message);
    throw error;
  }

  let event: unknown;
  try {
    event = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
  } catch {
    return lambdaError(400, 'InvalidRequestContentException', 'Could not parse request body into json');
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
    const failure =
      error instanceof FunctionTimeoutError
        ? { errorType: 'Sandbox.Timedout', errorMessage: `Task timed out after ${target.route.timeoutSeconds} seconds` }
        : { errorType: (error as Error)?.name ?? 'Error', errorMessage: 'The function failed' };
    send(response, 200, failure, { 'X-Amz-Function-Error': 'Unhandled', 'x-amzn-RequestId': requestId });
  }
}

/** The function name from the path; undefined when it is not valid percent-encoding (no such function). */
function decodedName(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
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
    const structured = result as {
      statusCode: number;
      headers?: Record<string, string>;
      body?: string;
      isBase64Encoded?: boolean;
      cookies?: string[];
    };
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

/** The declared Content-Length (0 when chunked or absent; node:http refuses malformed ones). */
function declaredLength(request: IncomingMessage): number {
  const value = Number(request.headers['content-length'] ?? 0);
  return Number.isFinite(value) ? value : Number.POSITIVE_INFINITY;
}

/**
 * The body, or undefined as soon as it grows past `limit` (a chunked body has no declared length):
 * what was read is dropped and reading stops there.
 */
function readBody(request: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = () => {
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('close', onClose);
      request.pause();
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      stop();
      chunks.length = 0;
      resolve(undefined);
    };
    const onEnd = () => {
      stop();
      resolve(Buffer.concat(chunks));
    };
    const onClose = () => {
      stop();
      reject(new Error('the client closed the connection before the body ended'));
    };
    request.on('data', onData);
    request.on('end', onEnd);
    request.on('close', onClose);
  });
}

/**
 * Answers before (the rest of) the body was read: what still comes is dropped as it arrives, up to
 * MAX_DISCARDED_BYTES, then the connection is cut. Nothing of it is kept.
 */
function refuse(
  request: IncomingMessage,
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (!request.complete) {
    let discarded = 0;
    request.on('data', (chunk: Buffer) => {
      discarded += chunk.length;
      if (discarded > MAX_DISCARDED_BYTES) request.socket.destroy();
    });
    request.resume();
  }
  send(response, status, body, headers);
}

function closeServer(server: Server): Promise<void> {
  return new Promise((done) => {
    server.close(() => done());
    server.closeAllConnections();
  });
}
