/** Log lines the service wrote during this test file (see test/setup/capture-logs.ts). */
export function capturedLogLines(): string[] {
  return ((globalThis as Record<string, unknown>).__capturedLogLines as string[] | undefined) ?? [];
}
