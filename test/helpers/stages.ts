import { expect } from '@jest/globals';
import type { Stage, StageName, Verdict } from '../../lib/providers/verdict.js';

/**
 * The stages a verdict must carry: `names` in order, all passed, or all passed but the last when
 * the test failed there. Times are whatever they were.
 */
export function stagesThrough(names: readonly StageName[], outcome: 'passed' | 'failed') {
  return names.map((name, index) => ({ name, ok: outcome === 'passed' || index < names.length - 1, ms: expect.any(Number) }));
}

/**
 * What every verdict's stages must be: names the provider's own stages in its order, each run at
 * most once, all passed on success and all but the last on failure.
 */
export function expectStagesInOrder(stages: readonly Stage[], order: readonly StageName[], success: boolean): void {
  expect(stages.length).toBeGreaterThan(0);
  const positions = stages.map((stage) => order.indexOf(stage.name));
  expect(positions.every((position) => position >= 0)).toBe(true);
  expect(positions).toEqual([...positions].sort((a, b) => a - b));
  expect(new Set(positions).size).toBe(positions.length);
  expect(stages.map((stage) => stage.ok)).toEqual(stages.map((_, index) => success || index < stages.length - 1));
  for (const stage of stages) expect(Number.isInteger(stage.ms) && stage.ms >= 0).toBe(true);
}

/** A verdict without its stages and hint (checked with `expectStagesInOrder`), for the tables that compare code and message. */
export function plainVerdict(verdict: Verdict, order: readonly StageName[]) {
  const { stages, ...rest } = verdict;
  expectStagesInOrder(stages, order, verdict.success);
  if ('hint' in rest) delete rest.hint;
  return rest;
}
