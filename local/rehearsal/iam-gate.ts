import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dynamoDbCall, kmsCall, type AuthorizedCall } from './aws-requests.js';
import { authorize, type Decision, type PolicyDocument } from './iam-policy.js';
import { verifySignedRequest, type RehearsalCredentials } from './signed-requests.js';

/**
 * IAM in front of the local DynamoDB and KMS: every call a rehearsed function makes is signed with
 * that function's own access key, evaluated against its role's policies (and, for KMS, the key
 * policy) with the request's real action, resource and context, and only then forwarded. A denied
 * call gets the service's own AccessDeniedException, as the SDK would receive it from AWS.
 */
export interface GatePrincipal extends RehearsalCredentials {
  /** Who this is in reports: the function's name in the template. */
  label: string;
  roleArn: string;
  sessionArn: string;
  policies: PolicyDocument[];
}

export interface GateCall {
  principal: string;
  service: 'dynamodb' | 'kms';
  operation: string;
  action: string;
  resource: string;
  decision: Decision;
}

export interface IamGateOptions {
  account: string;
  region: string;
  principals: GatePrincipal[];
  dynamoDbEndpoint: string;
  kmsEndpoint: string;
  tableArn: (tableName: string) => string;
  /** The key ARN a KMS request is about, from its KeyId or, without one, its ciphertext. */
  keyArnOf: (reference: string | undefined, ciphertext: string | undefined) => string;
  keyPolicyOf: (keyArn: string) => PolicyDocument | undefined;
}

export interface IamGate {
  dynamoDbEndpoint: string;
  kmsEndpoint: string;
  calls: GateCall[];
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 4 * 1024 * 1024;

export async function startIamGate(options: IamGateOptions): Promise<IamGate> {
  const calls: GateCall[] = [];
  const byKey = new Map(options.principals.map((principal) => [principal.accessKeyId, principal]));
  const servers = await Promise.all(
    (['dynamodb', 'kms'] as const).map((service) =>
      listen(
        createServer((request, response) => {
          gate(service, request, response).catch((error: unknown) => {
            if (!response.headersSent)
              reply(response, 500, service, 'InternalFailure', `Rehearsal gate failed: ${(error as Error).message}`);
            else response.destroy();
          });
        }),
      ),
    ),
  );

  async function gate(service: 'dynamodb' | 'kms', request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readBody(request);
    let principal: GatePrincipal;
    try {
      principal = await verifySignedRequest(request, body, byKey, { service, region: options.region });
    } catch (error) {
      return reply(response, 403, service, 'UnrecognizedClientException', (error as Error).message);
    }
    const target = String(request.headers['x-amz-target'] ?? '');
    const input = JSON.parse(body.length === 0 ? '{}' : body.toString('utf8')) as Record<string, unknown>;
    const { operation, calls: authorized } =
      service === 'dynamodb'
        ? dynamoDbCall(target, input, options.tableArn)
        : { operation: target.replace(/^TrentService\./, ''), calls: [kmsCall(target, input, options.keyArnOf, options.account)] };

    for (const call of authorized) {
      const decision = decide(principal, service, call);
      calls.push({ principal: principal.label, service, operation, action: call.action, resource: call.resource, decision });
      if (!decision.allowed) return reply(response, 400, service, 'AccessDeniedException', deniedMessage(principal, call, decision));
    }
    forward(request, body, service === 'dynamodb' ? options.dynamoDbEndpoint : options.kmsEndpoint, response);
  }

  function decide(principal: GatePrincipal, service: 'dynamodb' | 'kms', call: AuthorizedCall): Decision {
    const resourcePolicy = service === 'kms' ? options.keyPolicyOf(call.resource) : undefined;
    if (service === 'kms' && !resourcePolicy) return { allowed: false, reason: 'no_allow', policy: 'resource' };
    const context = {
      'aws:PrincipalArn': principal.roleArn,
      'aws:PrincipalAccount': options.account,
      'aws:SecureTransport': 'true',
      ...call.context,
    };
    return authorize(
      {
        principalArn: principal.roleArn,
        sessionArn: principal.sessionArn,
        account: options.account,
        action: call.action,
        resource: call.resource,
        context,
      },
      principal.policies,
      resourcePolicy,
    );
  }

  const [dynamoDbServer, kmsServer] = servers;
  return {
    dynamoDbEndpoint: endpointOf(dynamoDbServer!),
    kmsEndpoint: endpointOf(kmsServer!),
    calls,
    close: async () => {
      await Promise.all(servers.map((server) => new Promise<void>((done) => server.close(() => done()))));
    },
  };
}

/** AWS's wording, which names the action, so a denial in a rehearsal report says what is missing. */
function deniedMessage(principal: GatePrincipal, call: AuthorizedCall, decision: Decision & { allowed: false }): string {
  const why =
    decision.reason === 'explicit_deny'
      ? `with an explicit deny in ${decision.policy === 'resource' ? 'a resource-based' : 'an identity-based'} policy`
      : `because no ${decision.policy === 'resource' ? 'resource-based' : 'identity-based'} policy allows the ${call.action} action`;
  return `User: ${principal.sessionArn} is not authorized to perform: ${call.action} on resource: ${call.resource} ${why}`;
}

function reply(response: ServerResponse, status: number, service: 'dynamodb' | 'kms', type: string, message: string): void {
  // DynamoDB speaks JSON 1.0 with a namespaced type; KMS JSON 1.1 with a bare one.
  const body = service === 'dynamodb' ? { __type: `com.amazon.coral.service#${type}`, message } : { __type: type, message };
  const payload = JSON.stringify(body);
  response.writeHead(status, {
    'Content-Type': service === 'dynamodb' ? 'application/x-amz-json-1.0' : 'application/x-amz-json-1.1',
    'Content-Length': Buffer.byteLength(payload),
    'x-amzn-ErrorType': type,
    'x-amzn-RequestId': crypto.randomUUID(),
  });
  response.end(payload);
}

function forward(request: IncomingMessage, body: Buffer, endpoint: string, response: ServerResponse): void {
  const upstream = new URL(endpoint);
  const outgoing = httpRequest(
    {
      host: upstream.hostname,
      port: upstream.port,
      method: request.method,
      path: request.url,
      headers: { ...request.headers, host: upstream.host },
    },
    (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response);
    },
  );
  outgoing.on('error', () => response.destroy());
  outgoing.end(body);
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error('request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function listen(server: Server): Promise<Server> {
  return new Promise((done, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => done(server));
  });
}

function endpointOf(server: Server): string {
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
