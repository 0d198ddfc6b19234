import type { AttributeValue } from '@aws-sdk/client-dynamodb';

/**
 * Builds the placeholders of one DynamoDB expression: every attribute name and value goes through
 * one, so reserved words (`name`, `status`) and map keys (connection ids, name digests) are safe.
 */
export class ExpressionParts {
  private readonly names = new Map<string, string>();
  private readonly values: Record<string, AttributeValue> = {};

  /** A dotted path (`live.<id>`), each part named by its own placeholder. */
  path(path: string): string {
    return path
      .split('.')
      .map((part) => {
        let placeholder = this.names.get(part);
        if (placeholder === undefined) this.names.set(part, (placeholder = `#n${this.names.size}`));
        return placeholder;
      })
      .join('.');
  }

  value(value: AttributeValue): string {
    const placeholder = `:v${Object.keys(this.values).length}`;
    this.values[placeholder] = value;
    return placeholder;
  }

  /** The request fields; values only when there are any (DynamoDB refuses an empty map). */
  request(): { ExpressionAttributeNames: Record<string, string>; ExpressionAttributeValues?: Record<string, AttributeValue> } {
    const names = Object.fromEntries([...this.names].map(([name, placeholder]) => [placeholder, name]));
    return Object.keys(this.values).length === 0
      ? { ExpressionAttributeNames: names }
      : { ExpressionAttributeNames: names, ExpressionAttributeValues: { ...this.values } };
  }
}

/** A ProjectionExpression of these attributes. */
export function projection(attributes: readonly string[]) {
  const parts = new ExpressionParts();
  return { ProjectionExpression: attributes.map((name) => parts.path(name)).join(', '), ...parts.request() };
}
