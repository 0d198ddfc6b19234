/** Log lines the service wrote during this test file (see test/setup/secret-watch.ts). */
export function capturedLogLines(): string[] {
  return ((globalThis as Record<string, unknown>).__capturedLogLines as string[] | undefined) ?? [];
}

/** Hands a response to the secret watch, which checks all of them after the test file. */
export function watchResponse(headers: Record<string, unknown>, body: string): void {
  ((globalThis as Record<string, unknown>).__apiResponseTexts as string[] | undefined)?.push(JSON.stringify(headers) + body);
}
