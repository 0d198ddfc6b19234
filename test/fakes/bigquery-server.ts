import { randomUUID, type KeyObject } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readJson, sendJson } from './http-json.js';
import { epochSeconds, unverifiedClaims, verifyRs256 } from './jwt.js';
import { Delays, startLoopbackServer, type ConnectionMode } from './loopback-server.js';

/**
 * A stand-in for the BigQuery v2 REST API, enough for @google-cloud/bigquery 8: jobs.query,
 * getQueryResults and datasets.get, with Google's error envelope (`{ error: { code, message,
 * errors: [{ reason }], status } }`). Every call must carry a self-signed service-account JWT
 * (`Authorization: Bearer`), checked like Google does: RS256 signature by the account's registered
 * key, iss = sub = client_email, the BigQuery scope (or the API as audience), an hour at most.
 */

export const BIGQUERY_SCOPE = 'https://www.googleapis.com/auth/bigquery';

export interface FakeServiceAccount {
  email: string;
  publicKey: KeyObject;
  /** private_key_id; when set, the JWT's kid must name it. */
  keyId?: string;
}

export interface FakeBigQueryProject {
  projectId: string;
  /** Whether bigquery.googleapis.com is enabled in the project. */
  apiEnabled: boolean;
  /** Accounts allowed to create jobs (roles/bigquery.jobUser). */
  jobUsers: string[];
  /** Dataset → accounts that may read it (roles/bigquery.dataViewer). */
  datasets: Record<string, { readers: string[]; location: string }>;
}

export interface BigQueryBehaviour {
  /** Wait before answering any API call. */
  delayMs?: number;
  /** Answer every API call with this HTTP status and reason (503 backendError, 429 rateLimitExceeded...). */
  failWith?: { status: number; reason: string };
  /** How long the test query runs; longer than the request's timeoutMs answers jobComplete: false. */
  queryRunsMs?: number;
  /** Hold datasets.get this long before answering (a dataset request that hangs). */
  datasetDelayMs?: number;
  /** Answer every call with 307 to this origin, same path (a hostile or hijacked endpoint). */
  redirectTo?: string;
}

export interface RecordedCall {
  method: string;
  path: string;
  body: Record<string, unknown>;
}

export interface FakeBigQuery {
  readonly apiEndpoint: string;
  readonly calls: RecordedCall[];
  behave(behaviour: BigQueryBehaviour): void;
  setMode(mode: ConnectionMode): Promise<void>;
  close(): Promise<void>;
}

const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  503: 'UNAVAILABLE',
};

function apiError(response: ServerResponse, status: number, reason: string, message: string): void {
  sendJson(response, status, {
    error: { code: status, message, errors: [{ message, domain: 'global', reason }], status: STATUS_NAMES[status] ?? 'UNKNOWN' },
  });
}

export async function startFakeBigQuery(projects: FakeBigQueryProject[], accounts: FakeServiceAccount[]): Promise<FakeBigQuery> {
  const delays = new Delays();
  const calls: RecordedCall[] = [];
  let behaviour: BigQueryBehaviour = {};

  /** The caller's email when its bearer JWT checks out. */
  function authenticate(request: IncomingMessage): string | undefined {
    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    if (token === undefined) return undefined;
    const account = accounts.find((candidate) => candidate.email === unverifiedClaims(token)?.iss);
    const verified = account && verifyRs256(token, account.publicKey);
    if (!account || !verified) return undefined;
    const { iss, sub, scope, aud, exp, iat } = verified.claims;
    const expiry = epochSeconds(exp);
    const issued = epochSeconds(iat);
    const now = Date.now() / 1000;
    const scoped = typeof scope === 'string' ? scope.split(' ').includes(BIGQUERY_SCOPE) : aud === 'https://bigquery.googleapis.com/';
    const fresh = expiry !== undefined && issued !== undefined && expiry > now && issued <= now + 60 && expiry - issued <= 3600;
    const keyMatches = account.keyId === undefined || verified.header.kid === account.keyId;
    return iss === account.email && sub === account.email && scoped && fresh && keyMatches ? account.email : undefined;
  }

  function runQuery(
    response: ServerResponse,
    project: FakeBigQueryProject,
    email: string,
    body: Record<string, unknown>,
  ): Promise<void> | void {
    if (!project.jobUsers.includes(email)) {
      return apiError(
        response,
        403,
        'accessDenied',
        `Access Denied: Project ${project.projectId}: User does not have bigquery.jobs.create permission in project ${project.projectId}.`,
      );
    }
    if (body.query !== 'SELECT 1 AS probe' || body.useLegacySql !== false)
      return apiError(response, 400, 'invalidQuery', 'The fake runs only the probe query.');
    if (typeof body.maximumBytesBilled !== 'string' || !/^\d+$/.test(body.maximumBytesBilled)) {
      return apiError(response, 400, 'invalid', 'maximumBytesBilled must be an int64 string.');
    }
    const jobReference = {
      projectId: project.projectId,
      jobId: `job_${randomUUID().replace(/-/g, '')}`,
      location: typeof body.location === 'string' ? body.location : 'US',
    };
    const waitMs = typeof body.timeoutMs === 'number' ? body.timeoutMs : 10_000;
    const runsMs = behaviour.queryRunsMs ?? 0;
    if (runsMs > waitMs) {
      return delays.wait(waitMs).then(() => sendJson(response, 200, { kind: 'bigquery#queryResponse', jobReference, jobComplete: false }));
    }
    return sendJson(response, 200, {
      kind: 'bigquery#queryResponse',
      schema: { fields: [{ name: 'probe', type: 'INTEGER', mode: 'NULLABLE' }] },
      jobReference,
      totalRows: '1',
      rows: [{ f: [{ v: '1' }] }],
      totalBytesProcessed: '0',
      jobComplete: true,
      cacheHit: false,
    });
  }

  function getDataset(response: ServerResponse, project: FakeBigQueryProject, email: string, datasetId: string): void {
    const dataset = project.datasets[datasetId];
    if (!dataset) return apiError(response, 404, 'notFound', `Not found: Dataset ${project.projectId}:${datasetId}`);
    if (!dataset.readers.includes(email)) {
      return apiError(
        response,
        403,
        'accessDenied',
        `Access Denied: Dataset ${project.projectId}:${datasetId}: Permission bigquery.datasets.get denied on dataset ${project.projectId}:${datasetId} (or it may not exist).`,
      );
    }
    return sendJson(response, 200, {
      kind: 'bigquery#dataset',
      id: `${project.projectId}:${datasetId}`,
      datasetReference: { projectId: project.projectId, datasetId },
      location: dataset.location,
    });
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://fake.invalid');
    const body = await readJson(request);
    calls.push({ method: request.method ?? '', path: url.pathname, body });
    if (behaviour.redirectTo) {
      response.writeHead(307, { Location: `${behaviour.redirectTo}${url.pathname}${url.search}` }).end();
      return;
    }
    if (behaviour.delayMs) await delays.wait(behaviour.delayMs);
    if (behaviour.failWith)
      return apiError(response, behaviour.failWith.status, behaviour.failWith.reason, 'The service is currently unavailable.');

    const route = /^\/bigquery\/v2\/projects\/([^/]+)\/(queries|datasets)(?:\/([^/]+))?$/.exec(url.pathname);
    if (!route) return apiError(response, 404, 'notFound', `The fake has no route for ${url.pathname}.`);
    const email = authenticate(request);
    if (!email) {
      // Echoes the credential it was sent, as a careless server could; the probe must not pass it on.
      return apiError(response, 401, 'authError', `Request had invalid authentication credentials: ${request.headers.authorization ?? ''}`);
    }
    const [, projectId, collection, id] = route;
    const project = projects.find((candidate) => candidate.projectId === projectId);
    if (!project) return apiError(response, 404, 'notFound', `Not found: Project ${projectId}`);
    if (!project.apiEnabled) {
      return apiError(
        response,
        403,
        'accessDenied',
        `BigQuery API has not been used in project ${projectId} before or it is disabled. Enable it, then retry.`,
      );
    }
    if (collection === 'queries' && request.method === 'POST' && id === undefined) return runQuery(response, project, email, body);
    if (collection === 'queries' && request.method === 'GET' && id !== undefined) {
      return sendJson(response, 200, {
        kind: 'bigquery#getQueryResultsResponse',
        jobReference: { projectId, jobId: id },
        jobComplete: true,
        totalRows: '1',
        schema: { fields: [{ name: 'probe', type: 'INTEGER' }] },
        rows: [{ f: [{ v: '1' }] }],
      });
    }
    if (collection === 'datasets' && request.method === 'GET' && id !== undefined) {
      if (behaviour.datasetDelayMs) await delays.wait(behaviour.datasetDelayMs);
      return getDataset(response, project, email, decodeURIComponent(id));
    }
    return apiError(response, 404, 'notFound', `The fake has no route for ${request.method ?? ''} ${url.pathname}.`);
  }

  const server = await startLoopbackServer(handle);
  return {
    apiEndpoint: server.origin,
    calls,
    behave(next) {
      behaviour = next;
    },
    setMode: (mode) => server.setMode(mode),
    async close() {
      delays.releaseAll();
      await server.close();
    },
  };
}
