import type { APIGatewayProxyEventV2WithJWTAuthorizer, Context } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import { routeKey, type Route } from '../lib/routes.js';

/**
 * Builds API Gateway HTTP API payload-v2 events the way API Gateway does after its JWT authorizer
 * passed: lower-case headers, claims as strings, text bodies as is and other bodies base64.
 */
export interface HttpRequestParts {
  method: string;
  path: string;
  routeKey: string;
  rawQueryString?: string;
  headers?: Record<string, string | string[] | undefined>;
  body?: Buffer;
  sourceIp?: string;
  claims?: Record<string, unknown>;
  requestId?: string;
}

const TEXT_CONTENT = /^(text\/|application\/([\w.+-]*\+)?(json|xml|x-www-form-urlencoded|javascript))/i;

export function httpApiEvent(parts: HttpRequestParts): APIGatewayProxyEventV2WithJWTAuthorizer {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(parts.headers ?? {})) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  const now = new Date();
  const requestId = parts.requestId ?? randomUUID();
  const isText = TEXT_CONTENT.test(headers['content-type'] ?? '');
  const hasBody = parts.body !== undefined && parts.body.length > 0;
  const rawQueryString = parts.rawQueryString ?? '';
  return {
    version: '2.0',
    routeKey: parts.routeKey,
    rawPath: parts.path,
    rawQueryString,
    headers,
    ...(rawQueryString ? { queryStringParameters: Object.fromEntries(new URLSearchParams(rawQueryString)) } : {}),
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
        path: parts.path,
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
}

/** An event for one of the service's routes, as API Gateway sends it once its authorizer passed `claims`. */
export function routeEvent(route: Pick<Route, 'method' | 'path'>, call: RouteCall = {}): APIGatewayProxyEventV2WithJWTAuthorizer {
  return httpApiEvent({
    method: route.method,
    path: route.path,
    routeKey: routeKey(route),
    headers: { ...(call.body === undefined ? {} : { 'content-type': 'application/json' }), ...call.headers },
    ...(call.body === undefined ? {} : { body: Buffer.from(call.body) }),
    ...(call.claims ? { claims: call.claims } : {}),
  });
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
