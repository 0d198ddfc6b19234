/**
 * The service's routes: one Lambda per endpoint, and the one place a route is described. The
 * handlers, the CDK stack, the local runtime, the benchmarks and the tests all read a route's facts
 * from here, so they cannot disagree.
 */
export type TableAccess = 'write' | 'read' | 'delete' | 'read-and-record-status' | 'none';
export type KeyAccess = 'generate-data-key' | 'decrypt' | 'none';

export interface Route {
  functionName: string;
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  /** Handler module, relative to the project root. */
  entry: string;
  /** `json`: the request carries a JSON body (content type checked, size limited, parsed). */
  body: 'json' | 'none';
  /** Whether the function connects to warehouses: it gets the probe's limits and network settings. */
  probes: boolean;
  table: TableAccess;
  key: KeyAccess;
  memoryMb: number;
  timeoutSeconds: number;
}

export const API_BASE_PATH = '/api/v2/warehouse/connections';

/** Every route by its role; `ROUTES` lists them in deployment order. */
export const ROUTE = {
  create: {
    functionName: 'create-connection',
    method: 'POST',
    path: API_BASE_PATH,
    entry: 'functions/create-connection.ts',
    body: 'json',
    probes: false,
    table: 'write',
    key: 'generate-data-key',
    memoryMb: 256,
    // Three AWS calls of at most about 7 s each with retries (lib/aws/clients.ts).
    timeoutSeconds: 15,
  },
  get: {
    functionName: 'get-connection',
    method: 'GET',
    path: API_BASE_PATH,
    entry: 'functions/get-connection.ts',
    body: 'none',
    probes: false,
    table: 'read',
    key: 'none',
    memoryMb: 256,
    timeoutSeconds: 10,
  },
  test: {
    functionName: 'test-connection',
    method: 'POST',
    path: `${API_BASE_PATH}/test`,
    entry: 'functions/test-connection.ts',
    body: 'none',
    probes: true,
    table: 'read-and-record-status',
    key: 'decrypt',
    // For CPU, which Lambda allocates in proportion to memory: drivers, TLS and signing are CPU-bound.
    memoryMb: 1024,
    timeoutSeconds: 25,
  },
  delete: {
    functionName: 'delete-connection',
    method: 'DELETE',
    path: API_BASE_PATH,
    entry: 'functions/delete-connection.ts',
    body: 'none',
    probes: false,
    table: 'delete',
    key: 'none',
    memoryMb: 256,
    timeoutSeconds: 10,
  },
  awsIdentity: {
    functionName: 'get-aws-identity',
    method: 'GET',
    path: `${API_BASE_PATH}/aws-identity`,
    entry: 'functions/get-aws-identity.ts',
    body: 'none',
    probes: false,
    table: 'none',
    key: 'none',
    memoryMb: 128,
    timeoutSeconds: 5,
  },
} as const satisfies Record<string, Route>;

export const ROUTES: readonly Route[] = [ROUTE.create, ROUTE.get, ROUTE.test, ROUTE.delete, ROUTE.awsIdentity];

export function routeKey(route: Pick<Route, 'method' | 'path'>): string {
  return `${route.method} ${route.path}`;
}

/** The route a function serves, by its name. */
export function routeOf(functionName: string): Route {
  const route = ROUTES.find((candidate) => candidate.functionName === functionName);
  if (!route) throw new Error(`No route is served by a function named ${functionName}`);
  return route;
}
