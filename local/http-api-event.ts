import type { APIGatewayProxyEventV2WithJWTAuthorizer, Context } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import { pathFor, routeKey, type RouteAddress } from '../lib/routes.js';

/**
 * Builds API Gateway HTTP API payload-v2 events the way API Gateway does after its JWT authorizer
 * passed: lower-case headers, claims as strings, text bodies as is and other bodies base64; the
 * path and query decoded, the query string also as sent.
 */
export interface HttpRequestParts {
  method: string;
  /** The request path as sent (percent-encoded). */
  path: string;
  /** The matched route's key: its method and path template (`GET /named/{connection_id}`). */
  routeKey: string;
  /** The matched template's `{name}` values, decoded. */
  pathParameters?: Record<string, string>;
  rawQueryString?: string;
  headers?: Record<string, string | string[] | undefined>;
  body?: Buffer;
  sourceIp?: string;
  claims?: Record<string, unknown>;
  requestId?: string;
}

/**
 * The content types whose bodies API Gateway passes as text; every other body (no content type,
 * `application/x-www-form-urlencoded`, `+json` types such as `application/merge-patch+json`)
 * arrives base64-encoded with `isBase64Encoded: true`. The payload format page does not list them:
 * this is what HTTP APIs were observed to do, and what ALB documents for the same event field.
 */
const TEXT_MEDIA_TYPES = new Set(['application/json', 'application/xml', 'application/javascript']);

export function isTextContent(contentType: string | undefined): boolean {
  const mediaType = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  return mediaType.startsWith('text/') || TEXT_MEDIA_TYPES.has(mediaType);
}

export function httpApiEvent(parts: HttpRequestParts): APIGatewayProxyEventV2WithJWTAuthorizer {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(parts.headers ?? {})) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  const now = new Date();
  const requestId = parts.requestId ?? randomUUID();
  const isText = isTextContent(headers['content-type']);
  const hasBody = parts.body !== undefined && parts.body.length > 0;
  const rawQueryString = parts.rawQueryString ?? '';
  const path = decodedPath(parts.path);
  const pathParameters = parts.pathParameters ?? {};
  return {
    version: '2.0',
    routeKey: parts.routeKey,
    rawPath: path,
    rawQueryString,
    headers,
    ...(rawQueryString ? { queryStringParameters: queryParameters(rawQueryString) } : {}),
    ...(Object.keys(pathParameters).length > 0 ? { pathParameters: { ...pathParameters } } : {}),
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      authorizer: {
        principalId: '',
        integrationLatency: 0,
        jwt: { claims: stringClaims(parts.claims ?? {}), scopes: scopes(parts.claims ?? {}) },
      },
      domainName: headers.host ?? 'localhost',
      domainPrefix: (headers.host ?? 'localhost').split('.')[0] ?? 'localhost',
      http: {
        method: parts.method,
        path,
        protocol: 'HTTP/1.1',
        sourceIp: parts.sourceIp ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey: parts.routeKey,
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
    },
    ...(hasBody ? { body: isText ? parts.body!.toString('utf8') : parts.body!.toString('base64') } : {}),
    isBase64Encoded: hasBody && !isText,
  } as APIGatewayProxyEventV2WithJWTAuthorizer;
}

export interface RouteCall {
  /** The verified claims; none when the caller sends no identity. */
  claims?: Record<string, unknown>;
  /** A JSON body (sent as application/json unless `headers` says otherwise). */
  body?: string;
  headers?: Record<string, string>;
  /** A value for each `{name}` of the address's path (required when it has any). */
  pathParameters?: Record<string, string>;
  /** The query string as sent, without `?` (`limit=10&cursor=abc`). */
  query?: string;
}

/**
 * An event for one address of the service, as API Gateway sends it once its authorizer passed
 * `claims`: the path filled in from `pathParameters`, the route key the address's template.
 */
export function routeEvent(address: RouteAddress, call: RouteCall = {}): APIGatewayProxyEventV2WithJWTAuthorizer {
  const pathParameters = call.pathParameters ?? {};
  return httpApiEvent({
    method: address.method,
    path: pathFor(address.path, pathParameters),
    routeKey: routeKey(address),
    pathParameters,
    ...(call.query ? { rawQueryString: call.query } : {}),
    headers: { ...(call.body === undefined ? {} : { 'content-type': 'application/json' }), ...call.headers },
    ...(call.body === undefined ? {} : { body: Buffer.from(call.body) }),
    ...(call.claims ? { claims: call.claims } : {}),
  });
}

/**
 * HTTP APIs hand the function the path decoded (`/named/a%20b` arrives as `/named/a b`), unlike
 * REST APIs and function URLs. A path that is not valid percent-encoding is left as sent.
 */
function decodedPath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/** Query parameters as API Gateway passes them: decoded (`+` is a space), a repeated name's values joined with commas. */
function queryParameters(rawQueryString: string): Record<string, string> {
  const parameters = new Map<string, string>();
  for (const [name, value] of new URLSearchParams(rawQueryString)) {
    const earlier = parameters.get(name);
    parameters.set(name, earlier === undefined ? value : `${earlier},${value}`);
  }
  return Object.fromEntries(parameters);
}

/** API Gateway passes every claim as a string; arrays look like "[a b]". */
function stringClaims(claims: Record<string, unknown>): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(claims)) {
    if (value === undefined || value === null) continue;
    result[name] = Array.isArray(value) ? `[${value.join(' ')}]` : typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
  return result;
}

function scopes(claims: Record<string, unknown>): string[] | null {
  const scope = claims.scope ?? claims.scp;
  if (typeof scope === 'string') return scope.split(' ').filter(Boolean);
  return Array.isArray(scope) ? scope.map(String) : null;
}

/** A Lambda context with a real deadline, so middy's and the handlers' timeouts behave as in AWS. */
export function lambdaContext(
  { functionName, timeoutSeconds, memoryMb }: { functionName: string; timeoutSeconds: number; memoryMb: number },
  requestId: string = randomUUID(),
): Context {
  const deadline = Date.now() + timeoutSeconds * 1000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${process.env.AWS_REGION ?? 'us-east-1'}:000000000000:function:${functionName}`,
    memoryLimitInMB: String(memoryMb),
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
