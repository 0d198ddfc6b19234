/**
 * Modules left out of the Lambda bundles: code a driver imports but the probe's path never runs.
 * The Snowflake probe logs in (password or key pair) and reads one row of four text columns;
 * snowflake-sdk imports, for every connection, the clients of its file transfer (S3, Azure Blob,
 * GCS), of workload identity federation (the AWS, Azure and Google credential chains) and of its
 * browser OAuth flow, plus a time zone database. Left in, they made up five sixths of its chunk
 * and most of the time a cold Snowflake test spent loading code (docs/benchmarks.md measures each).
 *
 * Each cut replaces one module, only where the named package imports it, by a stub
 * (bundle-cut-stub.ts) that loads like the module but throws a BundleCutError naming it when
 * anything of it is called; so a driver version that starts to use one fails the Snowflake bundle
 * tests (test/infra/snowflake-bundle.test.ts) instead of misbehaving. And the build fails when a
 * cut no longer matches anything in a bundle that holds its importer: a renamed module would
 * otherwise silently come back. bundle-cuts-plugin.ts applies them, and the edits below.
 */
export interface BundleCut {
  /** The import as its importers write it: a package name, or a relative path's last segment. */
  specifier: string;
  /** Where it resolves, under node_modules/: a file, or a package folder ending in `/`. */
  module: string;
  /**
   * Cut only when imported from here: a path prefix under the project's node_modules/ (a copy of
   * the package nested under another one is not cut).
   */
  importedFrom: string;
  /** What the module does: named by the error its stub throws. */
  feature: string;
  /** Why the probe never reaches it. */
  safeBecause: string;
}

export const BUNDLE_CUTS: readonly BundleCut[] = [
  // Cloud storage and cloud credentials: the largest parts, each with its own client stack.
  {
    specifier: 'file_transfer_agent',
    module: 'snowflake-sdk/dist/lib/file_transfer_agent/file_transfer_agent.js',
    importedFrom: 'snowflake-sdk/',
    feature: 'PUT and GET file transfer: the S3, Azure Blob and GCS clients',
    safeBecause: 'a statement constructs it only for a PUT or GET command; the probe runs one SELECT',
  },
  {
    specifier: 'auth_workload_identity',
    module: 'snowflake-sdk/dist/lib/authentication/auth_workload_identity/index.js',
    importedFrom: 'snowflake-sdk/',
    feature: 'the WORKLOAD_IDENTITY authenticator: the AWS, Azure and Google credential chains',
    safeBecause: 'constructed only for authenticator WORKLOAD_IDENTITY; the probe sets SNOWFLAKE_JWT (key pair) or none (password)',
  },
  {
    specifier: 'auth_oauth_authorization_code',
    module: 'snowflake-sdk/dist/lib/authentication/auth_oauth_authorization_code.js',
    importedFrom: 'snowflake-sdk/',
    feature: 'the OAUTH_AUTHORIZATION_CODE authenticator (opens a browser)',
    safeBecause: 'constructed only for authenticator OAUTH_AUTHORIZATION_CODE; a failed login only tests `instanceof` against it',
  },
  {
    specifier: '@aws-sdk/client-sts',
    module: '@aws-sdk/client-sts/',
    importedFrom: 'snowflake-sdk/dist/lib/telemetry/platform_detection.js',
    feature: 'platform detection by STS GetCallerIdentity',
    safeBecause: 'platform detection is off: the driver loader sets SNOWFLAKE_DISABLE_PLATFORM_DETECTION before loading snowflake-sdk',
  },
  // Dates and time zones.
  {
    specifier: 'moment-timezone',
    module: 'moment-timezone/',
    importedFrom: 'snowflake-sdk/',
    feature: 'time zone conversion of TIME and TIMESTAMP columns (moment-timezone and its zone data)',
    safeBecause: 'the probe reads four text columns (CURRENT_ROLE() and the like), no date or time',
  },
  {
    specifier: 'moment',
    module: 'moment/',
    importedFrom: 'snowflake-sdk/',
    feature: "date formatting of TIME and TIMESTAMP columns and of the built-in logger's lines",
    safeBecause: 'the probe reads no date or time column, and the driver logs through the custom logger only',
  },
  ...['bignumber.js', 'big-integer'].map((specifier) => ({
    specifier,
    module: `${specifier}/`,
    importedFrom: 'snowflake-sdk/dist/lib/connection/result/column.js',
    feature: 'arithmetic on NUMBER and TIMESTAMP column values',
    safeBecause: 'the probe reads four text columns, no number or timestamp',
  })),
  // Helpers of features the probe leaves off.
  {
    specifier: 'winston',
    module: 'winston/',
    importedFrom: 'snowflake-sdk/dist/lib/logger/node.js',
    feature: 'the built-in logger (console and snowflake.log)',
    safeBecause:
      'the driver loader sets a custom logger before any connection exists, and with one set the driver never logs through winston',
  },
  {
    specifier: 'fast-xml-parser',
    module: 'fast-xml-parser/',
    importedFrom: 'snowflake-sdk/dist/lib/global_config.js',
    feature: 'parsing VARIANT column values that are XML',
    safeBecause: 'the probe reads no VARIANT column',
  },
  {
    specifier: 'toml',
    module: 'toml/',
    importedFrom: 'snowflake-sdk/dist/lib/configuration/connection_configuration.js',
    feature: 'reading connections.toml',
    safeBecause: 'read only by createConnection() without options; the probe always passes them',
  },
  {
    specifier: 'generic-pool',
    module: 'generic-pool/',
    importedFrom: 'snowflake-sdk/dist/lib/core.js',
    feature: 'connection pools (createPool)',
    safeBecause: 'the probe makes one connection with createConnection',
  },
  {
    specifier: 'form-data',
    module: 'form-data/',
    importedFrom: 'axios/',
    feature: 'multipart/form-data request bodies (with the mime-db type table)',
    safeBecause: 'its users here, snowflake-sdk and trino-client, send JSON and text bodies, never multipart',
  },
  {
    specifier: 'https-proxy-agent',
    module: 'https-proxy-agent/',
    importedFrom: 'snowflake-sdk/dist/lib/agent/https_proxy_agent.js',
    feature: 'HTTPS through a proxy',
    safeBecause: "every connection gets the probe's own pinned agent (agentClass), which the driver uses in place of any proxy agent",
  },
  // BigQuery's HTTP client (node-fetch, loaded at its first request) polyfills web streams for
  // Node.js versions without them.
  {
    specifier: 'web-streams-polyfill/dist/ponyfill.es2018.js',
    module: 'web-streams-polyfill/',
    importedFrom: 'fetch-blob/',
    feature: 'web streams for Node.js versions without them',
    safeBecause: 'fetch-blob requires it only when globalThis.ReadableStream is missing; Node.js has it since 18 (the functions run 24)',
  },
  // The OCSP library's own cache, agent and responder: the driver checks certificates with its
  // request and utils only, and keeps its own response cache (agent/ocsp_response_cache.js).
  ...['cache', 'agent', 'server'].map((part) => ({
    specifier: part,
    module: `@techteamer/ocsp/lib/ocsp/${part}.js`,
    importedFrom: '@techteamer/ocsp/lib/ocsp.js',
    feature: `the OCSP library's ${part === 'server' ? 'responder (an OCSP server)' : part}`,
    safeBecause: "snowflake-sdk uses only the library's request and utils, and keeps its own response cache",
  })),
];

/**
 * A call removed from a module's source: work done at load time that only warms a cache the
 * probe never reads. The build fails unless the text occurs exactly once in the module.
 */
export interface BundleEdit {
  /** The file, under node_modules/. */
  module: string;
  /** The exact text removed (replaced by a line break). */
  remove: string;
  feature: string;
  safeBecause: string;
}

export const BUNDLE_EDITS: readonly BundleEdit[] = [
  {
    module: 'axios/dist/node/axios.cjs',
    remove: '\ngetFetch();\n',
    feature: "warming axios's fetch adapter when axios loads, which loads Node.js's built-in undici and builds test Requests",
    safeBecause: 'getFetch() fills a cache that its first use fills as well; the driver sends through the http adapter, never fetch',
  },
];
