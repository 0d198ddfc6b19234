import { spawn } from 'node:child_process';

/**
 * Opens a passphrase-protected private key in a short-lived worker process. OpenSSL derives the
 * key from the passphrase synchronously (PBKDF2, repeated for each decoder it tries when the
 * passphrase is wrong: seconds for an allowed key on a small Lambda), and on the main thread that
 * time would stall every other request the process serves and the probe's own deadline.
 *
 * A process rather than a worker thread, because a thread busy inside OpenSSL cannot be stopped:
 * terminate() waits until the derivation returns, so a key abandoned at its deadline would keep
 * burning the CPU into the next tenant's request. A process is killed at its deadline, at once.
 *
 * The worker's code is a self-contained script given to `node -e`, not a file: the functions are
 * bundled into ES modules with code splitting, where no separate worker file exists. The key and
 * passphrase travel over a pipe (never argv or the environment, which other processes can read);
 * the worker gets an empty environment, so no credential of the function's reaches it. What comes
 * back is the unencrypted PKCS#8 PEM, in memory.
 */
const WORKER_SCRIPT = `
const { createPrivateKey } = require('node:crypto');
const chunks = [];
process.stdin.on('data', (chunk) => chunks.push(chunk)).on('end', () => {
  let message;
  try {
    const { pem, passphrase } = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    const key = createPrivateKey({ key: pem, format: 'pem', passphrase });
    message = { opened: true, pkcs8: key.export({ format: 'pem', type: 'pkcs8' }) };
  } catch {
    message = { opened: false };
  }
  process.stdout.write(JSON.stringify(message));
});
`;

/** What opening takes at most, whatever the key: above an allowed key's cost, well within a request. */
export const KEY_OPENING_BUDGET_MS = 5_000;

/** An unencrypted 4096-bit PKCS#8 PEM is about 3.3 KB; nothing legitimate comes back larger. */
const MAX_ANSWER_BYTES = 65_536;

export type WorkerOpening = { outcome: 'opened'; pkcs8: string } | { outcome: 'unreadable' } | { outcome: 'too_slow' };

export class KeyWorkerError extends Error {
  override name = 'KeyWorkerError';
}

/**
 * Resolves with the unencrypted key, `unreadable` (wrong passphrase, broken key) or `too_slow`
 * when the budget runs out first; a `signal` that aborts (the caller's deadline) ends the wait
 * the same way. The worker is killed then. Rejects with KeyWorkerError when the worker itself
 * fails (it could not start, or died): not the key's fault.
 */
export function openKeyInWorker(
  pem: string,
  passphrase: string,
  options: { budgetMs?: number; signal?: AbortSignal } = {},
): Promise<WorkerOpening> {
  const budgetMs = options.budgetMs ?? KEY_OPENING_BUDGET_MS;
  return new Promise((resolve, reject) => {
    const worker = spawn(process.execPath, ['-e', WORKER_SCRIPT], { env: {}, stdio: ['pipe', 'pipe', 'ignore'], windowsHide: true });
    const answer: Buffer[] = [];
    let answerBytes = 0;
    let settled = false;
    const finish = (result: WorkerOpening | KeyWorkerError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', stop);
      worker.kill('SIGKILL');
      if (result instanceof KeyWorkerError) reject(result);
      else resolve(result);
    };
    const stop = () => finish({ outcome: 'too_slow' });
    const timer = setTimeout(stop, budgetMs);
    if (options.signal?.aborted) stop();
    else options.signal?.addEventListener('abort', stop, { once: true });

    worker.once('error', (error) => finish(new KeyWorkerError('The key-opening worker could not run', { cause: error })));
    worker.stdin.on('error', () => undefined); // a worker killed early closes the pipe; 'close' reports it
    worker.stdout.on('data', (chunk: Buffer) => {
      answerBytes += chunk.length;
      if (answerBytes > MAX_ANSWER_BYTES) finish(new KeyWorkerError('The key-opening worker answered too much'));
      else answer.push(chunk);
    });
    worker.once('close', (code, signal) => {
      let message: { opened?: boolean; pkcs8?: unknown };
      try {
        message = JSON.parse(Buffer.concat(answer).toString('utf8')) as typeof message;
      } catch {
        return finish(new KeyWorkerError(`The key-opening worker ended (${signal ?? `code ${code}`}) without an answer`));
      }
      finish(
        message.opened === true && typeof message.pkcs8 === 'string'
          ? { outcome: 'opened', pkcs8: message.pkcs8 }
          : { outcome: 'unreadable' },
      );
    });
    worker.stdin.end(JSON.stringify({ pem, passphrase }));
  });
}
