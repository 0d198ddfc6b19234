/**
 * The service's routes: one Lambda per endpoint, and the one place a route is described. The
 * handlers, the CDK stack, the local runtime, the benchmarks and the tests all read a route's facts
 * from here, so they cannot disagree.
 */
/**
 * What a function does with the table; infra/route-permissions.ts turns each into the DynamoDB
 * calls and attributes its role may use (lib/store/connection-store.ts makes them).
 */
export type TableAccess =
  | 'write'
  | 'read'
  | 'delete'
  | 'read-and-record-status'
  | 'create-named'
  | 'list'
  | 'update'
  | 'activate'
  | 'resolve'
  | 'cursor-key'
  | 'none';
export type KeyAccess = 'generate-data-key' | 'decrypt' | 'none';

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** One method and path of the API. A path may hold `{name}` parameters, matched against one segment. */
export interface RouteAddress {
  method: HttpMethod;
  path: string;
}

/** What a function does with the audit table (lib/store/audit-log.ts). */
export type AuditAccess = 'append' | 'read' | 'none';

/** One Lambda function: what infra deploys and the local runtime loads. */
export interface FunctionSpec {
  functionName: string;
  /** Handler module, relative to the project root. */
  entry: string;
  /** Whether the function connects to warehouses (or vets their addresses): it gets the probe's limits and network settings. */
  probes: boolean;
  table: TableAccess;
  key: KeyAccess;
  audit: AuditAccess;
  memoryMb: number;
  timeoutSeconds: number;
}

/** A function behind the HTTP API. */
export interface Route extends FunctionSpec, RouteAddress {
  /** Further addresses the same function serves (the test function serves both test routes). */
  alsoServes?: readonly RouteAddress[];
  /** `json`: the request carries a JSON body (content type checked, size limited, parsed). */
  body: 'json' | 'none';
}

export const API_BASE_PATH = '/api/v2/warehouse/connections';
export const NAMED_PATH = `${API_BASE_PATH}/named`;
export const NAMED_CONNECTION_PATH = `${NAMED_PATH}/{connection_id}`;

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
    audit: 'append',
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
    audit: 'none',
    memoryMb: 256,
    timeoutSeconds: 10,
  },
  test: {
    functionName: 'test-connection',
    method: 'POST',
    path: `${API_BASE_PATH}/test`,
    alsoServes: [{ method: 'POST', path: `${NAMED_CONNECTION_PATH}/test` }],
    entry: 'functions/test-connection.ts',
    body: 'none',
    probes: true,
    table: 'read-and-record-status',
    key: 'decrypt',
    audit: 'append',
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
    audit: 'append',
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
    audit: 'none',
    memoryMb: 128,
    timeoutSeconds: 5,
  },
  patch: {
    functionName: 'patch-connection',
    method: 'PATCH',
    path: API_BASE_PATH,
    entry: 'functions/patch-connection.ts',
    body: 'json',
    probes: false,
    table: 'update',
    // A PATCH that carries secrets seals them anew; one without never touches the key.
    key: 'generate-data-key',
    audit: 'append',
    memoryMb: 256,
    timeoutSeconds: 15,
  },
  createNamed: {
    functionName: 'create-named-connection',
    method: 'POST',
    path: NAMED_PATH,
    entry: 'functions/create-named-connection.ts',
    body: 'json',
    probes: false,
    table: 'create-named',
    key: 'generate-data-key',
    audit: 'append',
    memoryMb: 256,
    timeoutSeconds: 15,
  },
  list: {
    functionName: 'list-connections',
    method: 'GET',
    path: NAMED_PATH,
    entry: 'functions/list-connections.ts',
    body: 'none',
    probes: false,
    table: 'list',
    key: 'none',
    audit: 'none',
    memoryMb: 256,
    timeoutSeconds: 10,
  },
  getNamed: {
    functionName: 'get-named-connection',
    method: 'GET',
    path: NAMED_CONNECTION_PATH,
    entry: 'functions/get-named-connection.ts',
    body: 'none',
    probes: false,
    table: 'read',
    key: 'none',
    audit: 'none',
    memoryMb: 256,
    timeoutSeconds: 10,
  },
  patchNamed: {
    functionName: 'patch-named-connection',
    method: 'PATCH',
    path: NAMED_CONNECTION_PATH,
    entry: 'functions/patch-named-connection.ts',
    body: 'json',
    probes: false,
    table: 'update',
    key: 'generate-data-key',
    audit: 'append',
    memoryMb: 256,
    timeoutSeconds: 15,
  },
  deleteNamed: {
    functionName: 'delete-named-connection',
    method: 'DELETE',
    path: NAMED_CONNECTION_PATH,
    entry: 'functions/delete-named-connection.ts',
    body: 'none',
    probes: false,
    table: 'delete',
    key: 'none',
    audit: 'append',
    memoryMb: 256,
    timeoutSeconds: 10,
  },
  audit: {
    functionName: 'list-audit',
    method: 'GET',
    path: `${API_BASE_PATH}/audit`,
    entry: 'functions/list-audit.ts',
    body: 'none',
    probes: false,
    table: 'cursor-key',
    key: 'none',
    audit: 'read',
    memoryMb: 256,
    timeoutSeconds: 10,
  },
  activate: {
    functionName: 'activate-connection',
    method: 'POST',
    path: `${NAMED_CONNECTION_PATH}/activate`,
    entry: 'functions/activate-connection.ts',
    body: 'none',
    probes: false,
    table: 'activate',
    key: 'none',
    audit: 'append',
    memoryMb: 256,
    timeoutSeconds: 10,
  },
} as const satisfies Record<string, Route>;

export const ROUTES: readonly Route[] = [
  ROUTE.create,
  ROUTE.get,
  ROUTE.test,
  ROUTE.delete,
  ROUTE.awsIdentity,
  ROUTE.patch,
  ROUTE.createNamed,
  ROUTE.list,
  ROUTE.getNamed,
  ROUTE.patchNamed,
  ROUTE.deleteNamed,
  ROUTE.activate,
  ROUTE.audit,
];

/**
 * The function the platform's own workers invoke (Lambda Invoke only, no HTTP route): it hands a
 * connection's driver options, secrets included, to the principals the deployer names, and audits
 * every call (lib/connections/resolve.ts).
 */
export const RESOLVER: FunctionSpec = {
  functionName: 'resolve-connection',
  entry: 'functions/resolve-connection.ts',
  probes: true,
  table: 'resolve',
  key: 'decrypt',
  audit: 'append',
  // Signing and key opening are CPU-bound, and a Redshift IAM resolve calls STS and Redshift: the
  // same budget as a test (the deadline, the AWS calls around it, init), so it answers, never times out.
  memoryMb: 512,
  timeoutSeconds: 25,
};

/** Every function the stack deploys: the routes' and the resolver. */
export const FUNCTIONS: readonly FunctionSpec[] = [...ROUTES, RESOLVER];

export function isRoute(spec: FunctionSpec): spec is Route {
  return 'method' in spec;
}

export function routeKey(address: RouteAddress): string {
  return `${address.method} ${address.path}`;
}

/** Every address a function serves, its own first. */
export function addressesOf(route: Route): readonly RouteAddress[] {
  return [{ method: route.method, path: route.path }, ...(route.alsoServes ?? [])];
}

/** The values of a path's `{name}` parameters, or undefined when the path does not fit the template. */
export function matchPath(template: string, path: string): Record<string, string> | undefined {
  const templateSegments = template.split('/');
  const segments = path.split('/');
  if (templateSegments.length !== segments.length) return undefined;
  const parameters: Record<string, string> = {};
  for (const [index, expected] of templateSegments.entries()) {
    const actual = segments[index]!;
    const parameter = /^\{(\w+)\}$/.exec(expected);
    if (parameter) {
      // API Gateway matches a parameter against one non-empty segment and passes it URL-decoded.
      if (actual === '') return undefined;
      let decoded: string;
      try {
        decoded = decodeURIComponent(actual);
      } catch {
        return undefined;
      }
      parameters[parameter[1]!] = decoded;
    } else if (expected !== actual) return undefined;
  }
  return parameters;
}

export type RouteMatch =
  | { found: true; route: Route; address: RouteAddress; pathParameters: Record<string, string> }
  | { found: false; allowedMethods: HttpMethod[] };

/**
 * The route a request reaches, as API Gateway picks it: a literal path segment wins over a
 * parameter (`/named/x` cannot be read as `{connection_id}` when a route names `x`). When the path
 * exists but not for this method, the methods it has (for 405's Allow).
 */
export function matchRoute(routes: readonly Route[], method: string, path: string): RouteMatch {
  const candidates = routes
    .flatMap((route) => addressesOf(route).map((address) => ({ route, address, pathParameters: matchPath(address.path, path) })))
    .filter(
      (candidate): candidate is { route: Route; address: RouteAddress; pathParameters: Record<string, string> } =>
        candidate.pathParameters !== undefined,
    )
    .sort((a, b) => Object.keys(a.pathParameters).length - Object.keys(b.pathParameters).length);
  const fewestParameters = candidates.length === 0 ? 0 : Object.keys(candidates[0]!.pathParameters).length;
  const onPath = candidates.filter((candidate) => Object.keys(candidate.pathParameters).length === fewestParameters);
  const hit = onPath.find((candidate) => candidate.address.method === method);
  if (hit) return { found: true, ...hit };
  return { found: false, allowedMethods: onPath.map((candidate) => candidate.address.method) };
}

/** A concrete path for a template: `{name}` replaced by the URL-encoded value. */
export function pathFor(template: string, parameters: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = parameters[name];
    if (value === undefined) throw new Error(`No value for path parameter ${name} of ${template}`);
    return encodeURIComponent(value);
  });
}

/** A function, by its name. */
export function functionOf(functionName: string): FunctionSpec {
  const spec = FUNCTIONS.find((candidate) => candidate.functionName === functionName);
  if (!spec) throw new Error(`No function is named ${functionName}`);
  return spec;
}

/** The route a function serves, by its name. */
export function routeOf(functionName: string): Route {
  const route = ROUTES.find((candidate) => candidate.functionName === functionName);
  if (!route) throw new Error(`No route is served by a function named ${functionName}`);
  return route;
}
