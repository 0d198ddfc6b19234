import middy, { type MiddlewareObj, type Request } from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import type { Route } from '../routes.js';
import { BadRequestError, DeadlineExceededError, PayloadTooLargeError } from '../errors.js';
import { errorFields, log } from '../log.js';
import { mapError } from './error-mapping.js';
import { organizationOf, subjectOf } from './identity.js';
import type { HttpApiEvent, HttpResult, Meta } from './types.js';

export const MAX_BODY_BYTES = 64 * 1024;
/** Time kept before the Lambda timeout to answer and log. */
const TIMEOUT_MARGIN_MS = 500;

export interface EndpointRequest {
  organizationId: string;
  /** The token's subject (`sub`), for audit events; null when the token has none. */
  subject: string | null;
  requestId: string;
  body: unknown;
  /** Path parameters by name (`connection_id`), as API Gateway passes them. */
  pathParameters: Record<string, string | undefined>;
  /** Query string parameters by name (API Gateway joins repeated ones with commas). */
  query: Record<string, string | undefined>;
  /** Request headers, lower-cased names. */
  headers: Record<string, string | undefined>;
}

export interface EndpointResponse {
  statusCode: number;
  /** Sent as JSON with `meta` added; omitted for 204. */
  body?: Record<string, unknown>;
  headers?: Record<string, string>;
}

/** Per-invocation state, keyed by the invocation's context object (middy's `internal` is shared). */
interface InvocationState {
  startedAt: number;
  organizationId?: string;
  subject?: string | null;
}

type EndpointMiddyRequest = Request<HttpApiEvent, HttpResult, Error>;

const JSON_HEADERS = { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' };

/**
 * One HTTP endpoint as a Lambda handler: caller identified, headers normalized, body limited and
 * parsed, then `run`; every outcome, success or error, leaves as JSON with `meta` and one log line.
 */
export interface EndpointSettings {
  /** The verified claim that names the caller's organization. */
  orgClaim: string;
}

export function httpEndpoint(
  route: Pick<Route, 'functionName' | 'body'>,
  settings: EndpointSettings,
  run: (request: EndpointRequest) => Promise<EndpointResponse>,
) {
  const invocations = new WeakMap<object, InvocationState>();
  const stateOf = (request: EndpointMiddyRequest): InvocationState => {
    let state = invocations.get(request.context);
    if (!state) invocations.set(request.context, (state = { startedAt: performance.now() }));
    return state;
  };

  const envelope: MiddlewareObj<HttpApiEvent, HttpResult> = {
    name: 'responseEnvelope',
    before: (request) => {
      const state = stateOf(request);
      if (!isHttpApiEvent(request.event)) {
        throw new BadRequestError('invalid_event', 'The event is not an API Gateway HTTP API (payload v2) event', 'event');
      }
      state.organizationId = organizationOf(request.event, settings.orgClaim);
      state.subject = subjectOf(request.event);
    },
    after: (request) => {
      const state = stateOf(request);
      const result = request.response as unknown as EndpointResponse;
      request.response = render(result.statusCode, result.body, result.headers ?? {}, meta(request, state));
      logRequest(route.functionName, request, state, result.statusCode);
    },
    onError: (request) => {
      const state = stateOf(request);
      const mapped = mapError(request.error, requestIdOf(request));
      request.response = render(mapped.statusCode, { ...mapped.body }, mapped.headers, meta(request, state));
      logRequest(route.functionName, request, state, mapped.statusCode, mapped.serverFault ? request.error : undefined);
    },
  };

  const bodySizeLimit: MiddlewareObj<HttpApiEvent, HttpResult> = {
    name: 'bodySizeLimit',
    before: (request) => {
      const { body, isBase64Encoded } = request.event;
      if (typeof body === 'string' && Buffer.byteLength(body, isBase64Encoded ? 'base64' : 'utf8') > MAX_BODY_BYTES) {
        throw new PayloadTooLargeError(`body: must be at most ${MAX_BODY_BYTES / 1024} KiB`, { field: 'body' });
      }
    },
  };

  const chain = middy<HttpApiEvent, HttpResult>({
    // Shortly before the Lambda timeout the handler is abandoned and the caller gets a JSON 503,
    // instead of Lambda cutting the function off and API Gateway answering a bare 5xx.
    timeoutEarlyInMillis: TIMEOUT_MARGIN_MS,
    timeoutEarlyResponse: () => {
      throw new DeadlineExceededError();
    },
  })
    .use(envelope)
    .use(httpHeaderNormalizer());
  if (route.body === 'json') chain.use(bodySizeLimit).use(httpJsonBodyParser());

  return chain.handler(async (event, context) => {
    const state = invocations.get(context);
    if (state?.organizationId === undefined) throw new Error('the caller was not identified');
    const result = await run({
      organizationId: state.organizationId,
      subject: state.subject ?? null,
      requestId: event.requestContext.requestId,
      body: route.body === 'json' ? event.body : undefined,
      pathParameters: event.pathParameters ?? {},
      query: event.queryStringParameters ?? {},
      headers: event.headers ?? {},
    });
    return result as unknown as HttpResult;
  });
}

function isHttpApiEvent(event: unknown): event is HttpApiEvent {
  if (typeof event !== 'object' || event === null) return false;
  const requestContext = (event as { requestContext?: unknown }).requestContext;
  return (
    typeof requestContext === 'object' &&
    requestContext !== null &&
    typeof (requestContext as { requestId?: unknown }).requestId === 'string'
  );
}

function requestIdOf(request: EndpointMiddyRequest): string {
  return isHttpApiEvent(request.event) ? request.event.requestContext.requestId : 'unknown';
}

function meta(request: EndpointMiddyRequest, state: InvocationState): Meta {
  return { request_id: requestIdOf(request), organization_id: state.organizationId ?? null };
}

function render(
  statusCode: number,
  body: Record<string, unknown> | undefined,
  headers: Record<string, string>,
  responseMeta: Meta,
): HttpResult {
  if (body === undefined) return { statusCode, headers: { 'Cache-Control': 'no-store', ...headers } };
  return { statusCode, headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify({ ...body, meta: responseMeta }) };
}

function logRequest(name: string, request: EndpointMiddyRequest, state: InvocationState, status: number, fault?: unknown): void {
  const fields = {
    function: name,
    request_id: requestIdOf(request),
    organization_id: state.organizationId ?? null,
    status,
    duration_ms: Math.round((performance.now() - state.startedAt) * 100) / 100,
  };
  if (fault === undefined) log.info('request', fields);
  else log.error('request', { ...fields, ...errorFields(fault) });
}
