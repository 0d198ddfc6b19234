// The runtime side of a rehearsed Lambda function: what the Node.js managed runtime does inside the
// execution environment. It resolves the template's `Handler` string against LAMBDA_TASK_ROOT,
// imports the module once (init), then loops on the Lambda Runtime API (AWS_LAMBDA_RUNTIME_API):
// next invocation, handler, response or error. Plain JavaScript with no imports beyond Node's own,
// because it runs on the Lambda Node.js binary against nothing but the function's asset folder.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { format } from 'node:util';

const runtimeApi = `http://${process.env.AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime`;
let currentRequestId;

if (process.env.AWS_LAMBDA_LOG_FORMAT === 'JSON') useJsonConsole();

process.on('unhandledRejection', (reason) => crash(reason, 'Runtime.UnhandledPromiseRejection'));
process.on('uncaughtException', (error) => crash(error, 'Runtime.UncaughtException'));

const handler = await loadHandler(process.env.LAMBDA_TASK_ROOT, process.env._HANDLER);
for (;;) await invokeNext(handler);

async function loadHandler(taskRoot, handlerString) {
  try {
    const separator = handlerString.lastIndexOf('.');
    const moduleName = handlerString.slice(0, separator);
    const exportName = handlerString.slice(separator + 1);
    // The managed runtime's order: an ES module, then CommonJS.
    const file = ['.mjs', '.js', '.cjs']
      .map((extension) => join(taskRoot, moduleName + extension))
      .find((candidate) => existsSync(candidate));
    if (separator < 1 || !file) throw named('Runtime.ImportModuleError', `Error: Cannot find module '${moduleName}'`);
    const loaded = await import(pathToFileURL(file).href);
    const exported = loaded[exportName];
    if (typeof exported !== 'function') throw named('Runtime.HandlerNotFound', `${handlerString} is undefined or not exported`);
    return exported;
  } catch (error) {
    await post('/init/error', errorPayload(error), { 'Lambda-Runtime-Function-Error-Type': errorType(error) });
    process.exit(1);
  }
}

async function invokeNext(handle) {
  const next = await fetch(`${runtimeApi}/invocation/next`);
  const requestId = next.headers.get('lambda-runtime-aws-request-id');
  const deadline = Number(next.headers.get('lambda-runtime-deadline-ms'));
  const event = await next.json();
  currentRequestId = requestId;
  const context = {
    awsRequestId: requestId,
    invokedFunctionArn: next.headers.get('lambda-runtime-invoked-function-arn'),
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  try {
    const result =
      handle.length >= 3
        ? await new Promise((done, fail) => handle(event, context, (error, value) => (error ? fail(error) : done(value))))
        : await handle(event, context);
    await post(`/invocation/${requestId}/response`, result === undefined ? null : result);
  } catch (error) {
    await post(`/invocation/${requestId}/error`, errorPayload(error), { 'Lambda-Runtime-Function-Error-Type': errorType(error) });
  } finally {
    currentRequestId = undefined;
  }
}

async function crash(error, type) {
  const payload = errorPayload(error);
  payload.errorType = type;
  if (currentRequestId)
    await post(`/invocation/${currentRequestId}/error`, payload, { 'Lambda-Runtime-Function-Error-Type': type }).catch(() => undefined);
  process.exit(128);
}

async function post(path, body, headers = {}) {
  await fetch(`${runtimeApi}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

function errorPayload(error) {
  const isError = error instanceof Error;
  return {
    errorType: errorType(error),
    errorMessage: isError ? error.message : String(error),
    stackTrace:
      isError && error.stack
        ? error.stack
            .split('\n')
            .slice(1)
            .map((line) => line.trim())
        : [],
  };
}

function errorType(error) {
  return error instanceof Error ? error.name : 'Error';
}

function named(name, message) {
  const error = new Error(message);
  error.name = name;
  return error;
}

/** With the JSON log format, the managed runtime writes console calls as JSON records. */
function useJsonConsole() {
  const levels = { trace: 'TRACE', debug: 'DEBUG', info: 'INFO', log: 'INFO', warn: 'WARN', error: 'ERROR' };
  for (const [method, level] of Object.entries(levels)) {
    console[method] = (...args) => {
      process.stdout.write(
        `${JSON.stringify({ timestamp: new Date().toISOString(), level, requestId: currentRequestId, message: format(...args) })}\n`,
      );
    };
  }
}
