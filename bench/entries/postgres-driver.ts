/** What a postgres test adds to the test function: its probe module and the driver it loads. */
import 'pg';

export * from '../../lib/providers/postgres/probe.js';
