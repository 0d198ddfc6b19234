import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { AnyPrincipal, Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { ENCRYPTION_CONTEXT_KEYS } from './route-permissions.js';

/** Every operation that produces or consumes ciphertext under the key. */
const CRYPTOGRAPHIC_ACTIONS = ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'];

/**
 * The customer managed key that wraps each connection's data key. Rotated yearly, and kept when
 * the stack goes: without it the stored credentials cannot be read again.
 *
 * The functions' roles carry the allow statements (route-permissions.ts). The key policy adds a
 * guard no IAM policy can lift: nobody, administrators included, uses this key without the
 * connection's encryption context, so it cannot become a general-purpose encryption key.
 */
export class CredentialsKey extends Key {
  constructor(scope: Construct, id: string) {
    super(scope, id, {
      description: 'Wraps the data keys of stored warehouse credentials (warehouse-connections)',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
      pendingWindow: Duration.days(30),
    });
    this.addToResourcePolicy(
      new PolicyStatement({
        sid: 'DenyUseWithoutEncryptionContext',
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions: CRYPTOGRAPHIC_ACTIONS,
        resources: ['*'],
        conditions: { Null: { 'kms:EncryptionContextKeys': 'true' } },
      }),
    );
    this.addToResourcePolicy(
      new PolicyStatement({
        sid: 'DenyUseWithForeignEncryptionContext',
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions: CRYPTOGRAPHIC_ACTIONS,
        resources: ['*'],
        conditions: { 'ForAnyValue:StringNotEquals': { 'kms:EncryptionContextKeys': [...ENCRYPTION_CONTEXT_KEYS] } },
      }),
    );
  }
}
