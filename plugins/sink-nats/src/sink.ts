/**
 * The NATS sink: publishes each record (or each batch) to JetStream and resolves only once every
 * publish is acknowledged by the stream.
 *
 * Invariants:
 * - every message carries `Nats-Msg-Id` = the record id (`publish: batch`: the batch id), so a
 *   batch the core redelivers after a failure, a timeout or a restart is stored once as long as
 *   it comes back within the stream's duplicate window;
 * - at most `maxInFlight` publishes await their ack at once; the first failure stops new ones and
 *   fails the batch (the core retries the whole batch; acked messages are then duplicates the
 *   stream drops);
 * - `sendCtx.signal` aborting rejects the send at once;
 * - the connection is opened on first use, reconnects on its own, and is reopened by the next
 *   send when the client gave up on it; credentials never appear in a message or a log line.
 */
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { createClosedGuard, defineSink, K8streamError, PermanentError, sinkError } from '@k8stream/core';
import type { Batch, SendContext, SinkContext, SinkDefinition, SinkInstance } from '@k8stream/core';
import { connect, credsAuthenticator, headers as natsHeaders, nanos, nkeyAuthenticator } from '@nats-io/transport-node';
import type { ConnectionOptions, MsgHdrs, NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, StorageType } from '@nats-io/jetstream';
import type { JetStreamClient, JetStreamManager, StreamInfo } from '@nats-io/jetstream';
import { validateNatsSinkConfig } from './config.js';
import type { NatsSinkConfig } from './config.js';
import { inspectNatsError, toHealthError, toSendError } from './errors.js';
import { parseSubjectTemplate, renderSubject, sanitizeToken, streamSubjectsFor, subjectCovers, wildcardOf } from './subject.js';
import type { SubjectPart, SubjectPlaceholder } from './subject.js';

/** Stream name used when `stream.create` is set without a name. */
export const DEFAULT_STREAM_NAME = 'K8S_EVENTS';

/** Headers of a `publish: batch` message. */
export const BATCH_HEADERS = { records: 'K8stream-Records', batchId: 'K8stream-Batch-Id', cluster: 'K8stream-Cluster' } as const;

/** One message to publish. */
interface Outgoing {
  subject: string;
  payload: Uint8Array;
  msgID: string;
  headers: MsgHdrs;
}

interface Connected {
  nc: NatsConnection;
  js: JetStreamClient;
}

const encoder = new TextEncoder();

/** The server URLs without credentials, for messages: `nats://nats:4222`. */
export function safeServers(servers: readonly string[]): string {
  return servers.map((s) => s.replace(/\/\/[^@/]*@/, '//')).join(',');
}

/** Every secret the config holds (auth values, passwords in server URLs): scrubbed from messages. */
export function secretsOf(config: NatsSinkConfig): string[] {
  const out = [config.auth?.password, config.auth?.token, config.auth?.nkeySeed];
  for (const server of config.servers) {
    const m = /\/\/([^@/]*)@/.exec(server);
    if (m) out.push(...m[1]!.split(':'), m[1]);
  }
  return out.filter((v): v is string => v !== undefined && v.length >= 3);
}

/** Fields of a record a subject template reads (a dead-letter record: those of the record it carries). */
function recordFields(record: unknown): Record<string, unknown> {
  if (record === null || typeof record !== 'object') return {};
  const r = record as Record<string, unknown>;
  if (r.schema === 'k8stream.deadletter/v1' && r.record !== null && typeof r.record === 'object') return r.record as Record<string, unknown>;
  return r;
}

function fieldValue(fields: Record<string, unknown>, field: SubjectPlaceholder, batch: Batch<unknown>): unknown {
  switch (field) {
    case 'cluster':
      return fields.cluster ?? batch.cluster;
    case 'sink':
      return batch.sink;
    case 'kind':
    case 'name': {
      const io = fields.involvedObject;
      return io !== null && typeof io === 'object' ? (io as Record<string, unknown>)[field] : undefined;
    }
    default:
      return fields[field];
  }
}

/** The `Nats-Msg-Id` of a record: its id (dead letters: `deadletter/<id>`, so they never collide with the event), else batch id + index. */
export function messageIdOf(record: unknown, batch: Batch<unknown>, index: number): string {
  const r = record !== null && typeof record === 'object' ? (record as Record<string, unknown>) : {};
  const id = typeof r.id === 'string' && r.id !== '' ? r.id : `${batch.id}#${index}`;
  return r.schema === 'k8stream.deadletter/v1' ? `deadletter/${id}` : id;
}

/** The messages for a batch: one per record, or one carrying the encoded body. */
export function messagesFor(config: NatsSinkConfig, parts: readonly SubjectPart[], batch: Batch<unknown>): Outgoing[] {
  if (config.publish === 'batch') {
    const h = natsHeaders();
    h.set('Content-Type', batch.contentType);
    if (batch.contentEncoding !== undefined) h.set('Content-Encoding', batch.contentEncoding);
    h.set(BATCH_HEADERS.records, String(batch.count));
    h.set(BATCH_HEADERS.batchId, batch.id);
    h.set(BATCH_HEADERS.cluster, batch.cluster);
    const subject = renderSubject(parts, (field) => (field === 'sink' ? batch.sink : batch.cluster));
    return [{ subject, payload: batch.body, msgID: batch.id, headers: h }];
  }
  return batch.records.map((record, i) => {
    const fields = recordFields(record);
    const h = natsHeaders();
    h.set('Content-Type', 'application/json');
    return {
      subject: renderSubject(parts, (field) => fieldValue(fields, field, batch)),
      payload: encoder.encode(JSON.stringify(record)),
      msgID: messageIdOf(record, batch, i),
      headers: h,
    };
  });
}

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('send aborted');
}

/** The connection options for a config: servers, reconnect policy, credentials, TLS. */
export async function connectionOptions(config: NatsSinkConfig, ctx: SinkContext): Promise<ConnectionOptions> {
  const resolve = (file: string) => path.resolve(ctx.configDir, file);
  const options: ConnectionOptions = {
    servers: [...config.servers],
    name: config.name ?? `k8stream-${ctx.name}`,
    maxReconnectAttempts: -1,
    reconnectTimeWait: config.reconnectWait,
    timeout: config.connectTimeout,
  };
  const auth = config.auth;
  if (auth?.user !== undefined) {
    options.user = auth.user;
    options.pass = auth.password;
  }
  if (auth?.token !== undefined) options.token = auth.token;
  if (auth?.nkeySeed !== undefined) options.authenticator = nkeyAuthenticator(encoder.encode(auth.nkeySeed.trim()));
  if (auth?.credsFile !== undefined) {
    const file = resolve(auth.credsFile);
    let creds: Uint8Array;
    try {
      creds = await readFile(file);
    } catch (err) {
      throw new K8streamError('PLUGIN_CONFIG_INVALID', `nats sink "${ctx.name}": cannot read auth.credsFile ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, {
        plugin: ctx.name,
        path: 'auth.credsFile',
      });
    }
    options.authenticator = credsAuthenticator(creds);
  }
  if (config.tls !== undefined) {
    const { caFile, certFile, keyFile, handshakeFirst } = config.tls;
    options.tls = {
      ...(caFile !== undefined ? { caFile: resolve(caFile) } : {}),
      ...(certFile !== undefined ? { certFile: resolve(certFile) } : {}),
      ...(keyFile !== undefined ? { keyFile: resolve(keyFile) } : {}),
      ...(handshakeFirst ? { handshakeFirst } : {}),
    };
  }
  return options;
}

function streamNameOf(config: NatsSinkConfig): string | undefined {
  return config.stream.name ?? (config.stream.create ? DEFAULT_STREAM_NAME : undefined);
}

function createInstance(config: NatsSinkConfig, ctx: SinkContext): SinkInstance {
  const guard = createClosedGuard('nats', ctx.name);
  const secrets = secretsOf(config);
  const servers = safeServers(config.servers);
  const parts = parseSubjectTemplate(config.subject);
  const streamName = streamNameOf(config);
  /** The subjects every publish of this instance matches: cluster and sink are known, the rest `*`. */
  const pattern = wildcardOf(config.subject.replaceAll('{cluster}', sanitizeToken(ctx.cluster)).replaceAll('{sink}', sanitizeToken(ctx.name)));
  let current: Promise<Connected> | null = null;
  let streamReady: Promise<void> | null = null;

  const open = async (): Promise<Connected> => {
    const nc = await connect(await connectionOptions(config, ctx));
    void (async () => {
      for await (const s of nc.status()) {
        if (s.type === 'disconnect' || s.type === 'reconnect') ctx.logger.warn(`nats ${s.type}`, { sink: ctx.name, servers });
      }
    })().catch(() => undefined);
    void nc.closed().then(() => {
      if (current !== null) void current.then((c) => c.nc === nc && (current = null)).catch(() => undefined);
    });
    return { nc, js: jetstream(nc, { timeout: config.ackTimeout }) };
  };

  /** The open connection, (re)opening it when there is none or the client gave up on it. */
  const connection = (): Promise<Connected> => {
    if (current === null) {
      const attempt = open();
      current = attempt;
      attempt.catch(() => {
        if (current === attempt) current = null;
      });
    }
    return current;
  };

  const manager = async (): Promise<JetStreamManager> => jetstreamManager((await connection()).nc, { timeout: config.ackTimeout });

  /** With `stream.create`: creates the stream unless it exists (once per instance, again after a failure). */
  const ensureStream = (): Promise<void> => {
    if (!config.stream.create || streamName === undefined) return Promise.resolve();
    streamReady ??= (async () => {
      const jsm = await manager();
      try {
        await jsm.streams.info(streamName);
        return;
      } catch (err) {
        if (inspectNatsError(err).reason !== 'no-stream') throw err;
      }
      const st = config.stream;
      await jsm.streams.add({
        name: streamName,
        subjects: st.subjects ?? [streamSubjectsFor(config.subject)],
        max_age: nanos(st.maxAge),
        duplicate_window: nanos(st.duplicateWindow),
        num_replicas: st.replicas,
        storage: st.storage === 'memory' ? StorageType.Memory : StorageType.File,
      });
      ctx.logger.info('created JetStream stream', { sink: ctx.name, stream: streamName });
    })().catch((err: unknown) => {
      streamReady = null;
      throw err;
    });
    return streamReady;
  };

  /**
   * After "no responders" on a publish: asks JetStream whether any stream binds the subject. None
   * is a config error (permanent), unless the sink creates the stream (then it is created again on
   * the next attempt: transient); any other answer (or none) leaves the publish failure transient.
   */
  const explainNoResponders = async (subject: string): Promise<K8streamError | undefined> => {
    try {
      const jsm = await manager();
      await jsm.streams.find(subject);
      return undefined;
    } catch (err) {
      if (inspectNatsError(err).reason !== 'no-stream') return undefined;
      if (config.stream.create && streamName !== undefined) {
        // Ours to create: it was deleted after start. The next attempt creates it again.
        streamReady = null;
        return sinkError('transient', `nats sink "${ctx.name}": no JetStream stream binds subject ${subject}; stream ${streamName} is created again on the next attempt`, {
          plugin: ctx.name,
          path: subject,
        });
      }
      return new PermanentError(`nats sink "${ctx.name}": no JetStream stream binds subject ${subject}`, {
        plugin: ctx.name,
        path: subject,
        hint: `create a stream whose subjects cover ${pattern}${streamName !== undefined ? ` (${streamName})` : ''}, or set "stream.create: true"`,
      });
    }
  };

  const publishAll = async (js: JetStreamClient, messages: readonly Outgoing[], signal: AbortSignal): Promise<void> => {
    let next = 0;
    let failure: { err: unknown; subject: string } | null = null;
    const worker = async (): Promise<void> => {
      while (failure === null && !signal.aborted && next < messages.length) {
        const m = messages[next++]!;
        try {
          await js.publish(m.subject, m.payload, {
            msgID: m.msgID,
            headers: m.headers,
            timeout: config.ackTimeout,
            ...(streamName !== undefined ? { expect: { streamName } } : {}),
          });
        } catch (err) {
          failure ??= { err, subject: m.subject };
        }
      }
    };
    const workers = Array.from({ length: Math.min(config.maxInFlight, messages.length) }, worker);
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(abortError(signal));
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
    aborted.catch(() => undefined);
    try {
      await Promise.race([Promise.all(workers), aborted]);
    } finally {
      if (onAbort) signal.removeEventListener('abort', onAbort);
    }
    if (signal.aborted) throw abortError(signal);
    if (failure !== null) {
      const { err, subject } = failure;
      const shape = inspectNatsError(err);
      if (shape.name === 'JetStreamNotEnabled' || shape.name === 'NoRespondersError') {
        const explained = await explainNoResponders(subject);
        if (explained) throw explained;
      }
      throw toSendError(err, { sink: ctx.name, where: subject, secrets });
    }
  };

  const dropConnection = async (): Promise<void> => {
    const c = current;
    current = null;
    streamReady = null;
    if (c === null) return;
    try {
      await (await c).nc.close();
    } catch {
      // never connected: nothing to release
    }
  };

  /** The healthcheck: connect, create the stream (stream.create), find the stream and check it binds every subject. */
  const check = async (): Promise<void> => {
    try {
      await connection();
    } catch (err) {
      throw toHealthError(err, { sink: ctx.name, where: servers, step: `connecting to ${servers}`, secrets });
    }
    try {
      await ensureStream();
    } catch (err) {
      throw toHealthError(err, { sink: ctx.name, where: servers, step: `creating stream ${streamName ?? ''}`, secrets });
    }
    let info: StreamInfo;
    try {
      const jsm = await manager();
      const name = streamName ?? (await jsm.streams.find(pattern));
      info = await jsm.streams.info(name);
    } catch (err) {
      if (inspectNatsError(err).reason === 'no-stream') {
        throw new K8streamError(
          'SINK_UNHEALTHY',
          streamName !== undefined ? `nats sink "${ctx.name}": stream ${streamName} does not exist` : `nats sink "${ctx.name}": no JetStream stream binds ${pattern}`,
          { plugin: ctx.name, path: pattern, hint: `create a stream whose subjects cover ${pattern}, or set "stream.create: true"` },
        );
      }
      throw toHealthError(err, { sink: ctx.name, where: servers, step: 'looking up the JetStream stream', secrets });
    }
    const subjects = info.config.subjects ?? [];
    if (!subjects.some((filter) => subjectCovers(filter, pattern))) {
      throw new K8streamError('SINK_UNHEALTHY', `nats sink "${ctx.name}": stream ${describeStream(info)} does not bind every subject of ${pattern}`, {
        plugin: ctx.name,
        path: pattern,
        hint: `add a subject covering ${pattern} to the stream (${streamSubjectsFor(config.subject)}), or change "subject"`,
      });
    }
  };

  const describeStream = (info: StreamInfo): string => `${info.config.name} (subjects ${info.config.subjects?.join(', ') ?? 'none'})`;

  return {
    describe: () => `${servers} ${config.subject}${streamName !== undefined ? ` (stream ${streamName})` : ''}`,
    async healthcheck(): Promise<void> {
      guard.assertOpen();
      try {
        await check();
      } catch (err) {
        // The runtime does not close an instance whose healthcheck failed: leave no connection
        // (and its reconnect loop) behind. A later send opens a new one.
        await dropConnection();
        throw err;
      }
    },
    async send(batch: Batch<unknown>, sendCtx: SendContext): Promise<void> {
      guard.assertOpen();
      if (sendCtx.signal.aborted) throw abortError(sendCtx.signal);
      let js: JetStreamClient;
      try {
        ({ js } = await connection());
        await ensureStream();
      } catch (err) {
        throw toSendError(err, { sink: ctx.name, where: servers, secrets });
      }
      const messages = messagesFor(config, parts, batch);
      await publishAll(js, messages, sendCtx.signal);
      sendCtx.logger.debug('batch published', { sink: ctx.name, batch: batch.id, messages: messages.length });
    },
    async close(): Promise<void> {
      if (guard.close()) await dropConnection();
    },
  };
}

/** The NATS sink definition. */
export function createNatsSink(): SinkDefinition<NatsSinkConfig> {
  return defineSink<NatsSinkConfig>({
    name: 'nats',
    apiVersion: '^1.2.0',
    defaults: { batch: { maxEvents: 1000, maxBytes: 512 * 1024, maxAgeMs: 1000 }, encoding: { format: 'ndjson', compression: 'none' } },
    validate: validateNatsSinkConfig,
    create: (config, ctx) => createInstance(config, ctx),
  });
}
