import { Table } from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import { RETAINED_TABLE } from './retained-table.js';

/**
 * The connections table: per organization, its connection (credentials already sealed by the
 * application), its state item and short-lived rate-limit windows (lib/store/connection-item.ts). It holds the only copy of customers' connections, so it survives the stack
 * (RETAIN, deletion protection) and can be rewound (point-in-time recovery).
 */
export class ConnectionsTable extends Table {
  constructor(scope: Construct, id: string) {
    // Rate-limit window items (ConnectionStore.admitTest) carry an expiry; connections never do.
    // Encryption at rest with an AWS owned key. The credentials inside are envelope-encrypted with
    // the service's own key already; a customer managed key here would mean granting kms:Decrypt
    // to every function that reads the table, and only the test function may decrypt.
    super(scope, id, RETAINED_TABLE);
  }
}
