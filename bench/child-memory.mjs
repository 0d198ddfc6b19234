// Runs in a fresh Node process: invokes one bundled handler N times with the same event file,
// then reports the peak resident set size.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

/**
 * The process's own peak RSS. Linux keeps ru_maxrss across exec, so resourceUsage().maxRSS of a
 * child reports the bench process it was forked from when that one is larger; VmHWM is this
 * process image's own high-water mark. Elsewhere, maxRSS.
 */
function peakRssMb() {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (match) return Number(match[1]) / 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS / 1024;
}

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
process.stdout.write(JSON.stringify({ maxRssMb: peakRssMb(), statuses: [...statuses] }));
