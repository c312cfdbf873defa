/**
 * Configuration of the NATS sink: one definition validates it, documents it and gives its type
 * (`NatsSinkConfig`), so each field is declared once.
 *
 * Credentials (`auth.*`) are plain config values, so `${ENV}` interpolation (done by the core
 * before validation) is how they reach the sink without being written in the file. Their
 * validation messages never show the value (a wrong type says what it is, not what it holds).
 */
import { parseConfig, schema as s } from '@k8stream/core';
import { BATCH_PLACEHOLDERS, DEFAULT_SUBJECT_TEMPLATE, SUBJECT_PLACEHOLDERS, validateSubjectTemplate } from './subject.js';

/** A NATS server URL: `nats://host:4222`, `tls://host:4222`, or `host:4222`. */
const SERVER_URL = /^(?:(?:nats|tls):\/\/)?[^\s/?#]+$/i;
/** JetStream stream names: no whitespace, `.`, `*`, `>`, path separators. */
const STREAM_NAME = /^[^\s.*>/\\]+$/;

/**
 * A secret string: required non-empty, and reported without its value. Numbers (a YAML password
 * written `123456`) are accepted as their text.
 */
class SecretSchema extends s.Schema<string> {
  get expected(): string {
    return 'a non-empty string';
  }

  protected check(raw: unknown, path: s.Path, ctx: s.ParseContext): string | s.Invalid {
    if (typeof raw === 'number' && Number.isFinite(raw)) return String(raw);
    if (typeof raw === 'string' && raw !== '') return raw;
    const what = raw === '' ? 'an empty string' : typeof raw === 'string' ? 'a string' : Array.isArray(raw) ? 'an array' : raw === null ? 'null' : `a ${typeof raw}`;
    ctx.report(path, `expected ${this.expected}, got ${what} (secret values are never shown)`);
    return s.INVALID;
  }

  protected emit(): s.JsonSchema {
    return { type: 'string', minLength: 1 };
  }
}

const secret = (what: string) => new SecretSchema().describe(`${what}. Secret: write \${ENV_VAR} to take it from the environment; never logged.`);
const path = (what: string) => s.string().nonEmpty().describe(`${what}; relative to the config file directory.`);

/** Stream settings: which stream must bind the subjects, and whether k8stream creates it. */
const streamSchema = s
  .object({
    name: s
      .string()
      .pattern(STREAM_NAME, 'a stream name (no whitespace, ".", "*", ">", "/")')
      .optional()
      .describe(
        'Stream the subjects must be bound to. When set, publishes expect this stream (Nats-Expected-Stream), so a subject captured by another stream fails as a config error. Default: whichever stream binds the subjects; K8S_EVENTS with create: true.',
      ),
    create: s.boolean().default(false).describe('Create the stream at start when it does not exist (an existing stream is left as it is).'),
    subjects: s.array(s.string().nonEmpty()).optional().describe('Subjects of a created stream. Default: the literal leading tokens of `subject`, then ">" (`k8s.events.>`).'),
    maxAge: s.duration().min(0).default('7d').describe('Created stream: how long messages are kept (0 = forever).'),
    duplicateWindow: s
      .duration()
      .min(1000)
      .default('2m')
      .describe('Created stream: the window in which a repeated Nats-Msg-Id is dropped. Keep it longer than an outage k8stream retries through.'),
    replicas: s.integer().min(1).max(5).default(1).describe('Created stream: number of replicas (clustered JetStream).'),
    storage: s
      .enumOf(['file', 'memory'] as const)
      .default('file')
      .describe('Created stream: storage type.'),
  })
  .default({});

/** The NATS sink's `config` block. */
export const natsSinkConfigSchema = s
  .object({
    servers: s
      .union(s.string().pattern(SERVER_URL, 'a NATS URL such as "nats://nats:4222"'), s.array(s.string().pattern(SERVER_URL, 'a NATS URL such as "nats://nats:4222"')).min(1))
      .map((v) => (typeof v === 'string' ? [v] : v))
      .describe('NATS server URL(s): `nats://host:4222`, `tls://host:4222` (TLS). Several URLs are tried in turn.'),
    subject: s
      .string()
      .nonEmpty()
      .default(DEFAULT_SUBJECT_TEMPLATE)
      .refine((template, ctx) => {
        for (const problem of validateSubjectTemplate(template)) ctx.issue(problem);
      })
      .describe(
        `Subject template. Placeholders: ${SUBJECT_PLACEHOLDERS.map((p) => `{${p}}`).join(' ')} (kind and name are the involved object's). Each value becomes one token: whitespace, ".", "*" and ">" are replaced by "_", an empty value is "_".`,
      ),
    publish: s
      .enumOf(['record', 'batch'] as const)
      .default('record')
      .describe('`record`: one message per record (JSON). `batch`: one message per batch, the encoded batch body; the subject may use only {cluster} and {sink}.'),
    maxInFlight: s.integer().min(1).max(65536).default(256).describe('Publishes awaiting their JetStream ack at once (per sink).'),
    ackTimeout: s.duration().positive().default('5s').describe('How long one publish waits for its ack before the batch is retried.'),
    name: s.string().nonEmpty().optional().describe('Connection name shown by the server (`nats server report connections`). Default: k8stream-<sink name>.'),
    reconnectWait: s.duration().min(0).default('2s').describe('Wait between reconnect attempts after the connection drops (the client reconnects for ever).'),
    connectTimeout: s.duration().positive().default('10s').describe('Timeout of one connection attempt.'),
    stream: streamSchema.describe('The JetStream stream.'),
    auth: s
      .object({
        user: s.string().nonEmpty().optional().describe('User name (with password).'),
        password: secret('Password (with user)').optional(),
        token: secret('Authentication token').optional(),
        nkeySeed: secret('NKey user seed (SU...)').optional(),
        credsFile: path('Credentials file (JWT + NKey seed), as `nsc` writes it').optional(),
      })
      .checkPartial((auth, ctx) => {
        if ((auth.user === undefined) !== (auth.password === undefined)) ctx.issue('user and password go together', auth.user === undefined ? 'user' : 'password');
        const methods = [auth.user !== undefined || auth.password !== undefined, auth.token !== undefined, auth.nkeySeed !== undefined, auth.credsFile !== undefined];
        if (methods.filter(Boolean).length > 1) ctx.issue('set one of user/password, token, nkeySeed, credsFile');
      })
      .optional()
      .describe('Credentials (one method). Default: none.'),
    tls: s
      .object({
        caFile: path('PEM file of CAs to trust').optional(),
        certFile: path('Client certificate (PEM)').optional(),
        keyFile: path('Client private key (PEM)').optional(),
        handshakeFirst: s.boolean().default(false).describe('TLS handshake before the NATS INFO (servers configured with handshake_first).'),
      })
      .checkPartial((tls, ctx) => {
        if ((tls.certFile === undefined) !== (tls.keyFile === undefined)) ctx.issue('certFile and keyFile go together', tls.certFile === undefined ? 'certFile' : 'keyFile');
      })
      .optional()
      .describe('TLS: set it (even `{}`) to require TLS.'),
  })
  .checkPartial((config, ctx) => {
    if (config.publish === 'batch' && config.subject !== undefined) {
      for (const problem of validateSubjectTemplate(config.subject, BATCH_PLACEHOLDERS)) {
        if (problem.includes('no single value per batch')) ctx.issue(problem, 'subject');
      }
    }
  });

/** The validated NATS sink config (durations in milliseconds). */
export type NatsSinkConfig = s.Output<typeof natsSinkConfigSchema>;

/** Validates the user's `config` block: every problem at once, with its path. Pure. */
export function validateNatsSinkConfig(raw: unknown): NatsSinkConfig {
  return parseConfig(natsSinkConfigSchema, raw, { plugin: 'nats' });
}
