import * as v from 'valibot';
import { CONTROL_CHARACTERS } from './fields.js';

/** A connection's name: 1 to 100 characters, no control characters, no space at either end. */
export const connectionName = v.pipe(
  v.string('must be a string'),
  v.minLength(1, 'must not be empty'),
  v.maxLength(100, 'must be at most 100 characters'),
  v.check((value) => !CONTROL_CHARACTERS.test(value), 'must not contain control characters'),
  v.check((value) => value.trim() === value, 'must not start or end with spaces'),
);
