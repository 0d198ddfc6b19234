import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { API_BASE_PATH, matchRoute, ROUTES } from '../../lib/routes.js';
import { routeEvent } from '../../local/http-api-event.js';
import { watchResponse } from './logs.js';
import type { ApiCall, ApiResponse, Transport } from './transports.js';

/**
 * The two remote transports against a stack that runs as deployed: HTTPS (or HTTP, rehearsed) with
 * real tokens through API Gateway and its JWT authorizer, and Lambda InvokeCommand with API Gateway
 * v2 events, by the function names in the stack's outputs. Used against a deployed stack
 * (scripts/test-deployed.ts reads its outputs) and against the deployment rehearsal.
 */
export interface DeployedSettings {
  apiUrl: string;
  functionNames: Record<string, string>;
  /** Tokens of two users, one per organization: organization id -> ID token. */
  tokens: Record<string, string>;
  orgClaim: string;
  region?: string;
}

export interface RemoteStack {
  apiUrl: string;
  /** Function name in the stack, by route function name (create-connection -> WarehouseConnections-Create...). */
  functionNames: Record<string, string>;
  orgClaim: string;
  /** A bearer token of a user in the organization. */
  tokenFor(org: string): Promise<string>;
  /** The Lambda API: the region's, or a local endpoint with its credentials. */
  lambda: { region?: string; endpoint?: string; credentials?: { accessKeyId: string; secretAccessKey: string } };
}

export function deployedSettings(): DeployedSettings | undefined {
  const raw = process.env.DEPLOYED_SETTINGS;
  return raw ? (JSON.parse(raw) as DeployedSettings) : undefined;
}

/** A deployed stack as `npm run test:deployed` describes it: fixed users, the region's Lambda API. */
export function deployedStack(settings: DeployedSettings): RemoteStack {
  return {
    apiUrl: settings.apiUrl,
    functionNames: settings.functionNames,
    orgClaim: settings.orgClaim,
    tokenFor: async (org) => {
      const token = settings.tokens[org];
      if (!token) throw new Error(`No token for organization ${org}`);
      return token;
    },
    lambda: settings.region ? { region: settings.region } : {},
  };
}

export function remoteTransports(stack: RemoteStack): { transports: Transport[]; close(): void } {
  const lambda = new LambdaClient(stack.lambda);
  const invoke: Transport = {
    name: 'invoke',
    async call(request) {
      const [path = API_BASE_PATH, query = ''] = (request.path ?? API_BASE_PATH).split(/\?(.*)/s);
      const match = matchRoute(ROUTES, request.method, path);
      if (!match.found) throw new Error(`No function for ${request.method} ${path}`);
      const { route } = match;
      const payload = request.rawBody ?? (request.body === undefined ? undefined : JSON.stringify(request.body));
      const event = routeEvent(match.address, {
        pathParameters: match.pathParameters,
        ...(query ? { query } : {}),
        ...(request.headers ? { headers: request.headers } : {}),
        ...(payload === undefined ? {} : { body: payload }),
        ...(request.org === null ? {} : { claims: { sub: 'test-deployed', [stack.orgClaim]: request.org } }),
      });
      const output = await lambda.send(
        new InvokeCommand({ FunctionName: stack.functionNames[route.functionName], Payload: Buffer.from(JSON.stringify(event)) }),
      );
      if (output.FunctionError) throw new Error(`Function error ${output.FunctionError}: ${Buffer.from(output.Payload ?? []).toString()}`);
      const result = JSON.parse(Buffer.from(output.Payload ?? []).toString()) as {
        statusCode: number;
        headers?: Record<string, string>;
        body?: string;
      };
      return response(
        request,
        result.statusCode,
        Object.fromEntries(Object.entries(result.headers ?? {}).map(([key, value]) => [key.toLowerCase(), value])),
        result.body ?? '',
      );
    },
  };
  const http: Transport = {
    name: 'http',
    async call(request: ApiCall) {
      const headers: Record<string, string> = { ...request.headers };
      if (request.org !== null && headers.authorization === undefined)
        headers.authorization = `Bearer ${await stack.tokenFor(request.org)}`;
      const payload = request.rawBody ?? (request.body === undefined ? undefined : JSON.stringify(request.body));
      if (payload !== undefined) headers['content-type'] ??= 'application/json';
      const fetched = await fetch(`${stack.apiUrl.replace(/\/$/, '')}${request.path ?? API_BASE_PATH}`, {
        method: request.method,
        headers,
        ...(payload === undefined ? {} : { body: payload }),
      });
      return response(request, fetched.status, Object.fromEntries(fetched.headers), await fetched.text());
    },
  };
  return { transports: [invoke, http], close: () => lambda.destroy() };
}

function response(request: ApiCall, status: number, headers: Record<string, string>, rawBody: string): ApiResponse {
  watchResponse(headers, rawBody, { method: request.method, path: request.path ?? API_BASE_PATH, status });
  return { status, headers, rawBody, body: rawBody === '' ? undefined : (JSON.parse(rawBody) as Record<string, unknown>) };
}
