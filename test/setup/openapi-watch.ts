import { afterAll, expect } from '@jest/globals';
import { appendFileSync } from 'node:fs';
import { OpenApiContract, type RecordedResponse } from '../helpers/openapi-contract.js';

/**
 * Runs in every test file. Every response the test transports received (test/helpers/logs.ts
 * watchResponse) is checked after the file against docs/openapi.yaml: a status the document does
 * not give for the route, a body its schema refuses or a header it requires missing fails the file,
 * naming the route, the status and the schema's complaint.
 *
 * With OPENAPI_WATCH_COUNTS set to a file, one JSON line per test file counts the responses checked
 * by route and status (for reports).
 */
const responses: RecordedResponse[] = [];
(globalThis as Record<string, unknown>).__apiResponses = responses;

afterAll(() => {
  if (responses.length === 0) return;
  const contract = new OpenApiContract();
  const counts: Record<string, number> = {};
  const problems = new Set<string>();
  for (const response of responses) {
    const verdict = contract.check(response);
    if (verdict.route === undefined) continue;
    const key = `${verdict.route} ${response.status}`;
    counts[key] = (counts[key] ?? 0) + 1;
    for (const problem of verdict.problems) problems.add(problem);
  }
  const countsFile = process.env.OPENAPI_WATCH_COUNTS;
  if (countsFile) appendFileSync(countsFile, `${JSON.stringify(counts)}\n`);
  expect([...problems]).toEqual([]);
});
