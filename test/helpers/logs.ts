/** Log lines the service wrote during this test file (see test/setup/secret-watch.ts). */
export function capturedLogLines(): string[] {
  return ((globalThis as Record<string, unknown>).__capturedLogLines as string[] | undefined) ?? [];
}

/** The request a response answered: what the OpenAPI watch needs to find its route in docs/openapi.yaml. */
export interface WatchedRequest {
  method: string;
  /** The path as sent (percent-encoded), with any query string. */
  path: string;
  status: number;
}

/**
 * Hands a response to the watches that check all of them after the test file: the secret watch
 * (test/setup/secret-watch.ts) and, when the request is given, the OpenAPI watch
 * (test/setup/openapi-watch.ts), which checks its status, body and headers against docs/openapi.yaml.
 */
export function watchResponse(headers: Record<string, unknown>, body: string, request?: WatchedRequest): void {
  const globals = globalThis as Record<string, unknown>;
  (globals.__apiResponseTexts as string[] | undefined)?.push(JSON.stringify(headers) + body);
  if (request) (globals.__apiResponses as unknown[] | undefined)?.push({ ...request, headers: { ...headers }, body });
}

/** The log lines written since `mark` (what `capturedLogLines().length` was), parsed. */
export function logLinesSince(mark: number): Record<string, unknown>[] {
  return capturedLogLines()
    .slice(mark)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
