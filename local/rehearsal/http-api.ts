import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { matchPath } from '../../lib/routes.js';
import { httpApiEvent } from '../http-api-event.js';
import type { TokenVerifier } from '../jwt.js';
import { matchesWildcard } from './iam-policy.js';
import type { FunctionRuntime, InvokeOutcome } from './lambda-service.js';
import { verifySignedRequest, type RehearsalCredentials } from './signed-requests.js';
import type { ApiModel, AuthorizerModel, InvokePermission, RouteModel, Throttle } from './stack-model.js';

/**
 * API Gateway (HTTP API, payload 2.0) and the Lambda Invoke API, built from the template alone:
 * routes, integrations, the JWT authorizer, stage and route throttles, and the Lambda permissions
 * that let API Gateway invoke each function. Answers the gateway makes itself (401 from the
 * authorizer, 404 for an unknown route, 429 when throttled, 500 when the integration fails) are
 * in API Gateway's own shape, `{"message": ...}`.
 */
export interface RehearsalApiOptions {
  api: ApiModel;
  account: string;
  region: string;
  functions: Map<string, FunctionRuntime>;
  invokePermissions: InvokePermission[];
  verifierFor: (authorizer: AuthorizerModel) => TokenVerifier;
  /**
   * Who may call the Invoke API: the rehearsal's operator (an administrator of the account, whose
   * identity policy allows every invocation), and principals of other accounts or roles, which only
   * a function's resource policy (its AWS::Lambda::Permission) lets in.
   */
  invokers: (RehearsalCredentials & { principalArn?: string })[];
}

export interface RehearsalApi {
  url: string;
  close(): Promise<void>;
}

/** API Gateway's limit on an HTTP API request body. */
const MAX_REQUEST_BYTES = 10 * 1024 * 1024;
/** Lambda's limit on a synchronous invocation's payload. */
const MAX_INVOKE_BYTES = 6 * 1024 * 1024;
/** API Gateway HTTP API waits at most this long for an integration. */
const INTEGRATION_TIMEOUT_MS = 30_000;
const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

export async function startRehearsalApi(options: RehearsalApiOptions): Promise<RehearsalApi> {
  const { api } = options;
  const verifiers = new Map<RouteModel, TokenVerifier>();
  const buckets = new Map<string, TokenBucket>();
  const invokers = new Map(options.invokers.map((credentials) => [credentials.accessKeyId, credentials]));
  const byName = new Map<string, FunctionRuntime>();
  for (const runtime of options.functions.values()) {
    byName.set(runtime.fn.functionName, runtime);
    byName.set(runtime.fn.arn, runtime);
  }

  const server = createServer((request, response) => {
    serve(request, response).catch(() => {
      if (!response.headersSent) gatewayAnswer(response, 500, 'Internal Server Error');
      else response.destroy();
    });
  });
  server.headersTimeout = 10_000;

  async function serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const [path = '/', query = ''] = (request.url ?? '/').split(/\?(.*)/s);
    const invoke = INVOKE_PATH.exec(path);
    if (invoke) return invokeFunction(request, response, invoke[1]!);

    const method = request.method ?? 'GET';
    const match = matchRoute(api.routes, method, path);
    if (!match) return gatewayAnswer(response, 404, 'Not Found');
    const { route, pathParameters } = match;

    if (!bucketFor(route).take()) return gatewayAnswer(response, 429, 'Too Many Requests');

    let claims: Record<string, unknown> | undefined;
    if (route.authorizer) {
      const header = identityHeader(request, route.authorizer);
      if (header === undefined) return gatewayAnswer(response, 401, 'Unauthorized', { 'www-authenticate': 'Bearer' });
      try {
        claims = await verifierFor(route).verify(header);
      } catch {
        return gatewayAnswer(response, 401, 'Unauthorized', {
          'www-authenticate': 'Bearer scope="" error="invalid_token" error_description="the token is not valid"',
        });
      }
      if (route.authorizationScopes.length > 0 && !hasScope(claims, route.authorizationScopes))
        return gatewayAnswer(response, 403, 'Forbidden');
    }

    const body = await readBody(request, MAX_REQUEST_BYTES);
    if (body === undefined) return gatewayAnswer(response, 413, 'Request Entity Too Large');

    const runtime = [...options.functions.values()].find((candidate) => candidate.fn.logicalId === route.functionLogicalId)!;
    // The route's template, braces and all, not the request's path: what the permissions CDK
    // writes for a route (`.../*/*/named/{connection_id}`) are matched against.
    const sourceArn = `arn:aws:execute-api:${options.region}:${options.account}:${api.apiId}/${api.stageName}/${
      route.routeKey === '$default' ? '$default' : `${method}${route.path}`
    }`;
    if (!mayInvoke(options.invokePermissions, runtime.fn.arn, 'apigateway.amazonaws.com', sourceArn)) {
      // What API Gateway answers when it has no permission to call the function.
      return gatewayAnswer(response, 500, 'Internal Server Error');
    }
    const event = httpApiEvent({
      method,
      path,
      routeKey: route.routeKey,
      pathParameters,
      rawQueryString: query,
      headers: request.headers,
      body,
      sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
      ...(claims ? { claims } : {}),
      requestId: randomUUID(),
    });
    Object.assign(event.requestContext, { accountId: options.account, apiId: api.apiId, stage: api.stageName });
    if (!claims) delete (event.requestContext as { authorizer?: unknown }).authorizer;

    const outcome = await withIntegrationTimeout(runtime.invoke(Buffer.from(JSON.stringify(event))));
    if (outcome === 'timeout') return gatewayAnswer(response, 503, 'Service Unavailable');
    if (!outcome.ok) return gatewayAnswer(response, 500, 'Internal Server Error');
    writePayloadV2Result(response, outcome.payload);
  }

  /** Lambda's Invoke API, as @aws-sdk/client-lambda calls it, for the operator's signed requests. */
  async function invokeFunction(request: IncomingMessage, response: ServerResponse, encodedName: string): Promise<void> {
    const body = await readBody(request, MAX_INVOKE_BYTES);
    if (body === undefined)
      return lambdaError(
        response,
        413,
        'RequestTooLargeException',
        'Request must be smaller than 6291456 bytes for the InvokeFunction operation',
      );
    let caller: RehearsalCredentials & { principalArn?: string };
    try {
      caller = await verifySignedRequest(request, body, invokers, { service: 'lambda', region: options.region });
    } catch (error) {
      return lambdaError(response, 403, 'UnrecognizedClientException', (error as Error).message);
    }
    let name: string;
    try {
      name = decodeURIComponent(encodedName).replace(/:\$LATEST$/, '');
    } catch {
      return lambdaError(response, 404, 'ResourceNotFoundException', 'Function not found');
    }
    const runtime = byName.get(name) ?? byName.get(`arn:aws:lambda:${options.region}:${options.account}:function:${name}`);
    if (!runtime)
      return lambdaError(
        response,
        404,
        'ResourceNotFoundException',
        `Function not found: arn:aws:lambda:${options.region}:${options.account}:function:${name}`,
      );
    // A principal other than the operator gets in by the function's resource policy alone.
    if (caller.principalArn !== undefined && !mayInvoke(options.invokePermissions, runtime.fn.arn, caller.principalArn, '')) {
      return lambdaError(
        response,
        403,
        'AccessDeniedException',
        `User: ${caller.principalArn} is not authorized to perform: lambda:InvokeFunction on resource: ${runtime.fn.arn} because no resource-based policy allows the lambda:InvokeFunction action`,
      );
    }
    const invocationType = String(request.headers['x-amz-invocation-type'] ?? 'RequestResponse');
    if (invocationType === 'DryRun') return void response.writeHead(204).end();
    const running = runtime.invoke(body.length === 0 ? Buffer.from('{}') : body);
    if (invocationType === 'Event') {
      running.catch(() => undefined);
      return void response.writeHead(202).end();
    }
    const outcome: InvokeOutcome = await running;
    response.writeHead(200, {
      'Content-Type': 'application/json',
      'X-Amz-Executed-Version': '$LATEST',
      'x-amzn-RequestId': randomUUID(),
      ...(outcome.ok ? {} : { 'X-Amz-Function-Error': 'Unhandled' }),
    });
    response.end(outcome.payload);
  }

  function verifierFor(route: RouteModel): TokenVerifier {
    let verifier = verifiers.get(route);
    if (!verifier) verifiers.set(route, (verifier = options.verifierFor(route.authorizer!)));
    return verifier;
  }

  function bucketFor(route: RouteModel): TokenBucket {
    const key = route.throttle ? route.routeKey : '$stage';
    let bucket = buckets.get(key);
    if (!bucket) buckets.set(key, (bucket = new TokenBucket(route.throttle ?? api.defaultThrottle)));
    return bucket;
  }

  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', () => ready()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}

/** API Gateway picks the most specific route: exact paths before `{parameters}`, then `{proxy+}`, then `$default`. */
function matchRoute(
  routes: RouteModel[],
  method: string,
  path: string,
): { route: RouteModel; pathParameters: Record<string, string> } | undefined {
  const candidates = routes
    .filter((route) => route.routeKey !== '$default' && (route.method === method || route.method === 'ANY'))
    .map((route) => ({ route, pathParameters: pathParametersOf(route.path, path) }))
    .filter(
      (candidate): candidate is { route: RouteModel; pathParameters: Record<string, string> } => candidate.pathParameters !== undefined,
    )
    .sort((a, b) => specificity(b.route) - specificity(a.route));
  if (candidates[0]) return candidates[0];
  const fallback = routes.find((route) => route.routeKey === '$default');
  return fallback ? { route: fallback, pathParameters: {} } : undefined;
}

/**
 * The template's parameters in the path: `{name}` segments as the service's own router reads them
 * (lib/routes.ts), and a final `{name+}` taking the rest of the path (at least one segment).
 */
function pathParametersOf(template: string, path: string): Record<string, string> | undefined {
  const greedy = /^(.*)\/\{(\w+)\+\}$/.exec(template);
  if (!greedy) return matchPath(template, path);
  const [, prefix = '', name = ''] = greedy;
  const prefixSegments = prefix.split('/').length;
  const segments = path.split('/');
  const rest = segments.slice(prefixSegments).join('/');
  const parameters = matchPath(prefix, segments.slice(0, prefixSegments).join('/'));
  if (!parameters || rest === '') return undefined;
  try {
    return { ...parameters, [name]: decodeURIComponent(rest) };
  } catch {
    return undefined;
  }
}

function specificity(route: RouteModel): number {
  return (
    route.path.split('/').reduce((score, part) => score * 3 + (part.endsWith('+}') ? 0 : part.startsWith('{') ? 1 : 2), 0) +
    (route.method === 'ANY' ? 0 : 1)
  );
}

function identityHeader(request: IncomingMessage, authorizer: AuthorizerModel): string | undefined {
  for (const source of authorizer.identitySource) {
    const header = /^\$request\.header\.(.+)$/i.exec(source)?.[1];
    if (!header) throw new Error(`Identity source ${source} is not supported by the rehearsal`);
    const value = request.headers[header.toLowerCase()];
    if (typeof value === 'string' && value !== '') return value;
  }
  return undefined;
}

function hasScope(claims: Record<string, unknown>, scopes: string[]): boolean {
  const granted = String(claims.scope ?? claims.scp ?? '').split(' ');
  return scopes.some((scope) => granted.includes(scope));
}

function mayInvoke(permissions: InvokePermission[], functionArn: string, principal: string, sourceArn: string): boolean {
  return permissions.some(
    (permission) =>
      permission.functionArn === functionArn &&
      permission.principal === principal &&
      (permission.sourceArn === undefined || matchesWildcard(permission.sourceArn, sourceArn)),
  );
}

/** Payload 2.0 response mapping: a result with statusCode is used as given; anything else becomes a 200 JSON body. */
function writePayloadV2Result(response: ServerResponse, payload: Buffer): void {
  let result: unknown;
  try {
    result = JSON.parse(payload.toString('utf8'));
  } catch {
    return gatewayAnswer(response, 500, 'Internal Server Error');
  }
  if (typeof result === 'object' && result !== null && 'statusCode' in result) {
    const structured = result as {
      statusCode: number;
      headers?: Record<string, string>;
      body?: string;
      isBase64Encoded?: boolean;
      cookies?: string[];
    };
    const body = structured.body === undefined ? undefined : Buffer.from(structured.body, structured.isBase64Encoded ? 'base64' : 'utf8');
    const headers: Record<string, string | string[]> = { ...structured.headers, 'apigw-requestid': randomUUID() };
    if (structured.cookies?.length) headers['set-cookie'] = structured.cookies;
    response.writeHead(structured.statusCode, { ...headers, 'content-length': body?.length ?? 0 });
    response.end(body);
    return;
  }
  const body = Buffer.from(JSON.stringify(result));
  response.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
  response.end(body);
}

function gatewayAnswer(response: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  const payload = JSON.stringify({ message });
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
    'apigw-requestid': randomUUID(),
    ...headers,
  });
  response.end(payload);
}

function lambdaError(response: ServerResponse, status: number, type: string, message: string): void {
  const payload = JSON.stringify({ Type: 'User', message });
  response.writeHead(status, {
    'content-type': 'application/json',
    'x-amzn-ErrorType': type,
    'content-length': Buffer.byteLength(payload),
  });
  response.end(payload);
}

async function withIntegrationTimeout(running: Promise<InvokeOutcome>): Promise<InvokeOutcome | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((done) => (timer = setTimeout(() => done('timeout'), INTEGRATION_TIMEOUT_MS)));
  try {
    return await Promise.race([running, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function readBody(request: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size <= limit) chunks.push(chunk as Buffer);
  }
  return size > limit ? undefined : Buffer.concat(chunks);
}

/** API Gateway's throttle: a steady rate with a burst, per route where a route sets one, else per stage. */
class TokenBucket {
  private tokens: number;
  private refilledAt = performance.now();

  constructor(private readonly throttle: Throttle | undefined) {
    this.tokens = throttle?.burstLimit ?? Number.POSITIVE_INFINITY;
  }

  take(): boolean {
    if (!this.throttle) return true;
    const now = performance.now();
    this.tokens = Math.min(this.throttle.burstLimit, this.tokens + ((now - this.refilledAt) / 1000) * this.throttle.rateLimit);
    this.refilledAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
