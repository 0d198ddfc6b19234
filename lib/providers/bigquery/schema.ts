import * as v from 'valibot';
import { text, unencryptedSigningKeyPem } from '../../schema/fields.js';

/** GCP project ids, including legacy domain-scoped ones (`example.com:my-project`). */
const PROJECT_ID = /^(?:[a-z0-9][a-z0-9.-]{0,61}[a-z0-9]:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
const DATASET_ID = /^[A-Za-z0-9_]{1,1024}$/;

const projectId = v.pipe(v.string(), v.regex(PROJECT_ID, "must be a Google Cloud project id such as 'my-project-123'"));

/**
 * The service-account key file as Google issues it. The fields the driver needs are checked; the
 * other fields of a real key file (private_key_id, client_id, token_uri, ...) are kept as given.
 */
export const bigqueryCredentials = v.objectWithRest(
  {
    type: v.literal('service_account', "must be 'service_account'"),
    project_id: projectId,
    private_key: unencryptedSigningKeyPem,
    client_email: v.pipe(v.string(), v.maxLength(320, 'must be at most 320 characters'), v.email('must be an email address')),
  },
  text(2_048),
);

/** The test query scans nothing; the cap only guards against a misbehaving probe. */
export const DEFAULT_MAXIMUM_BYTES_BILLED = 10 * 1024 * 1024;

export const bigqueryConnection = v.pipe(
  v.strictObject({
    provider: v.literal('bigquery'),
    project_id: projectId,
    dataset_id: v.pipe(v.string(), v.regex(DATASET_ID, 'must be a BigQuery dataset id (letters, digits and underscores, at most 1024)')),
    credentials: bigqueryCredentials,
    location: v.optional(
      v.pipe(v.string(), v.regex(/^[A-Za-z0-9-]{2,64}$/, "must be a BigQuery location such as 'US', 'EU' or 'europe-west2'")),
    ),
    maximum_bytes_billed: v.optional(
      v.pipe(
        v.number('must be an integer number of bytes'),
        v.integer('must be an integer number of bytes'),
        v.minValue(1, 'must be at least 1'),
        v.maxValue(Number.MAX_SAFE_INTEGER, 'is too large'),
      ),
    ),
  }),
  v.transform((input) => ({
    provider: input.provider,
    project_id: input.project_id,
    dataset_id: input.dataset_id,
    credentials: input.credentials,
    settings: {
      ...(input.location === undefined ? {} : { location: input.location }),
      maximum_bytes_billed: input.maximum_bytes_billed ?? DEFAULT_MAXIMUM_BYTES_BILLED,
    },
  })),
);

export { bigqueryStored } from './stored.js';
