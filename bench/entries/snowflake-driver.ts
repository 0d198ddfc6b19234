/** What a snowflake test adds to the test function: its probe module and the driver it loads. */
import 'snowflake-sdk';

export * from '../../lib/providers/snowflake/probe.js';
