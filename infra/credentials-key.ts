import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { AnyPrincipal, Effect, PolicyStatement, type IRole } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { ENCRYPTION_CONTEXT_KEYS } from './route-permissions.js';

/** Every operation that produces or consumes ciphertext under the key. */
const CRYPTOGRAPHIC_ACTIONS = ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'];

/**
 * The customer managed key that wraps each connection's data key. Rotated yearly, and kept when
 * the stack goes or the key is replaced: without it the stored credentials cannot be read again.
 * A key created by a first deploy that then fails is deleted with the rollback (it wraps nothing
 * yet), so a failed first deploy leaves no key behind.
 *
 * The functions' roles carry the allow statements (route-permissions.ts). The key policy adds
 * guards no IAM policy can lift:
 * - nobody, administrators included, uses the key without exactly the connection's encryption
 *   context (every key of it, and no other), so it cannot become a general-purpose key;
 * - nobody but the roles named in `restrictDecryptTo` decrypts, whatever IAM grants: the account's
 *   administrators keep managing the key (policy, rotation, deletion) but cannot read a secret;
 * - nobody re-encrypts, which would move a secret under a key someone else can decrypt.
 */
export class CredentialsKey extends Key {
  constructor(scope: Construct, id: string) {
    super(scope, id, {
      description: 'Wraps the data keys of stored warehouse credentials (warehouse-connections)',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
      pendingWindow: Duration.days(30),
    });
    this.deny('DenyUseWithoutEncryptionContext', CRYPTOGRAPHIC_ACTIONS, { Null: { 'kms:EncryptionContextKeys': 'true' } });
    this.deny('DenyUseWithForeignEncryptionContext', CRYPTOGRAPHIC_ACTIONS, {
      'ForAnyValue:StringNotEquals': { 'kms:EncryptionContextKeys': [...ENCRYPTION_CONTEXT_KEYS] },
    });
    // Conditions of one statement must all hold, so each required key gets its own statement.
    for (const key of ENCRYPTION_CONTEXT_KEYS) {
      this.deny(`DenyUseWithout${pascal(key)}`, CRYPTOGRAPHIC_ACTIONS, { Null: { [`kms:EncryptionContext:${key}`]: 'true' } });
    }
    this.deny('DenyReEncrypt', ['kms:ReEncrypt*'], undefined);
  }

  /** Lets only these roles decrypt, whatever IAM policies elsewhere in the account grant. */
  restrictDecryptTo(roles: readonly IRole[]): void {
    this.deny('DenyDecryptToAllButTheDecryptingRoles', ['kms:Decrypt'], {
      ArnNotEquals: { 'aws:PrincipalArn': roles.map((role) => role.roleArn) },
    });
  }

  private deny(sid: string, actions: string[], conditions: Record<string, unknown> | undefined): void {
    this.addToResourcePolicy(
      new PolicyStatement({
        sid,
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions,
        resources: ['*'],
        ...(conditions ? { conditions } : {}),
      }),
    );
  }
}

function pascal(snake: string): string {
  return snake.replace(/(^|_)([a-z])/g, (_, __, letter: string) => letter.toUpperCase());
}
