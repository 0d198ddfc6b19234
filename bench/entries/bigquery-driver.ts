/** What a bigquery test adds to the test function: its probe module and the driver it loads. */
import '@google-cloud/bigquery';

export * from '../../lib/providers/bigquery/probe.js';
