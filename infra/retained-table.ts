import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, TableEncryption, type TableProps } from 'aws-cdk-lib/aws-dynamodb';
import { TABLE_KEYS } from '../lib/store/table.js';

/**
 * What the service's tables share: the store's keys, on demand, point-in-time recovery, deletion
 * protection, kept when the stack goes (RETAIN), expiring items by `expires_at`, and an AWS owned key
 * (what they hold is either not secret or sealed by the application already).
 */
export const RETAINED_TABLE: TableProps = {
  partitionKey: { name: TABLE_KEYS.partitionKey, type: AttributeType.STRING },
  sortKey: { name: TABLE_KEYS.sortKey, type: AttributeType.STRING },
  billingMode: BillingMode.PAY_PER_REQUEST,
  pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
  deletionProtection: true,
  timeToLiveAttribute: 'expires_at',
  removalPolicy: RemovalPolicy.RETAIN,
  encryption: TableEncryption.DEFAULT,
};
