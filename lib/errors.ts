/**
 * Domain errors. Each carries the HTTP status and machine code it maps to, so the HTTP layer has a
 * single translation point (lib/http/error-mapping.ts). Messages are written for the API caller
 * and never include secrets or raw dependency messages; the original error is kept as `cause`.
 */
export interface FieldIssue {
  field: string;
  message: string;
}

export abstract class ServiceError extends Error {
  abstract readonly statusCode: number;
  abstract readonly code: string;
  readonly field?: string;
  readonly details?: FieldIssue[];
  readonly headers?: Record<string, string>;
  /** What the error says in the logs only, never in a response (lib/log.ts errorFields). */
  readonly logFields?: Record<string, string>;

  constructor(message: string, options?: { cause?: unknown; field?: string; details?: FieldIssue[] }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    if (options?.field !== undefined) this.field = options.field;
    if (options?.details !== undefined) this.details = options.details;
  }
}

export class ValidationError extends ServiceError {
  readonly statusCode = 400;
  readonly code: string;

  constructor(details: FieldIssue[], code = 'validation_failed') {
    const first = details[0];
    const summary = first ? `${first.field}: ${first.message}` : 'The request is invalid';
    const more = details.length > 1 ? ` (and ${details.length - 1} more problem${details.length > 2 ? 's' : ''})` : '';
    super(`${summary}${more}`, { details, ...(first ? { field: first.field } : {}) });
    this.code = code;
  }
}

export class BadRequestError extends ServiceError {
  readonly statusCode = 400;
  constructor(
    readonly code: string,
    message: string,
    field?: string,
  ) {
    super(message, field === undefined ? undefined : { field });
  }
}

export class PayloadTooLargeError extends ServiceError {
  readonly statusCode = 413;
  readonly code = 'payload_too_large';
}

export class UnauthorizedError extends ServiceError {
  readonly statusCode = 401;
  readonly code = 'unauthorized';
  override readonly headers = { 'WWW-Authenticate': 'Bearer' };
}

export class ConnectionNotFoundError extends ServiceError {
  readonly statusCode = 404;
  readonly code = 'connection_not_found';
  /** Without an id: the organization has no active connection. */
  constructor(connectionId?: string) {
    super(
      connectionId === undefined
        ? 'This organization has no warehouse connection. Create one with POST /api/v2/warehouse/connections.'
        : `This organization has no connection with id ${connectionId}.`,
      connectionId === undefined ? undefined : { field: 'path.connection_id' },
    );
  }
}

export class ConnectionNameTakenError extends ServiceError {
  readonly statusCode = 409;
  readonly code = 'name_taken';
  constructor() {
    super('name: another connection of this organization has this name (names are compared without regard to case)', { field: 'name' });
  }
}

export class ConnectionLimitError extends ServiceError {
  readonly statusCode = 409;
  readonly code = 'connection_limit_reached';
  constructor(limit: number) {
    super(`This organization has ${limit} connections, the most it may keep. Delete one before creating another.`);
  }
}

/** If-Match named a version the connection no longer has: someone changed it since it was read. */
export class VersionMismatchError extends ServiceError {
  readonly statusCode = 412;
  readonly code = 'version_mismatch';
  override readonly headers: Record<string, string>;
  constructor(currentVersion: number) {
    super(`headers.if-match: the connection has changed since it was read (it is at version ${currentVersion}); read it again`, {
      field: 'headers.if-match',
    });
    this.headers = { ETag: `"${currentVersion}"` };
  }
}

/** An edit would send the stored secret to another destination: the caller must give the secret again. */
export class SecretRequiredError extends ServiceError {
  readonly statusCode = 400;
  readonly code = 'secret_required';
  constructor(changedDestinationFields: readonly string[], secretFields: readonly string[]) {
    super(
      `${secretFields.join(', ')}: required, because ${changedDestinationFields.join(', ')} changed: ` +
        'a stored secret is never sent to a new destination',
      {
        field: secretFields[0] ?? 'credentials',
        details: secretFields.map((field) => ({
          field,
          message: `is required when ${changedDestinationFields.join(', ')} change${changedDestinationFields.length > 1 ? '' : 's'}`,
        })),
      },
    );
  }
}

/** A connection sealed whole by an earlier version: its credentials must be given in full once. */
export class FullCredentialsRequiredError extends ServiceError {
  readonly statusCode = 409;
  readonly code = 'full_credentials_required';
  constructor() {
    super(
      'credentials: this connection was saved before edits without secrets existed, so its fields cannot be edited one by one; ' +
        'send its credentials in full (secrets included) once',
      { field: 'credentials' },
    );
  }
}

/** A dependency (DynamoDB, KMS) is throttling or unreachable: worth retrying shortly. */
export class DependencyUnavailableError extends ServiceError {
  readonly statusCode = 503;
  readonly code = 'service_unavailable';
  override readonly headers = { 'Retry-After': '1' };
  constructor(cause: unknown) {
    super('The service is busy or a dependency is unavailable. Retry shortly.', { cause });
  }
}

/** The function is about to reach its Lambda timeout: answer while there is still time to. */
export class DeadlineExceededError extends ServiceError {
  readonly statusCode = 503;
  readonly code = 'deadline_exceeded';
  override readonly headers = { 'Retry-After': '1' };
  constructor() {
    super('The request could not be completed in time. Retry shortly.');
  }
}

/** Stored ciphertext did not authenticate: tampering, a copied item, or a key the service may not use. */
export class CredentialsUnreadableError extends ServiceError {
  readonly statusCode = 500;
  readonly code = 'credentials_unreadable';
  constructor(cause: unknown) {
    super('The stored credentials could not be decrypted. Save the connection again.', { cause });
  }
}

/**
 * The stored connection is not one the service wrote as the organization's current one: an attribute
 * is malformed, its plain attributes disagree with its sealed definition, or it was replaced and
 * then put back. Never used, never shown; `reason` goes to the logs only.
 */
export class StoredConnectionUnreadableError extends ServiceError {
  readonly statusCode = 500;
  readonly code = 'connection_unreadable';
  override readonly logFields: { reason: string };
  constructor(readonly reason: string) {
    super('The stored connection is damaged or was changed outside the service. Save the connection again.');
    this.logFields = { reason };
  }
}

/** Too many connection tests for one organization in the current window. */
export class TestRateLimitedError extends ServiceError {
  readonly statusCode = 429;
  readonly code = 'rate_limited';
  override readonly headers: Record<string, string>;
  constructor(limit: { tests: number; windowSeconds: number }, retryAfterSeconds: number) {
    super(
      `This organization may run ${limit.tests} connection tests every ${limit.windowSeconds} s and has reached that limit. ` +
        `Retry after ${retryAfterSeconds} s.`,
    );
    this.headers = { 'Retry-After': String(retryAfterSeconds) };
  }
}
