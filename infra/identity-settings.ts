import type { Node } from 'constructs';
import { DEFAULTS } from '../lib/config.js';
import { COGNITO_ORG_CLAIM } from './stack-contract.js';

/** Who issues the tokens the API accepts, and which claim names the caller's organization. */
export type IdentitySettings =
  { kind: 'cognito'; orgClaim: string } | { kind: 'external-issuer'; issuer: string; audiences: string[]; orgClaim: string };

/** The claim the functions read when an external issuer does not say otherwise. */
export const DEFAULT_EXTERNAL_ORG_CLAIM = DEFAULTS.orgClaim;

/**
 * From `cdk deploy -c issuer=... -c audience=... -c orgClaim=...`: all absent means a Cognito user
 * pool of our own; issuer and audience together mean an external OIDC issuer and no user pool.
 */
export function identitySettingsFromContext(node: Node): IdentitySettings {
  const issuer = stringContext(node, 'issuer');
  const audience = stringContext(node, 'audience');
  const orgClaim = stringContext(node, 'orgClaim');

  if (issuer === undefined && audience === undefined) {
    if (orgClaim !== undefined && orgClaim !== COGNITO_ORG_CLAIM) {
      throw new Error(
        `Context orgClaim=${orgClaim} needs issuer and audience: with the built-in user pool the claim is ${COGNITO_ORG_CLAIM}.`,
      );
    }
    return { kind: 'cognito', orgClaim: COGNITO_ORG_CLAIM };
  }
  if (issuer === undefined || audience === undefined) {
    throw new Error('Context issuer and audience go together: pass both (-c issuer=https://... -c audience=<client id>) or neither.');
  }
  return {
    kind: 'external-issuer',
    issuer: httpsUrl(issuer),
    audiences: listOf(audience),
    orgClaim: orgClaim ?? DEFAULT_EXTERNAL_ORG_CLAIM,
  };
}

function stringContext(node: Node, key: string): string | undefined {
  const value: unknown = node.tryGetContext(key);
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new Error(`Context ${key} must be a string`);
  return value.trim();
}

/** API Gateway compares the token's `iss` with this string exactly, so it is kept as given. */
function httpsUrl(issuer: string): string {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    throw new Error(`Context issuer must be an https URL, got "${issuer}"`);
  }
  if (url.protocol !== 'https:') throw new Error(`Context issuer must be an https URL, got "${issuer}"`);
  return issuer;
}

function listOf(audience: string): string[] {
  const audiences = audience
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  if (audiences.length === 0) throw new Error('Context audience must name at least one audience');
  return audiences;
}
