import { DESTINATION_REFUSED } from './pinned-agent.js';
import { ProbeFailure, seconds, type FailureCode } from './verdict.js';

export interface Endpoint {
  /** Who answers, for messages: "Snowflake account 'x'", "the BigQuery API". */
  service: string;
  /** Hostname the driver resolves. */
  host: string;
  /** Host and port (or origin) the driver connects to. */
  where: string;
  /** What to check when the host does not resolve. */
  unresolvedHint?: string;
}

const TLS_CODES = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_UNTRUSTED',
  'CERT_REVOKED',
  'HOSTNAME_MISMATCH',
  'EPROTO',
]);

export function isTlsCode(code: string): boolean {
  return TLS_CODES.has(code) || code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_');
}

/**
 * Maps the errno, TLS and HTTP-client codes that Node reports for a failed HTTPS exchange (the same
 * for axios in snowflake-sdk and node-fetch in @google-cloud/bigquery). Returns undefined for a
 * code that is not about the transport, so the provider can classify it further.
 */
export function classifyTransport(code: string, endpoint: Endpoint, waitedMs: number, cause?: unknown): ProbeFailure | undefined {
  const failure = transportFailure(code, endpoint, waitedMs);
  return failure && new ProbeFailure(failure[0], failure[1], { cause });
}

function transportFailure(code: string, endpoint: Endpoint, waitedMs: number): [FailureCode, string] | undefined {
  const { service, host, where } = endpoint;
  switch (code) {
    case 'ECONNREFUSED':
      return [
        'connection_refused',
        `Connection refused by ${where} (${service}). Check that nothing between the service and ${host} rejects HTTPS connections.`,
      ];
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_FAIL':
      return [
        'host_not_found',
        `The host '${host}' (${service}) could not be resolved.${endpoint.unresolvedHint ? ` ${endpoint.unresolvedHint}` : ''}`,
      ];
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EADDRNOTAVAIL':
      return ['network_error', `${where} (${service}) is not reachable from the service's network.`];
    case 'ETIMEDOUT':
    case 'ECONNABORTED':
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'UND_ERR_HEADERS_TIMEOUT':
      return ['timeout', `No answer from ${where} (${service}) within ${seconds(waitedMs)}.`];
    case DESTINATION_REFUSED:
      return ['host_not_allowed', `Refused a redirect from ${where} (${service}) to another host: the service only connects to ${where}.`];
    case 'ECONNRESET':
    case 'EPIPE':
    case 'ERR_STREAM_PREMATURE_CLOSE':
    case 'UND_ERR_SOCKET':
      return ['network_error', `The connection to ${where} (${service}) was closed unexpectedly.`];
  }
  if (isTlsCode(code)) {
    return [
      'tls_error',
      `The TLS handshake with ${where} (${service}) failed: its certificate could not be verified or it does not speak TLS.`,
    ];
  }
  return undefined;
}
