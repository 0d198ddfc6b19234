import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import { TABLE_KEYS } from '../lib/store/table.js';

/**
 * The connections table: per organization, its connection (credentials already sealed by the
 * application), its state item and short-lived rate-limit windows (lib/store/connection-item.ts). It holds the only copy of customers' connections, so it survives the stack
 * (RETAIN, deletion protection) and can be rewound (point-in-time recovery).
 */
export class ConnectionsTable extends Table {
  constructor(scope: Construct, id: string) {
    super(scope, id, {
      partitionKey: { name: TABLE_KEYS.partitionKey, type: AttributeType.STRING },
      sortKey: { name: TABLE_KEYS.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      // Rate-limit window items (ConnectionStore.admitTest) carry an expiry; connections never do.
      timeToLiveAttribute: 'expires_at',
      removalPolicy: RemovalPolicy.RETAIN,
      // Encryption at rest with an AWS owned key. The credentials inside are envelope-encrypted with
      // the service's own key already; a customer managed key here would mean granting kms:Decrypt
      // to every function that reads the table, and only the test function may decrypt.
      encryption: TableEncryption.DEFAULT,
    });
  }
}
