import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, cpSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LambdaNode } from './lambda-node.js';
import type { FunctionModel } from './stack-model.js';

/**
 * Lambda for the rehearsal: each function runs from a copy of its asset folder (read-only, with no
 * node_modules anywhere above it), in its own Node.js processes talking to a Lambda Runtime API.
 * Like Lambda: one invocation at a time per execution environment, warm reuse between invocations,
 * a new environment (a cold start) when all are busy, the template's timeout enforced by ending
 * the environment, only the environment's temp folder writable, Lambda's reserved variables set.
 */
export type InvokeOutcome = { ok: true; payload: Buffer } | { ok: false; errorType: string; payload: Buffer };

export interface FunctionStats {
  functionName: string;
  logicalId: string;
  node: string;
  coldStarts: number;
  invocations: number;
  timeouts: number;
  /** Peak resident memory of any of the function's environments, from the kernel (VmHWM). */
  peakRssMb: number;
}

export interface FunctionRuntimeOptions {
  node: LambdaNode;
  /** Where task and temp folders go; nothing of the project is above it. */
  workDir: string;
  /** Environment added to the template's: the SDK endpoints and the function's own credentials. */
  environment: Record<string, string>;
  region: string;
  /** Receives each line the function writes to stdout or stderr. */
  onLog: (line: string) => void;
  /** Environments one function may run at once on this machine (Lambda's would be the account limit). */
  maxEnvironments?: number;
}

const BOOTSTRAP = fileURLToPath(new URL('./runtime-bootstrap.mjs', import.meta.url));
const RUNTIME_API_PREFIX = '/2018-06-01/runtime';

interface Invocation {
  id: string;
  event: Buffer;
  deadlineMs: number;
  delivered?: boolean;
  settle: (outcome: InvokeOutcome) => void;
}

/** One execution environment: a process, its Runtime API endpoint, and at most one invocation. */
class ExecutionEnvironment {
  private readonly server: Server;
  private process: ChildProcess | undefined;
  private pendingNext: ServerResponse | undefined;
  private current: Invocation | undefined;
  private timer: NodeJS.Timeout | undefined;
  busy = false;
  dead = false;
  peakRssKb = 0;

  constructor(
    private readonly fn: FunctionModel,
    private readonly options: FunctionRuntimeOptions,
    private readonly taskRoot: string,
    private readonly tmpDir: string,
    private readonly onTimeout: () => void,
  ) {
    this.server = createServer((request, response) => this.runtimeApi(request, response));
  }

  async start(): Promise<void> {
    await new Promise<void>((ready) => this.server.listen(0, '127.0.0.1', () => ready()));
    const { port } = this.server.address() as AddressInfo;
    const { node, region } = this.options;
    const permission = node.version.startsWith('v20.') ? '--experimental-permission' : '--permission';
    this.process = spawn(
      node.path,
      [
        permission,
        '--allow-fs-read=*',
        `--allow-fs-write=${this.tmpDir}`,
        '--allow-child-process',
        '--allow-worker',
        // Node warns that these two widen the permission model; Lambda allows both.
        '--disable-warning=SecurityWarning',
        `--max-old-space-size=${Math.floor(this.fn.memoryMb * 0.9)}`,
        BOOTSTRAP,
      ],
      {
        cwd: this.taskRoot,
        env: {
          ...this.fn.environment,
          ...this.options.environment,
          ...reservedVariables(this.fn, region, this.taskRoot),
          AWS_LAMBDA_RUNTIME_API: `127.0.0.1:${port}`,
          TMPDIR: this.tmpDir,
          PATH: '/usr/local/bin:/usr/bin:/bin',
          LANG: 'en_US.UTF-8',
          TZ: ':UTC',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    for (const stream of [this.process.stdout!, this.process.stderr!]) {
      let rest = '';
      stream.setEncoding('utf8').on('data', (chunk: string) => {
        const lines = (rest + chunk).split('\n');
        rest = lines.pop() ?? '';
        for (const line of lines) if (line !== '') this.options.onLog(line);
      });
    }
    this.process.once('exit', () => this.end('Runtime.ExitError', 'The function process exited'));
  }

  invoke(invocation: Invocation): void {
    this.busy = true;
    this.current = invocation;
    this.timer = setTimeout(
      () => {
        this.onTimeout();
        this.end('Sandbox.Timedout', `Task timed out after ${this.fn.timeoutSeconds.toFixed(2)} seconds`);
      },
      Math.max(0, invocation.deadlineMs - Date.now()),
    );
    if (this.pendingNext) this.deliver();
  }

  close(): void {
    this.dead = true;
    this.process?.kill('SIGKILL');
    this.server.closeAllConnections();
    this.server.close();
  }

  private deliver(): void {
    const response = this.pendingNext!;
    const invocation = this.current!;
    this.pendingNext = undefined;
    invocation.delivered = true;
    response.writeHead(200, {
      'Content-Type': 'application/json',
      'Lambda-Runtime-Aws-Request-Id': invocation.id,
      'Lambda-Runtime-Deadline-Ms': String(invocation.deadlineMs),
      'Lambda-Runtime-Invoked-Function-Arn': this.fn.arn,
      'Lambda-Runtime-Trace-Id': `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomUUID().replace(/-/g, '').slice(0, 24)};Sampled=0`,
    });
    response.end(invocation.event);
  }

  private runtimeApi(request: IncomingMessage, response: ServerResponse): void {
    const path = request.url ?? '';
    if (request.method === 'GET' && path === `${RUNTIME_API_PREFIX}/invocation/next`) {
      this.pendingNext = response;
      if (this.current && !this.current.delivered) this.deliver();
      return;
    }
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      const match = /^\/2018-06-01\/runtime\/invocation\/([^/]+)\/(response|error)$/.exec(path);
      if (match && this.current?.id === match[1]) {
        const outcome: InvokeOutcome =
          match[2] === 'response'
            ? { ok: true, payload: body }
            : { ok: false, errorType: String(request.headers['lambda-runtime-function-error-type'] ?? 'Unhandled'), payload: body };
        this.finish(outcome);
      } else if (path === `${RUNTIME_API_PREFIX}/init/error`) {
        this.end('Runtime.InitError', body.toString('utf8'));
      }
      response.writeHead(202).end();
    });
  }

  private finish(outcome: InvokeOutcome): void {
    clearTimeout(this.timer);
    const invocation = this.current;
    this.current = undefined;
    this.recordMemory();
    this.busy = false;
    invocation?.settle(outcome);
  }

  /** The environment is gone (timeout, crash, init error): its invocation fails, and it is never reused. */
  private end(errorType: string, message: string): void {
    if (this.dead) return;
    this.recordMemory();
    this.close();
    clearTimeout(this.timer);
    const invocation = this.current;
    this.current = undefined;
    invocation?.settle({ ok: false, errorType, payload: Buffer.from(JSON.stringify({ errorType, errorMessage: message })) });
  }

  private recordMemory(): void {
    try {
      const status = readFileSync(`/proc/${this.process?.pid}/status`, 'utf8');
      const peak = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
      this.peakRssKb = Math.max(this.peakRssKb, peak);
    } catch {
      // the process is gone or /proc is not there: memory stays as last read
    }
  }
}

/** All environments of one function, created on demand and reused warm. */
export class FunctionRuntime {
  private readonly environments: ExecutionEnvironment[] = [];
  private readonly waiting: (() => void)[] = [];
  private readonly taskRoot: string;
  private sequence = 0;
  readonly stats: FunctionStats;

  constructor(
    readonly fn: FunctionModel,
    private readonly options: FunctionRuntimeOptions,
  ) {
    this.taskRoot = join(options.workDir, fn.logicalId, 'task');
    mkdirSync(this.taskRoot, { recursive: true });
    cpSync(fn.codeFolder, this.taskRoot, { recursive: true });
    makeReadOnly(this.taskRoot);
    this.stats = {
      functionName: fn.functionName,
      logicalId: fn.logicalId,
      node: options.node.version,
      coldStarts: 0,
      invocations: 0,
      timeouts: 0,
      peakRssMb: 0,
    };
  }

  async invoke(event: Buffer): Promise<InvokeOutcome> {
    const environment = await this.acquire();
    this.stats.invocations += 1;
    return new Promise<InvokeOutcome>((settle) => {
      environment.invoke({
        id: randomUUID(),
        event,
        deadlineMs: Date.now() + this.fn.timeoutSeconds * 1000,
        settle: (outcome) => {
          this.stats.peakRssMb = Math.max(this.stats.peakRssMb, Math.round(environment.peakRssKb / 102.4) / 10);
          this.release();
          settle(outcome);
        },
      });
    });
  }

  close(): void {
    for (const environment of this.environments) environment.close();
  }

  private async acquire(): Promise<ExecutionEnvironment> {
    for (;;) {
      const alive = this.environments.filter((environment) => !environment.dead);
      this.environments.splice(0, this.environments.length, ...alive);
      const idle = alive.find((environment) => !environment.busy);
      if (idle) {
        idle.busy = true;
        return idle;
      }
      const limit = this.fn.reservedConcurrency ?? this.options.maxEnvironments ?? 4;
      if (alive.length < limit) return this.coldStart();
      await new Promise<void>((wake) => this.waiting.push(wake));
    }
  }

  private async coldStart(): Promise<ExecutionEnvironment> {
    const tmpDir = join(this.options.workDir, this.fn.logicalId, `tmp-${(this.sequence += 1)}`);
    mkdirSync(tmpDir, { recursive: true });
    const environment = new ExecutionEnvironment(this.fn, this.options, this.taskRoot, tmpDir, () => (this.stats.timeouts += 1));
    environment.busy = true;
    this.environments.push(environment);
    this.stats.coldStarts += 1;
    await environment.start();
    return environment;
  }

  private release(): void {
    this.waiting.shift()?.();
  }
}

/** The variables Lambda sets in every execution environment (and which a function may not override). */
function reservedVariables(fn: FunctionModel, region: string, taskRoot: string): Record<string, string> {
  return {
    _HANDLER: fn.handler,
    AWS_EXECUTION_ENV: `AWS_Lambda_${fn.runtime}`,
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_LAMBDA_FUNCTION_NAME: fn.functionName,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_LAMBDA_LOG_GROUP_NAME: fn.logGroupName,
    AWS_LAMBDA_LOG_STREAM_NAME: `${new Date().toISOString().slice(0, 10).replace(/-/g, '/')}/[$LATEST]${randomUUID().replace(/-/g, '')}`,
    LAMBDA_TASK_ROOT: taskRoot,
    LAMBDA_RUNTIME_DIR: '/var/runtime',
  };
}

/** As /var/task is: nothing in it can be changed by the function (the permission model holds it for root, too). */
function makeReadOnly(path: string): void {
  const stats = statSync(path);
  if (stats.isDirectory()) {
    for (const entry of readdirSync(path)) makeReadOnly(join(path, entry));
    chmodSync(path, 0o555);
  } else {
    chmodSync(path, 0o444);
  }
}
