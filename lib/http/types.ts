/**
 * The parts of an API Gateway HTTP API (payload v2) event and result that the service uses.
 * Declared here so the core does not depend on `aws-lambda`; the real event types are assignable.
 */
export interface HttpApiEvent {
  rawPath?: string;
  routeKey?: string;
  headers?: Record<string, string | undefined>;
  body?: unknown;
  isBase64Encoded?: boolean;
  pathParameters?: Record<string, string | undefined>;
  queryStringParameters?: Record<string, string | undefined>;
  requestContext: {
    requestId: string;
    http?: { method: string; path: string };
    authorizer?: { jwt?: { claims?: Record<string, string | number | boolean | string[]> } };
  };
}

export interface HttpResult {
  statusCode: number;
  headers?: Record<string, string>;
  body?: string;
}

export interface Meta {
  request_id: string;
  organization_id: string | null;
}
