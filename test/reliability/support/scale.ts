/**
 * `npm test` runs the reliability suite in a CI-sized form; `npm run test:reliability` sets
 * RELIABILITY_SCALE=full for the sizes the README reports.
 */
export const FULL_SCALE = process.env.RELIABILITY_SCALE === 'full';

export function scaled(ciSize: number, fullSize: number): number {
  return FULL_SCALE ? fullSize : ciSize;
}
