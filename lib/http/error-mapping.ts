import { ServiceError, type FieldIssue } from '../errors.js';

export interface ErrorBody {
  error: string;
  code: string;
  field?: string;
  details?: FieldIssue[];
}

export interface MappedError {
  statusCode: number;
  body: ErrorBody;
  headers: Record<string, string>;
  /** Whether the failure is ours (logged as an error) rather than the caller's. */
  serverFault: boolean;
}

interface MiddyHttpError {
  statusCode: number;
  message: string;
  cause?: { package?: string; data?: unknown };
}

/** The one place where an error becomes an HTTP answer. Unknown errors never show their message. */
export function mapError(error: unknown, requestId: string): MappedError {
  if (error instanceof ServiceError) {
    const body: ErrorBody = { error: error.message, code: error.code };
    if (error.field !== undefined) body.field = error.field;
    if (error.details !== undefined) body.details = error.details;
    return { statusCode: error.statusCode, body, headers: { ...error.headers }, serverFault: error.statusCode >= 500 };
  }
  const fromBodyParser = bodyParserError(error);
  if (fromBodyParser) return fromBodyParser;
  return {
    statusCode: 500,
    body: { error: `Internal error. Quote request id ${requestId} when reporting it.`, code: 'internal_error' },
    headers: {},
    serverFault: true,
  };
}

/** @middy/http-json-body-parser answers 415 both for a wrong content type and for malformed JSON. */
function bodyParserError(error: unknown): MappedError | undefined {
  const candidate = error as MiddyHttpError | null;
  if (typeof candidate !== 'object' || candidate === null || candidate.cause?.package !== '@middy/http-json-body-parser') return undefined;
  if (candidate.message === 'Unsupported Media Type') {
    return clientError(415, {
      error: 'Content-Type must be application/json',
      code: 'unsupported_media_type',
      field: 'headers.content-type',
    });
  }
  if (candidate.cause.data === undefined || candidate.cause.data === '') {
    return clientError(400, { error: 'body: is required: send the connection as a JSON object', code: 'invalid_json', field: 'body' });
  }
  return clientError(400, { error: 'body: is not valid JSON', code: 'invalid_json', field: 'body' });
}

function clientError(statusCode: number, body: ErrorBody): MappedError {
  return { statusCode, body, headers: {}, serverFault: false };
}
