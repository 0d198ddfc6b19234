import { describe, expect, test } from '@jest/globals';
import { App } from 'aws-cdk-lib';
import { addressesOf, FUNCTIONS, ROUTES } from '../../lib/routes.js';
import { identitySettingsFromContext } from '../../infra/identity-settings.js';
import { OUTPUT_KEYS } from '../../infra/stack-contract.js';
import { serviceTemplate, type Resources } from './synthesize.js';

const ISSUER = 'https://login.example.com/realms/acme';

// `cdk deploy -c issuer=... -c audience=... -c orgClaim=...`, synthesized once for the file.
const { template } = serviceTemplate({ issuer: ISSUER, audience: 'warehouse-api, warehouse-cli', orgClaim: 'https://acme.example/org' });
const resources = template.toJSON().Resources as Resources;

describe('with an external OIDC issuer', () => {
  test('no user pool or client is created', () => {
    template.resourceCountIs('AWS::Cognito::UserPool', 0);
    template.resourceCountIs('AWS::Cognito::UserPoolClient', 0);
    const outputs = Object.keys(template.toJSON().Outputs as Record<string, unknown>);
    expect(outputs).not.toContain(OUTPUT_KEYS.userPoolId);
    expect(outputs).not.toContain(OUTPUT_KEYS.userPoolClientId);
  });

  test('the authorizer trusts exactly the given issuer and audiences', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      JwtConfiguration: { Issuer: ISSUER, Audience: ['warehouse-api', 'warehouse-cli'] },
    });
  });

  test('every route still requires it', () => {
    const routes = Object.values(resources).filter((resource) => resource.Type === 'AWS::ApiGatewayV2::Route');
    expect(routes).toHaveLength(ROUTES.flatMap(addressesOf).length);
    for (const route of routes) expect(route.Properties.AuthorizationType).toBe('JWT');
  });

  test('the functions read the organization from the given claim', () => {
    const functions = Object.values(resources).filter((resource) => resource.Type === 'AWS::Lambda::Function');
    expect(functions).toHaveLength(FUNCTIONS.length);
    for (const fn of functions) {
      expect((fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables.ORG_CLAIM).toBe('https://acme.example/org');
    }
  });
});

describe('identity context is validated', () => {
  const settingsFor = (context: Record<string, string>) => identitySettingsFromContext(new App({ context }).node);

  test('no context: the built-in user pool and custom:org_id', () => {
    expect(settingsFor({})).toEqual({ kind: 'cognito', orgClaim: 'custom:org_id' });
  });

  test('orgClaim defaults to org_id for an external issuer', () => {
    expect(settingsFor({ issuer: ISSUER, audience: 'a' })).toEqual({
      kind: 'external-issuer',
      issuer: ISSUER,
      audiences: ['a'],
      orgClaim: 'org_id',
    });
  });

  test.each([
    [{ issuer: ISSUER }, /issuer and audience go together/],
    [{ audience: 'a' }, /issuer and audience go together/],
    [{ issuer: 'http://login.example.com', audience: 'a' }, /https URL/],
    [{ issuer: 'not a url', audience: 'a' }, /https URL/],
    [{ issuer: ISSUER, audience: ' , ' }, /at least one audience/],
    [{ orgClaim: 'org' }, /needs issuer and audience/],
  ])('%j is refused', (context, message) => {
    expect(() => settingsFor(context)).toThrow(message);
  });
});
