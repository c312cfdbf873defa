/**
 * Resume positions of the live source against the API-server double: lists are emitted in
 * resourceVersion order with a position after every chunk, watch events and skipped changes
 * move the position, and a saved resume point makes the initial list emit only newer events.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServerDouble } from '../../../../test/apiserver/src/index.js';
import type { SourceConfig } from '../../config/types.js';
import { createLogger } from '../../util/logger.js';
import { createKubernetesSource } from './events-source.js';
import type { KubernetesSourceOptions } from './events-source.js';
import { clientFor, FAST, idOf, sourceConfig, SourceCollector } from './harness.fixture.js';

let server: ApiServerDouble | undefined;
let stop = new AbortController();
afterEach(async () => {
  stop.abort();
  stop = new AbortController();
  await server?.close();
  server = undefined;
});

const KEY = '/api/v1/events';
const rvOf = (id: string): string => id.slice(id.lastIndexOf(':') + 1);

function create(s: ApiServerDouble, name: string, namespace = 'default'): string {
  return idOf(
    s.store.create('events', {
      metadata: { name, namespace },
      involvedObject: { kind: 'Pod', name: `pod-${name}`, namespace, apiVersion: 'v1' },
      reason: 'BackOff',
      message: name,
      type: 'Warning',
      count: 1,
      lastTimestamp: new Date().toISOString(),
    }),
  );
}

function start(s: ApiServerDouble, config: Partial<SourceConfig> = {}, options: KubernetesSourceOptions = {}) {
  const source = createKubernetesSource(sourceConfig(config), { client: clientFor(s), clusterName: 'test', listWatch: FAST, ...options });
  return { source, got: new SourceCollector(source, stop.signal) };
}

describe('resume positions', () => {
  it('resumes with a held list: only what changed while down, in version order, the position moving inside it', async () => {
    const s = (server = await startApiServer());
    const names = ['zeta', 'alpha', 'mid', 'beta', 'omega', 'kappa'];
    const ids = names.map((n) => create(s, n));
    const listRv = String(s.store.resourceVersion);
    const { source, got } = start(s, { pageSize: 2 }, { maxChunk: 2, resume: { [KEY]: rvOf(ids[2]!) } });
    await got.until(() => source.state().watching);
    expect(got.ids()).toEqual(ids.slice(3)); // beta, omega, kappa: by version, not by name (beta, kappa, omega)
    expect(source.counters().pages).toBe(3);
    expect(got.positions).toEqual([
      { key: KEY, rv: rvOf(ids[4]!), items: 2 },
      { key: KEY, rv: listRv, items: 3 },
    ]);
    expect(got.synced).toEqual([3]);
  });

  it('emits a resuming list that outgrows holdList page by page (server order), its position only at the end of the list', async () => {
    const s = (server = await startApiServer());
    const names = ['zeta', 'alpha', 'mid', 'beta', 'omega', 'kappa'];
    const ids = names.map((n) => create(s, n));
    const listRv = String(s.store.resourceVersion);
    const { source, got } = start(s, { pageSize: 2 }, { maxChunk: 2, holdList: 2, resume: { [KEY]: rvOf(ids[2]!) } });
    await got.until(() => source.state().watching);
    expect(got.ids()).toEqual([ids[3], ids[5], ids[4]]); // beta, kappa, omega: by name
    expect(got.positions).toEqual([{ key: KEY, rv: listRv, items: 3 }]);
  });

  it('emits a first list page by page as it comes (server order, not held) and moves the position only at the end of the list', async () => {
    const s = (server = await startApiServer());
    const ids = ['zeta', 'alpha', 'mid', 'beta', 'omega'].map((n) => create(s, n));
    const listRv = String(s.store.resourceVersion);
    const { source, got } = start(s, { pageSize: 2 }, { maxChunk: 2 });
    await got.until(() => source.state().watching);
    const byName = ['alpha', 'beta', 'mid', 'omega', 'zeta'].map((n) => ids[['zeta', 'alpha', 'mid', 'beta', 'omega'].indexOf(n)]);
    expect(got.ids()).toEqual(byName);
    expect(source.counters().pages).toBe(3);
    expect(got.positions).toEqual([{ key: KEY, rv: listRv, items: 5 }]);
    expect(got.synced).toEqual([5]); // the chunk that completes the initial list says so
  });

  it('a list restarted after its continue token expired does not emit the pages it already emitted', async () => {
    const s = (server = await startApiServer());
    const ids = ['a', 'b', 'c', 'd', 'e'].map((n) => create(s, n));
    s.faults.add({ verb: 'list', when: (r) => r.query.has('continue'), times: 1, fault: { type: 'http', status: 410, reason: 'Expired' } });
    const { source, got } = start(s, { pageSize: 2 });
    await got.until(() => source.state().watching);
    expect(got.ids()).toEqual(ids); // a, b from the first attempt; the second attempt adds only c, d, e
    expect(source.counters()).toMatchObject({ lists: 2, emitted: 5, vanished: 0 });
  });

  it('with sortLists emits a list in resourceVersion order, not name order, with a position after every chunk ending at the list version', async () => {
    const s = (server = await startApiServer());
    const ids = ['zeta', 'alpha', 'mid', 'beta', 'omega'].map((n) => create(s, n));
    const listRv = String(s.store.resourceVersion);
    const { source, got } = start(s, { pageSize: 2 }, { maxChunk: 2, sortLists: true });
    await got.until(() => source.state().watching);
    expect(got.ids()).toEqual(ids);
    expect(got.positions).toEqual([
      { key: KEY, rv: rvOf(ids[1]!), items: 2 },
      { key: KEY, rv: rvOf(ids[3]!), items: 4 },
      { key: KEY, rv: listRv, items: 5 },
    ]);
    expect(got.synced).toEqual([5]);
  });

  it('moves the position with watch events, also with changes it does not emit (empty chunks)', async () => {
    const s = (server = await startApiServer());
    const { source, got } = start(s);
    await got.until(() => source.state().watching);
    const a = create(s, 'a');
    await got.until((items) => items.length === 1);
    s.store.patch('events', 'default/a', { metadata: { annotations: { x: 'y' } } }); // metadata only: not emitted
    const touched = String(s.store.resourceVersion);
    await got.until(() => got.positions.some((p) => p.rv === touched), 'position of the metadata-only change');
    s.store.delete('events', 'default/a'); // DELETED: not emitted by default
    const deleted = String(s.store.resourceVersion);
    await got.until(() => got.positions.some((p) => p.rv === deleted), 'position of the deletion');
    expect(got.ids()).toEqual([a]);
    const rvs = got.positions.map((p) => BigInt(p.rv));
    expect([...rvs].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0))).toEqual(rvs); // never moves back
    expect(got.positions.at(-1)).toEqual({ key: KEY, rv: deleted, items: 1 });
    expect(got.synced).toEqual([0]); // the empty initial list; watch events are not "synced"
  });

  it('resumes after a saved resourceVersion: only newer events of the initial list are emitted, then the watch goes on', async () => {
    const s = (server = await startApiServer());
    const ids = ['a', 'b', 'c', 'd', 'e'].map((n) => create(s, n));
    const { source, got } = start(s, {}, { resume: { [KEY]: rvOf(ids[2]!) } });
    await got.until(() => source.state().watching);
    expect(got.ids()).toEqual(ids.slice(3));
    expect(got.items.map((i) => i.type)).toEqual(['SYNC', 'SYNC']);
    expect(source.counters()).toMatchObject({ resumed: 3, tracked: 5 });
    const f = create(s, 'f');
    await got.until((items) => items.length === 3);
    expect(got.ids().at(-1)).toBe(f);
  });

  it('ignores a saved resourceVersion newer than the server (another or a restored cluster) and emits everything', async () => {
    const s = (server = await startApiServer());
    const ids = ['a', 'b'].map((n) => create(s, n));
    const lines: string[] = [];
    const logger = createLogger({ level: 'info', format: 'json', write: (l) => void lines.push(l) });
    const { source, got } = start(s, {}, { resume: { [KEY]: '999999' }, logger });
    await got.until(() => source.state().watching);
    expect(got.ids()).toEqual(ids);
    expect(source.counters().resumed).toBe(0);
    expect(lines.join('\n')).toContain('the saved resume point is newer than the API server');
  });

  it('keeps one position per namespace watch', async () => {
    const s = (server = await startApiServer());
    const a = create(s, 'a', 'shop');
    const b = create(s, 'b', 'pay');
    const { source, got } = start(s, { namespaces: ['shop', 'pay'] }, { resume: { '/api/v1/namespaces/shop/events': rvOf(a) } });
    await got.until(() => source.state().watching);
    expect(got.ids()).toEqual([b]);
    expect(got.positions.map((p) => p.key).sort()).toEqual(['/api/v1/namespaces/pay/events', '/api/v1/namespaces/shop/events']);
    expect(got.synced).toHaveLength(2); // one initial list per namespace watch
  });
});
