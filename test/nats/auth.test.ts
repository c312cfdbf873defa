// Authentication against a real nats-server: user/password, token, NKey seed and creds file. The right
// credentials publish; wrong ones fail with a coded error (healthcheck: SINK_UNHEALTHY; send: a
// permanent "authentication failed" the core dead-letters instead of retrying) in which neither
// the configured secret nor the server's appears: not in the message, the hint, the stack or the
// JSON of the error, nor in any log line of a pipeline run whose config took the secret from the
// environment through ${ENV} interpolation.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '@nats-io/nkeys';
import { nkeyAuthenticator } from '@nats-io/transport-node';
import { classifySinkError, makeTestBatch, sampleRecords, testSendContext, testSinkContext } from '../../core/src/testing/index.js';
import type { SinkInstance } from '../../core/src/plugins/api.js';
import { createNatsSink } from '../../plugins/sink-nats/src/index.js';
import { createStream, readStream, startNatsServer, testConnection } from '../helpers/nats.fixture.js';
import type { NatsServer } from '../helpers/nats.fixture.js';
import { captureLogger, runIntoNats, writeReplayFile } from './helpers/pipeline.fixture.js';

const USER = 'k8stream';
const PASSWORD = 'Pa55-right-0f-the-server';
const WRONG_PASSWORD = 'Pa55-wr0ng-in-the-sink';
const TOKEN = 'T0ken-right-0f-the-server';
const WRONG_TOKEN = 'T0ken-wr0ng-in-the-sink';
const nkeyUser = createUser();
const NKEY_SEED = new TextDecoder().decode(nkeyUser.getSeed());
const WRONG_SEED = new TextDecoder().decode(createUser().getSeed());
const SECRETS = [PASSWORD, WRONG_PASSWORD, TOKEN, WRONG_TOKEN, NKEY_SEED, WRONG_SEED];

let byPassword: NatsServer;
let byToken: NatsServer;
let byNkey: NatsServer;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'k8stream-nats-auth-'));
  await writeFile(join(dir, 'right.creds'), credsFile(NKEY_SEED));
  await writeFile(join(dir, 'wrong.creds'), credsFile(WRONG_SEED));
  [byPassword, byToken, byNkey] = await Promise.all([
    startNatsServer({ auth: { user: USER, password: PASSWORD } }),
    startNatsServer({ auth: { token: TOKEN } }),
    startNatsServer({ auth: { nkey: nkeyUser.getPublicKey() } }),
  ]);
});

afterAll(async () => {
  await Promise.all([byPassword?.close(), byToken?.close(), byNkey?.close()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Everything an error carries, as text: message, hint, path, stack, own fields, cause chain. */
function everything(err: unknown): string {
  const parts: string[] = [];
  let e: unknown = err;
  for (let depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    if (e instanceof Error) parts.push(e.message, e.stack ?? '', String(e));
    parts.push(JSON.stringify(e, Object.getOwnPropertyNames(e)));
    e = (e as { cause?: unknown }).cause;
  }
  return parts.join('\n');
}

function expectNoSecret(text: string): void {
  for (const secret of SECRETS) expect(text, `a secret leaked into: ${text.slice(0, 300)}`).not.toContain(secret);
}

const cases = [
  {
    what: 'user/password',
    server: () => byPassword,
    right: { user: USER, password: PASSWORD },
    wrong: { user: USER, password: WRONG_PASSWORD },
    connect: { user: USER, pass: PASSWORD },
  },
  { what: 'token', server: () => byToken, right: { token: TOKEN }, wrong: { token: WRONG_TOKEN }, connect: { token: TOKEN } },
  {
    what: 'NKey seed',
    server: () => byNkey,
    right: { nkeySeed: NKEY_SEED },
    wrong: { nkeySeed: WRONG_SEED },
    connect: { authenticator: nkeyAuthenticator(nkeyUser.getSeed()) },
  },
  // A creds file (JWT + seed, relative to the config directory) signs with its seed; outside
  // operator mode the server checks that signature against its NKey users and ignores the JWT.
  {
    what: 'creds file',
    server: () => byNkey,
    right: { credsFile: 'right.creds' },
    wrong: { credsFile: 'wrong.creds' },
    connect: { authenticator: nkeyAuthenticator(nkeyUser.getSeed()) },
  },
];

/** A creds file as `nsc` writes it: a user JWT block and a seed block. */
function credsFile(seed: string): string {
  const jwt = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ.e30.c2ln';
  return `-----BEGIN NATS USER JWT-----\n${jwt}\n------END NATS USER JWT------\n\n-----BEGIN USER NKEY SEED-----\n${seed}\n------END USER NKEY SEED------\n`;
}

async function sinkWith(server: NatsServer, auth: Record<string, string | undefined>): Promise<SinkInstance> {
  const plugin = createNatsSink();
  return plugin.create(plugin.validate({ servers: server.url, auth, stream: { create: true, name: 'AUTH' }, connectTimeout: '2s' }), testSinkContext({ configDir: dir }));
}

describe('NATS sink authentication', () => {
  for (const c of cases) {
    it(`${c.what}: the right credentials publish`, async () => {
      const batch = await makeTestBatch(sampleRecords(5, 100 * cases.indexOf(c)));
      const sink = await sinkWith(c.server(), c.right);
      try {
        await sink.healthcheck?.();
        await sink.send(batch, testSendContext());
      } finally {
        await sink.close?.();
      }
      const nc = await testConnection(c.server().url, c.connect);
      try {
        const ids = new Set(batch.records.map((r) => r.id));
        expect((await readStream(nc, 'AUTH')).filter((m) => ids.has(m.msgId ?? ''))).toHaveLength(5);
      } finally {
        await nc.close();
      }
    });

    it(`${c.what}: wrong credentials fail the healthcheck (SINK_UNHEALTHY) and the send (permanent), naming no secret`, async () => {
      const sink = await sinkWith(c.server(), c.wrong);
      try {
        const health = await sink.healthcheck!().then(
          () => null,
          (err: unknown) => err,
        );
        expect(health).toMatchObject({ code: 'SINK_UNHEALTHY' });
        expect((health as Error).message).toMatch(/Authorization Violation/i);
        expectNoSecret(everything(health));

        const sent = await sink.send(await makeTestBatch(sampleRecords(3)), testSendContext()).then(
          () => null,
          (err: unknown) => err,
        );
        expect(sent).toMatchObject({ code: 'SINK_PERMANENT', name: 'PermanentError' });
        expect(classifySinkError(sent)).toBe('permanent');
        expect((sent as Error).message).toMatch(/^nats sink "test": authentication failed: .*Authorization Violation/i);
        expect((sent as { hint?: string }).hint).toContain('"auth"');
        expectNoSecret(everything(sent));
      } finally {
        await sink.close?.();
      }
    });
  }

  it('a pipeline run whose ${ENV} password is wrong stops at start, and neither the error nor any log line holds a secret', async () => {
    const { file } = await writeReplayFile(dir, 10);
    const { logger, lines } = captureLogger();
    const failed = await runIntoNats(
      dir,
      file,
      {
        config: {
          servers: byPassword.url,
          subject: 'pipeline.{cluster}.{type}',
          auth: { user: '${NATS_USER}', password: '${NATS_PASSWORD}' },
          stream: { create: true, name: 'PIPELINE' },
        },
      },
      { logger, env: { NATS_USER: USER, NATS_PASSWORD: WRONG_PASSWORD } },
    ).then(
      () => null,
      (err: unknown) => err,
    );
    expect(failed).toMatchObject({ code: 'SINK_UNHEALTHY' });
    expect((failed as Error).message).toMatch(/Authorization Violation/i);
    expectNoSecret(everything(failed));
    expect(lines.length).toBeGreaterThan(0);
    expectNoSecret(lines.join('\n'));

    // The same run with the right password goes through: the interpolated value reached the sink.
    const summary = await runIntoNats(
      dir,
      file,
      {
        config: {
          servers: byPassword.url,
          subject: 'pipeline.{cluster}.{type}',
          auth: { user: '${NATS_USER}', password: '${NATS_PASSWORD}' },
          stream: { create: true, name: 'PIPELINE' },
        },
      },
      { logger, env: { NATS_USER: USER, NATS_PASSWORD: PASSWORD } },
    );
    expect(summary.sinks[0]!.stats.eventsSent).toBe(10);
    expectNoSecret(lines.join('\n'));
  });
});

describe('NATS sink permissions', () => {
  it('a user who may not publish the subject gets a permanent error naming the subject, with a hint', async () => {
    const server = await startNatsServer({
      configFile: `authorization { users = [ { user: admin, password: "${PASSWORD}" }, { user: limited, password: "${TOKEN}", permissions: { publish: { deny: ["k8s.events.*.denied.>"] } } } ] }\n`,
    });
    try {
      const admin = await testConnection(server.url, { user: 'admin', pass: PASSWORD });
      try {
        await createStream(admin, 'PERM', ['k8s.events.>']);
      } finally {
        await admin.close();
      }
      const plugin = createNatsSink();
      const sink = await plugin.create(plugin.validate({ servers: server.url, auth: { user: 'limited', password: TOKEN } }), testSinkContext({ configDir: dir }));
      try {
        await sink.send(await makeTestBatch(sampleRecords(2)), testSendContext());
        const denied = await makeTestBatch(sampleRecords(2).map((r) => ({ ...r, namespace: 'denied', type: 'Normal' })));
        const err = await sink.send(denied, testSendContext()).then(
          () => null,
          (e: unknown) => e,
        );
        expect(classifySinkError(err)).toBe('permanent');
        expect((err as Error).message).toBe(
          'nats sink "test": cannot publish to k8s.events.test-cluster.denied.Normal: RequestError: Permissions Violation for Publish to "k8s.events.test-cluster.denied.Normal"',
        );
        expect((err as { hint?: string }).hint).toContain('publish permission');
        expectNoSecret(everything(err));
      } finally {
        await sink.close?.();
      }
    } finally {
      await server.close();
    }
  });
});
