// Runs in a fresh Node process: how long until the bundle's handler is ready to serve.
const startedAt = performance.now();
const module = await import(process.argv[2]);
if (typeof module.handler !== 'function' && Object.keys(module).length === 0) throw new Error('bundle exports nothing');
process.stdout.write(JSON.stringify({ importMs: performance.now() - startedAt, sinceProcessStartMs: performance.now() }));
