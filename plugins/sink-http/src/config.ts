/**
 * Configuration of the HTTP sink: one definition validates it, documents it and gives its type
 * (`HttpSinkConfig`), so each field is declared once.
 */
import { parseConfig, schema as s } from '@k8stream/core';
import { validateIndexTemplate } from './index-template.js';

/** Default Elasticsearch/OpenSearch index: one index per day (UTC, from each event's timestamp). */
export const DEFAULT_INDEX_TEMPLATE = 'k8stream-events-{yyyy}.{MM}.{dd}';

/** Names of environment variables (`LOKI_TOKEN`): secrets are given by name, never by value. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const HTTP_URL = /^https?:\/\/[^\s/?#]+[^\s]*$/i;
/** Headers the sink sets itself from the body it sends. */
const RESERVED_HEADERS = ['content-length', 'content-encoding', 'transfer-encoding', 'host'];

const envName = (what: string) => s.string().pattern(ENV_NAME, 'an environment variable name').describe(`Name of the environment variable holding the ${what}.`);

/** The HTTP sink's `config` block. */
export const httpSinkConfigSchema = s
  .object({
    url: s.string().pattern(HTTP_URL, 'an http:// or https:// URL').describe('Endpoint each batch is sent to.'),
    method: s.enumOf(['POST', 'PUT']).default('POST').describe('HTTP method.'),
    headers: s.record(s.string()).default({}).describe('Extra request headers. Use ${ENV} interpolation for values that are not secrets; secrets go in bearerTokenEnv/basicAuth.'),
    bearerTokenEnv: envName('bearer token').optional(),
    basicAuth: s
      .object({ usernameEnv: envName('basic auth user name'), passwordEnv: envName('basic auth password') })
      .optional()
      .describe('Basic authentication, read from environment variables at start.'),
    body: s
      .enumOf(['batch', 'loki', 'elasticsearch', 'otlp'])
      .default('batch')
      .describe(
        '`batch`: the encoded batch as is (Content-Type/Content-Encoding from the batch encoding). `loki`: a Loki push request. `elasticsearch`: an Elasticsearch/OpenSearch `_bulk` request. `otlp`: an OTLP/HTTP logs export request (`url` is the OTLP endpoint; `/v1/logs` is appended unless the path already ends with it).',
      ),
    compression: s
      .enumOf(['none', 'gzip'])
      .optional()
      .describe('Compression of the `loki`, `elasticsearch` and `otlp` bodies (`batch` bodies keep the batch encoding). Default: `gzip` for `otlp`, `none` otherwise.'),
    otlp: s
      .object({
        encoding: s.enumOf(['protobuf', 'json']).default('protobuf').describe('`protobuf` (application/x-protobuf) or `json` (OTLP/JSON, application/json).'),
      })
      .default({})
      .describe('Settings of the `otlp` body.'),
    index: s
      .string()
      .nonEmpty()
      .default(DEFAULT_INDEX_TEMPLATE)
      .refine((template, ctx) => {
        for (const problem of validateIndexTemplate(template)) ctx.issue(problem);
      })
      .describe('Index of each document (`elasticsearch` body). Placeholders: {cluster} {namespace} {yyyy} {MM} {dd} (UTC, from the event timestamp).'),
    tls: s
      .object({
        caFile: s.string().nonEmpty().optional().describe('PEM file of extra CAs to trust; relative to the config file directory.'),
        insecureSkipVerify: s.boolean().default(false).describe('Do not verify the server certificate (tests only).'),
      })
      .optional()
      .describe('TLS settings for https URLs.'),
  })
  .checkPartial((value, ctx) => {
    if (value.bearerTokenEnv !== undefined && value.basicAuth !== undefined) {
      ctx.issue('set either bearerTokenEnv or basicAuth, not both', 'basicAuth');
    }
    for (const name of Object.keys(value.headers ?? {})) {
      const lower = name.toLowerCase();
      if (RESERVED_HEADERS.includes(lower)) ctx.issue(`header "${name}" is set by the sink`, 'headers', name);
      if (lower === 'authorization' && (value.bearerTokenEnv !== undefined || value.basicAuth !== undefined)) {
        ctx.issue('Authorization is set by bearerTokenEnv/basicAuth; remove this header', 'headers', name);
      }
    }
  });

/** The validated HTTP sink config. */
export type HttpSinkConfig = s.Output<typeof httpSinkConfigSchema>;

/** How the request body is built from a batch. */
export type BodyMode = HttpSinkConfig['body'];

/** Validates the user's `config` block: every problem at once, with its path. Pure. */
export function validateHttpSinkConfig(raw: unknown): HttpSinkConfig {
  return parseConfig(httpSinkConfigSchema, raw, { plugin: 'http' });
}
