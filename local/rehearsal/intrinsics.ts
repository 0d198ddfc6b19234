/**
 * CloudFormation's intrinsic functions, evaluated the way CloudFormation does at deploy time, over
 * the physical values the rehearsal gives each resource. Only what a CDK template of this service
 * uses is supported; anything else fails the rehearsal with the template path, so a template that
 * the rehearsal cannot read is never run on a guess.
 */
export type TemplateValue = unknown;

export interface PhysicalValues {
  /** `Ref` of a resource or pseudo parameter. */
  ref(logicalId: string): string;
  /** `Fn::GetAtt` of a resource. */
  attribute(logicalId: string, attribute: string): string;
  /** A named condition of the template's `Conditions`. */
  condition?(name: string): boolean;
}

export class UnsupportedTemplateError extends Error {
  override name = 'UnsupportedTemplateError';
}

/** Removed from lists and objects, as `AWS::NoValue` is. */
const NO_VALUE = Symbol('AWS::NoValue');

export function resolve(value: TemplateValue, values: PhysicalValues, path = '$'): unknown {
  const resolved = evaluate(value, values, path);
  if (resolved === NO_VALUE) throw new UnsupportedTemplateError(`${path}: AWS::NoValue where a value is required`);
  return resolved;
}

/** Resolves to a string, or fails naming the path. */
export function resolveString(value: TemplateValue, values: PhysicalValues, path = '$'): string {
  const resolved = resolve(value, values, path);
  if (typeof resolved === 'number' || typeof resolved === 'boolean') return String(resolved);
  if (typeof resolved !== 'string') throw new UnsupportedTemplateError(`${path}: expected a string, got ${JSON.stringify(resolved)}`);
  return resolved;
}

function evaluate(value: TemplateValue, values: PhysicalValues, path: string): unknown {
  if (Array.isArray(value)) {
    return value.map((entry, index) => evaluate(entry, values, `${path}[${index}]`)).filter((entry) => entry !== NO_VALUE);
  }
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value as Record<string, unknown>);
  const [name, argument] = entries[0] ?? [];
  if (entries.length === 1 && name !== undefined && (name === 'Ref' || name === 'Condition' || name.startsWith('Fn::'))) {
    return intrinsic(name, argument, values, `${path}.${name}`);
  }
  const result: Record<string, unknown> = {};
  for (const [key, entry] of entries) {
    const resolved = evaluate(entry, values, `${path}.${key}`);
    if (resolved !== NO_VALUE) result[key] = resolved;
  }
  return result;
}

function intrinsic(name: string, argument: unknown, values: PhysicalValues, path: string): unknown {
  switch (name) {
    case 'Ref':
      if (argument === 'AWS::NoValue') return NO_VALUE;
      return values.ref(text(argument, path));
    case 'Fn::GetAtt': {
      const [logicalId, attribute] = Array.isArray(argument) ? argument : text(argument, path).split(/\.(.*)/s);
      return values.attribute(text(logicalId, path), text(evaluate(attribute, values, path), path));
    }
    case 'Fn::Join': {
      const [separator, parts] = list(argument, 2, path);
      const joined = evaluate(parts, values, path);
      if (!Array.isArray(joined)) throw new UnsupportedTemplateError(`${path}: Fn::Join needs a list`);
      return joined.map((part, index) => text(part, `${path}[${index}]`)).join(text(separator, path));
    }
    case 'Fn::Sub':
      return substitute(argument, values, path);
    case 'Fn::Select': {
      const [index, options] = list(argument, 2, path);
      const resolved = evaluate(options, values, path);
      const position = Number(evaluate(index, values, path));
      if (!Array.isArray(resolved) || !Number.isInteger(position) || position < 0 || position >= resolved.length) {
        throw new UnsupportedTemplateError(`${path}: Fn::Select index out of range`);
      }
      return resolved[position];
    }
    case 'Fn::Split': {
      const [separator, source] = list(argument, 2, path);
      return text(evaluate(source, values, path), path).split(text(separator, path));
    }
    case 'Fn::If': {
      const [conditionName, whenTrue, whenFalse] = list(argument, 3, path);
      return evaluate(conditionOf(text(conditionName, path), values, path) ? whenTrue : whenFalse, values, path);
    }
    case 'Condition':
      return conditionOf(text(argument, path), values, path);
    case 'Fn::Equals': {
      const [left, right] = list(argument, 2, path);
      return JSON.stringify(evaluate(left, values, path)) === JSON.stringify(evaluate(right, values, path));
    }
    case 'Fn::Not':
      return !truth(list(argument, 1, path)[0], values, path);
    case 'Fn::And':
      return (argument as unknown[]).every((entry) => truth(entry, values, path));
    case 'Fn::Or':
      return (argument as unknown[]).some((entry) => truth(entry, values, path));
    default:
      throw new UnsupportedTemplateError(`${path}: ${name} is not supported by the rehearsal`);
  }
}

function substitute(argument: unknown, values: PhysicalValues, path: string): string {
  const [template, variables] = Array.isArray(argument) ? (argument as [unknown, Record<string, unknown>?]) : [argument, {}];
  const local = Object.fromEntries(Object.entries(variables ?? {}).map(([key, entry]) => [key, text(evaluate(entry, values, path), path)]));
  return text(template, path).replace(/\$\{(!?)([^}]+)\}/g, (whole, literal: string, reference: string) => {
    if (literal === '!') return `\${${reference}}`;
    if (reference in local) return local[reference]!;
    const [logicalId, attribute] = reference.split(/\.(.*)/s);
    return attribute === undefined ? values.ref(logicalId!) : values.attribute(logicalId!, attribute);
  });
}

function conditionOf(name: string, values: PhysicalValues, path: string): boolean {
  if (!values.condition) throw new UnsupportedTemplateError(`${path}: the template's conditions are not supported`);
  return values.condition(name);
}

function truth(value: unknown, values: PhysicalValues, path: string): boolean {
  const resolved = evaluate(value, values, path);
  if (typeof resolved !== 'boolean') throw new UnsupportedTemplateError(`${path}: a condition must be true or false`);
  return resolved;
}

function list(argument: unknown, length: number, path: string): unknown[] {
  if (!Array.isArray(argument) || argument.length !== length) throw new UnsupportedTemplateError(`${path}: expected ${length} arguments`);
  return argument;
}

function text(value: unknown, path: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  throw new UnsupportedTemplateError(`${path}: expected a string, got ${JSON.stringify(value)}`);
}
