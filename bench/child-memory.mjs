// Runs in a fresh Node process: invokes one bundled handler N times with the same event file,
// then reports the peak resident set size.
import { readFile } from 'node:fs/promises';

const [bundle, eventFile, count] = process.argv.slice(2);
const { handler } = await import(bundle);
const event = JSON.parse(await readFile(eventFile, 'utf8'));
const statuses = new Set();
for (let index = 0; index < Number(count); index += 1) {
  const context = { awsRequestId: `r${index}`, functionName: 'bench', getRemainingTimeInMillis: () => 30_000 };
  const invocation = event.requestContext ? { ...event, requestContext: { ...event.requestContext, requestId: `r${index}` } } : event;
  const result = await handler(invocation, context);
  // A route's function answers with an HTTP status; the resolver (Lambda Invoke) with `ok` and a code.
  statuses.add(result.statusCode ?? (result.ok ? 'ok' : result.code));
}
process.stdout.write(JSON.stringify({ maxRssMb: process.resourceUsage().maxRSS / 1024, statuses: [...statuses] }));
