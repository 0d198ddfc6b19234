import { Table } from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import { RETAINED_TABLE } from './retained-table.js';

/**
 * The audit records (lib/store/audit-log.ts): appended to by the functions that act on connections
 * (the resolve function among them), read by the audit route, each expiring through the TTL after
 * the deployer's retention. A table of its own, so no function that writes audit records can touch
 * a connection, and none that reads connections can rewrite history. Kept when the stack goes.
 */
export class AuditTable extends Table {
  constructor(scope: Construct, id: string) {
    // Records hold names and outcomes, never secrets: an AWS owned key is enough.
    super(scope, id, RETAINED_TABLE);
  }
}
