/** The table's key schema, shared by the CDK stack and the local runtime. Both keys are strings. */
export const TABLE_KEYS = { partitionKey: 'pk', sortKey: 'sk' } as const;
