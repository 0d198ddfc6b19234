import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import formatsModule from 'ajv-formats';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { matchRoute, ROUTES } from '../../lib/routes.js';

/**
 * docs/openapi.yaml as a contract: which response object it gives for a method, path and status,
 * and whether a response the tests received fits it (status, body schema, headers it requires).
 * Schemas are compiled with ajv's JSON Schema 2020-12 (OpenAPI 3.1's dialect), refs resolved
 * inside the document, on first use.
 */
export const OPENAPI_FILE = fileURLToPath(new URL('../../docs/openapi.yaml', import.meta.url));
const DOCUMENT_ID = 'https://warehouse-connections.local/openapi.yaml';
/** The Lambda Invoke API the local runtime serves beside the HTTP API: not part of the document. */
const INVOKE_API_PATH = /^\/2015-03-31\/functions\//;

/** One response as a transport received it. */
export interface RecordedResponse {
  method: string;
  /** The path as sent (percent-encoded), with any query string. */
  path: string;
  status: number;
  headers: Record<string, unknown>;
  body: string;
}

/** What the document says a response is: an operation's (`GET /path/{id}`) or, off every route, a gateway answer. */
export interface Verdict {
  /** `GET /api/v2/...{connection_id}` or `(no route)`; undefined when the response is not the API's. */
  route: string | undefined;
  problems: string[];
}

type Json = Record<string, unknown>;

export interface OpenApiDocument extends Json {
  paths: Record<string, Record<string, Json>>;
  components: Record<string, Record<string, Json>>;
}

/** The keywords of an OpenAPI document that are not JSON Schema: known, and not validated here. */
const OPENAPI_KEYWORDS = [
  'openapi',
  'info',
  'jsonSchemaDialect',
  'servers',
  'paths',
  'webhooks',
  'components',
  'security',
  'tags',
  'externalDocs',
  'xml',
  'example',
];

export function loadOpenApiDocument(file = OPENAPI_FILE): OpenApiDocument {
  return parse(readFileSync(file, 'utf8')) as OpenApiDocument;
}

/** An ajv instance holding the document, so `#/components/...` refs resolve as they do in OpenAPI. */
export function documentAjv(document: OpenApiDocument): Ajv2020 {
  const ajv = new Ajv2020({ allErrors: true, discriminator: true, strictTypes: false, strictTuples: false });
  formatsModule.default(ajv);
  ajv.addVocabulary(OPENAPI_KEYWORDS);
  ajv.addSchema({ ...document, $id: DOCUMENT_ID });
  return ajv;
}

/** A JSON pointer segment (RFC 6901). */
export function pointerSegment(name: string): string {
  return name.replace(/~/g, '~0').replace(/\//g, '~1');
}

export class OpenApiContract {
  private readonly ajv: Ajv2020;
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(readonly document: OpenApiDocument = loadOpenApiDocument()) {
    this.ajv = documentAjv(document);
  }

  /** The validator of the schema at a pointer into the document (`/components/schemas/Error`). */
  validatorAt(pointer: string): ValidateFunction {
    let validate = this.validators.get(pointer);
    if (!validate) {
      validate = this.ajv.getSchema(`${DOCUMENT_ID}#${pointer}`);
      if (!validate) throw new Error(`docs/openapi.yaml has no schema at ${pointer}`);
      this.validators.set(pointer, validate);
    }
    return validate;
  }

  /** Checks one response against the document. */
  check(response: RecordedResponse): Verdict {
    const [path = ''] = response.path.split('?');
    if (INVOKE_API_PATH.test(path)) return { route: undefined, problems: [] };
    const match = matchRoute(ROUTES, response.method, path);
    if (!match.found) {
      const component = response.status === 404 ? 'RouteNotFound' : response.status === 405 ? 'MethodNotAllowed' : undefined;
      const route = '(no route)';
      if (!component)
        return { route, problems: [`${response.method} ${path} (no route) → ${response.status}: only 404 and 405 are documented`] };
      return {
        route,
        problems: this.checkResponse(`/components/responses/${component}`, response, `${response.method} ${path} (no route)`),
      };
    }
    const route = `${match.address.method} ${match.address.path}`;
    const operationPointer = `/paths/${pointerSegment(match.address.path)}/${match.address.method.toLowerCase()}`;
    const operation = this.document.paths[match.address.path]?.[match.address.method.toLowerCase()];
    if (!operation) return { route, problems: [`${route}: not in docs/openapi.yaml`] };
    const responses = (operation.responses ?? {}) as Json;
    const status = String(response.status);
    if (!(status in responses)) return { route, problems: [`${route} → ${status}: the document gives no ${status} for this route`] };
    return { route, problems: this.checkResponse(`${operationPointer}/responses/${status}`, response, `${route} → ${status}`) };
  }

  private checkResponse(pointer: string, response: RecordedResponse, where: string): string[] {
    const { pointer: resolved, value: documented } = this.resolve(pointer);
    const problems: string[] = [];
    const headers = lowerCaseHeaders(response.headers);

    for (const name of Object.keys((documented.headers ?? {}) as Json)) {
      const { pointer: headerPointer, value: header } = this.resolve(`${resolved}/headers/${pointerSegment(name)}`);
      const value = headers[name.toLowerCase()];
      if (value === undefined) {
        if (header.required === true) problems.push(`${where}: header ${name} is required`);
        continue;
      }
      const validate = this.validatorAt(`${headerPointer}/schema`);
      if (!validate(value)) problems.push(`${where}: header ${name}: ${describeErrors(validate.errors)}`);
    }

    const content = documented.content as Json | undefined;
    // An answer to HEAD is the answer to GET without its body (RFC 9110).
    if (response.method.toUpperCase() === 'HEAD') return problems;
    if (response.body === '') {
      if (content !== undefined) problems.push(`${where}: has no body, the document gives one`);
      return problems;
    }
    if (content === undefined) return [...problems, `${where}: has a body, the document gives none`];
    const mediaType = String(headers['content-type'] ?? '')
      .split(';')[0]!
      .trim()
      .toLowerCase();
    if (!(mediaType in content)) return [...problems, `${where}: Content-Type ${mediaType || '(none)'} is not documented`];
    let body: unknown;
    try {
      body = JSON.parse(response.body);
    } catch {
      return [...problems, `${where}: the body is not JSON`];
    }
    const validate = this.validatorAt(`${resolved}/content/${pointerSegment(mediaType)}/schema`);
    if (!validate(body)) problems.push(`${where}: ${describeErrors(validate.errors)}; body: ${response.body.slice(0, 400)}`);
    return problems;
  }

  /** The object at a pointer, following local `$ref`s (response and header objects). */
  resolve(pointer: string): { pointer: string; value: Json } {
    let current = pointer;
    for (let hops = 0; hops < 10; hops += 1) {
      const value = valueAt(this.document, current);
      const ref = value.$ref;
      if (typeof ref !== 'string') return { pointer: current, value };
      if (!ref.startsWith('#/')) throw new Error(`Only local refs are followed: ${ref}`);
      current = ref.slice(1);
    }
    throw new Error(`Too many refs from ${pointer}`);
  }
}

function valueAt(document: Json, pointer: string): Json {
  let current: unknown = document;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (typeof current !== 'object' || current === null || !(key in current))
      throw new Error(`docs/openapi.yaml has nothing at ${pointer}`);
    current = (current as Json)[key];
  }
  if (typeof current !== 'object' || current === null) throw new Error(`docs/openapi.yaml: ${pointer} is not an object`);
  return current as Json;
}

function lowerCaseHeaders(headers: Record<string, unknown>): Record<string, string | undefined> {
  const lowered: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) lowered[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return lowered;
}

/** Ajv's errors, one line: where in the body, and what the schema wanted. */
export function describeErrors(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? [])
    .slice(0, 8)
    .map((error) => {
      const extra =
        error.keyword === 'additionalProperties'
          ? ` (${String((error.params as { additionalProperty?: string }).additionalProperty)})`
          : error.keyword === 'unevaluatedProperties'
            ? ` (${String((error.params as { unevaluatedProperty?: string }).unevaluatedProperty)})`
            : error.keyword === 'enum' || error.keyword === 'const'
              ? ` ${JSON.stringify(error.params)}`
              : '';
      return `${error.instancePath || '(body)'} ${error.message ?? error.keyword}${extra} [${error.schemaPath}]`;
    })
    .join('; ');
}
