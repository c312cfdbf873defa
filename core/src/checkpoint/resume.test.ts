import { describe, expect, it } from 'vitest';
import { recordingLogger } from '../util/logger.fixture.js';
import type { Delivery } from '../config/types.js';
import { K8streamError } from '../errors.js';
import { openResume } from './resume.js';
import { encodeState } from './state-doc.js';
import type { StateStore } from './state-store.js';

const SERVER = 'https://api.example:6443';
const WATCHES = { '/api/v1/events': '500', '/apis/events.k8s.io/v1/events': '600' };

function memoryStore(content: string | null) {
  const saved: string[] = [];
  const store: StateStore & { saved: string[]; signals: (AbortSignal | undefined)[] } = {
    describe: 'memory',
    saved,
    signals: [],
    async load(signal) {
      store.signals.push(signal);
      return content;
    },
    async save(text) {
      saved.push(text);
    },
  };
  return store;
}

async function open(content: string | null, delivery: Delivery = 'at-least-once') {
  const store = memoryStore(content);
  const { logger, lines } = recordingLogger();
  const signal = new AbortController().signal;
  const resume = await openResume({ store, delivery, server: SERVER, minIntervalMs: 0, logger, signal });
  return { resume, store, lines, signal };
}

const state = (over: Record<string, unknown> = {}): string =>
  encodeState({ version: 1, server: SERVER, delivery: 'at-least-once', watches: WATCHES, savedAt: '2026-01-01T00:00:00.000Z', ...over });

describe('openResume', () => {
  it('no saved state: a fresh start from {} (info, no warning)', async () => {
    const { resume, store, lines, signal } = await open(null);
    expect(resume.from).toEqual({});
    expect(resume.ledger.acked()).toEqual({});
    expect(resume.store).toBe(store);
    expect(store.signals).toEqual([signal]);
    expect(lines).toEqual([{ level: 'info', msg: 'no saved resume point: starting from a full list', fields: { state: 'memory' } }]);
  });

  it('good state: from = saved watches, and the ledger starts there', async () => {
    const { resume, lines } = await open(state());
    expect(resume.from).toEqual(WATCHES);
    expect(resume.ledger.acked()).toEqual(WATCHES);
    expect(resume.ledger.committed()).toEqual(WATCHES);
    expect(lines.filter((l) => l.level === 'warn')).toEqual([]);
    expect(lines).toEqual([{ level: 'info', msg: 'resume point loaded', fields: { state: 'memory', savedAt: '2026-01-01T00:00:00.000Z', watches: 2 } }]);
  });

  it('a state saved under the other delivery mode still resumes', async () => {
    const { resume } = await open(state({ delivery: 'at-most-once' }), 'at-least-once');
    expect(resume.from).toEqual(WATCHES);
  });

  it.each([
    ['not JSON', '{oops', 'not JSON'],
    ['unknown version', state({ version: 2 }), 'unknown version 2'],
    ['non-integer rv', state({ watches: { w: 'abc' } }), 'watch w: resourceVersion "abc" is not an integer'],
  ])('unreadable state (%s): warning with the reason, from {}', async (_name, text, problem) => {
    const { resume, lines } = await open(text);
    expect(resume.from).toEqual({});
    expect(resume.ledger.acked()).toEqual({});
    const warns = lines.filter((l) => l.level === 'warn');
    expect(warns).toHaveLength(1);
    expect(warns[0]!.msg).toMatch(/unreadable/);
    expect(warns[0]!.fields).toEqual({ state: 'memory', problem });
  });

  it('state of another API server: warning naming both, from {}', async () => {
    const { resume, lines } = await open(state({ server: 'https://other:6443' }));
    expect(resume.from).toEqual({});
    expect(resume.ledger.acked()).toEqual({});
    const warns = lines.filter((l) => l.level === 'warn');
    expect(warns).toHaveLength(1);
    expect(warns[0]!.msg).toMatch(/another API server/);
    expect(warns[0]!.fields).toEqual({ state: 'memory', saved: 'https://other:6443', server: SERVER });
  });

  it('the keeper saves through the same store, stamped with the server and delivery', async () => {
    const { resume, store } = await open(state(), 'at-most-once');
    const c = resume.ledger.begin({ key: '/api/v1/events', rv: '501' });
    await resume.keeper.beforeSend([{ id: 'u:501', timestamp: null, checkpoint: c.seq }]);
    expect(store.saved).toHaveLength(1);
    expect(JSON.parse(store.saved[0]!)).toMatchObject({ server: SERVER, delivery: 'at-most-once', watches: { ...WATCHES, '/api/v1/events': '501' } });
  });

  it('a store that cannot be read rejects (no silent fresh start)', async () => {
    const failing: StateStore = {
      describe: 'memory',
      load: async () => {
        throw new K8streamError('STATE_UNAVAILABLE', 'cannot read');
      },
      save: async () => undefined,
    };
    const { logger } = recordingLogger();
    await expect(openResume({ store: failing, delivery: 'at-least-once', server: SERVER, minIntervalMs: 0, logger })).rejects.toMatchObject({ code: 'STATE_UNAVAILABLE' });
  });
});
