// Runs in a fresh Node process: how long until the bundle's handler is ready to serve, and how much
// CPU the process used until then (less sensitive than wall time to other work on the machine).
const startedAt = performance.now();
const module = await import(process.argv[2]);
if (typeof module.handler !== 'function' && Object.keys(module).length === 0) throw new Error('bundle exports nothing');
const { user, system } = process.cpuUsage();
process.stdout.write(
  JSON.stringify({ importMs: performance.now() - startedAt, sinceProcessStartMs: performance.now(), cpuMs: (user + system) / 1000 }),
);
