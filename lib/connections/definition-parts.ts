import { createHash } from 'node:crypto';
import { PROVIDERS } from '../providers/registry.js';
import type { ConnectionDefinition, Provider } from '../schema/connection.js';

/**
 * A definition in its two stored parts: the plain part (every field but the secrets, stored in
 * plain attributes that GET shows) and the secrets (sealed). Which fields are secret and which name
 * the destination is declared once per provider, in lib/providers/registry.ts; a field path is
 * dotted (`credentials.password`), and a destination entry `credentials.*` stands for every
 * non-secret field under `credentials`.
 */
export type PlainDefinition = Omit<ConnectionDefinition, 'credentials'> & { credentials: Record<string, unknown> };
/** Secret values by field path. */
export type SecretFields = Record<string, string>;

export function secretPaths(provider: Provider): readonly string[] {
  return PROVIDERS[provider].secretFields;
}

export function isSecretPath(provider: Provider, path: string): boolean {
  return secretPaths(provider).includes(path);
}

export function splitDefinition(definition: ConnectionDefinition): { plain: PlainDefinition; secrets: SecretFields } {
  const plain = structuredClone(definition) as unknown as PlainDefinition;
  const secrets: SecretFields = {};
  for (const path of secretPaths(definition.provider)) {
    const value = readPath(plain, path);
    if (typeof value === 'string') secrets[path] = value;
    removePath(plain, path);
  }
  return { plain, secrets };
}

export function joinDefinition(plain: PlainDefinition, secrets: SecretFields): ConnectionDefinition {
  const definition = structuredClone(plain) as Record<string, unknown>;
  for (const [path, value] of Object.entries(secrets)) writePath(definition, path, value);
  return definition as unknown as ConnectionDefinition;
}

/**
 * The destination fields of a plain definition and their values, in a fixed order: the provider
 * and every field whose change means the secret would be sent somewhere else (host, account, key
 * file, TLS settings). Absent fields count, as null.
 */
export function destinationOf(plain: PlainDefinition): [string, unknown][] {
  const provider = plain.provider;
  const paths = new Set<string>();
  for (const entry of PROVIDERS[provider].destinationFields as readonly string[]) {
    if (entry.endsWith('.*')) {
      const parent = entry.slice(0, -2);
      const value = readPath(plain, parent);
      if (typeof value === 'object' && value !== null)
        for (const name of Object.keys(value)) if (!isSecretPath(provider, `${parent}.${name}`)) paths.add(`${parent}.${name}`);
    } else paths.add(entry);
  }
  return [['provider', provider], ...[...paths].sort().map((path): [string, unknown] => [path, readPath(plain, path) ?? null])];
}

/** SHA-256 of the destination, bound into the sealed secret (GCM additional data). */
export function destinationDigest(plain: PlainDefinition): string {
  return createHash('sha256')
    .update(JSON.stringify(destinationOf(plain)), 'utf8')
    .digest('base64url');
}

/** Destination fields whose value differs between two plain definitions of one provider. */
export function changedDestinationFields(before: PlainDefinition, after: PlainDefinition): string[] {
  const was = new Map(destinationOf(before).map(([path, value]) => [path, JSON.stringify(value)]));
  const now = new Map(destinationOf(after).map(([path, value]) => [path, JSON.stringify(value)]));
  return [...new Set([...was.keys(), ...now.keys()])].filter((path) => was.get(path) !== now.get(path)).sort();
}

export function readPath(value: unknown, path: string): unknown {
  let current = value;
  if (path === '') return current;
  for (const name of path.split('.')) {
    if (typeof current !== 'object' || current === null || !Object.hasOwn(current, name)) return undefined;
    current = (current as Record<string, unknown>)[name];
  }
  return current;
}

function writePath(target: Record<string, unknown>, path: string, value: unknown): void {
  const names = path.split('.');
  const last = names.pop()!;
  let current = target;
  for (const name of names) {
    const next = current[name];
    if (typeof next !== 'object' || next === null) current[name] = {};
    current = current[name] as Record<string, unknown>;
  }
  current[last] = value;
}

function removePath(target: unknown, path: string): void {
  const names = path.split('.');
  const last = names.pop()!;
  const parent = readPath(target, names.join('.'));
  if (typeof parent === 'object' && parent !== null) delete (parent as Record<string, unknown>)[last];
}
