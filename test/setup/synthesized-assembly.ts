import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { synthesize } from '../../local/rehearsal/synthesize.js';

/**
 * The cloud assembly of one `cdk synth`, shared by every test file of a jest run: the first file
 * that asks synthesizes (the others wait for it), so the run pays for one synthesis, and only
 * when a test needs the assembly. The global setup names the folder; the teardown removes it.
 */
const WAIT_MS = 600_000;

export async function synthesizedAssembly(): Promise<string> {
  const root = process.env.TEST_ASSEMBLY_ROOT;
  if (!root) throw new Error('TEST_ASSEMBLY_ROOT is set by the jest global setup');
  const assembly = join(root, 'assembly');
  const status = join(root, 'status.json');
  let owner = false;
  try {
    closeSync(openSync(join(root, 'lock'), 'wx'));
    owner = true;
  } catch {
    // another test file is synthesizing
  }
  if (owner) {
    try {
      await synthesize(assembly);
      writeFileSync(status, JSON.stringify({ ok: true }));
    } catch (error) {
      const { stderr, message } = error as { stderr?: string; message: string };
      writeFileSync(status, JSON.stringify({ ok: false, error: `${message}\n${stderr ?? ''}` }));
    }
  }
  for (const started = Date.now(); !existsSync(status); await sleep(250)) {
    if (Date.now() - started > WAIT_MS) throw new Error('cdk synth did not finish');
  }
  const result = JSON.parse(readFileSync(status, 'utf8')) as { ok: boolean; error?: string };
  if (!result.ok) throw new Error(`cdk synth failed: ${result.error}`);
  return assembly;
}
