/**
 * The service's routes: one Lambda per endpoint. The CDK stack and the local runtime both read
 * this table, so the deployed API and the local one cannot disagree.
 */
export type TableAccess = 'write' | 'read' | 'delete' | 'read-and-record-status';
export type KeyAccess = 'generate-data-key' | 'decrypt' | 'none';

export interface Route {
  functionName: string;
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  /** Handler module, relative to the project root. */
  entry: string;
  table: TableAccess;
  key: KeyAccess;
  memoryMb: number;
  timeoutSeconds: number;
}

export const API_BASE_PATH = '/api/v2/warehouse/connections';

export const ROUTES: readonly Route[] = [
  {
    functionName: 'create-connection',
    method: 'POST',
    path: API_BASE_PATH,
    entry: 'functions/create-connection.ts',
    table: 'write',
    key: 'generate-data-key',
    memoryMb: 256,
    // Two AWS calls of at most about 7 s each with retries (lib/aws/clients.ts).
    timeoutSeconds: 15,
  },
  {
    functionName: 'get-connection',
    method: 'GET',
    path: API_BASE_PATH,
    entry: 'functions/get-connection.ts',
    table: 'read',
    key: 'none',
    memoryMb: 256,
    timeoutSeconds: 10,
  },
  {
    functionName: 'test-connection',
    method: 'POST',
    path: `${API_BASE_PATH}/test`,
    entry: 'functions/test-connection.ts',
    table: 'read-and-record-status',
    key: 'decrypt',
    memoryMb: 1024,
    timeoutSeconds: 25,
  },
  {
    functionName: 'delete-connection',
    method: 'DELETE',
    path: API_BASE_PATH,
    entry: 'functions/delete-connection.ts',
    table: 'delete',
    key: 'none',
    memoryMb: 256,
    timeoutSeconds: 10,
  },
];

export function routeKey(route: Pick<Route, 'method' | 'path'>): string {
  return `${route.method} ${route.path}`;
}
