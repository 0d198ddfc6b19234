// Jest global setup under StrykerJS: the servers belong to scripts/mutate.ts, which started them
// once for the whole run and passed their endpoints down in the environment.
export default function serversReady() {
  for (const name of ['AWS_ENDPOINT_URL_DYNAMODB', 'AWS_ENDPOINT_URL_KMS', 'PG_TEST_HOST']) {
    if (!process.env[name])
      throw new Error(`${name} is not set: run mutation tests through \`npm run mutate\`, which starts the test servers`);
  }
}
