import { describe, expect, it } from 'vitest';
import { createServicesIndex, selectorMatches, toServiceEntry } from './services.js';
import type { ServiceChange } from './services.js';
import type { FeedItem } from './types.js';

function svc(namespace: string, name: string, selector: Record<string, string> | undefined, extra: { uid?: string; rv?: string; port?: number } = {}) {
  return {
    metadata: { namespace, name, uid: extra.uid ?? `${namespace}-${name}-uid`, resourceVersion: extra.rv ?? '1' },
    spec: { ...(selector ? { selector } : {}), ports: [{ name: 'http', port: extra.port ?? 80, targetPort: 8080, protocol: 'TCP' }] },
  };
}

/** A feed of the given items. */
async function* feedOf(items: FeedItem[]): AsyncIterable<FeedItem> {
  for (const item of items) yield item;
}

describe('services index', () => {
  it('matches services whose selector is a subset of the pod labels; no selector matches nothing', () => {
    const index = createServicesIndex();
    index.apply({
      kind: 'sync',
      objects: [
        svc('shop', 'web', { app: 'web' }),
        svc('shop', 'web-canary', { app: 'web', track: 'canary' }),
        svc('shop', 'all-web', { app: 'web' }),
        svc('shop', 'api', { app: 'api' }),
        svc('shop', 'external', undefined),
        svc('shop', 'empty', {}),
        svc('other', 'web', { app: 'web' }),
      ],
    });
    expect(index.size).toBe(7);
    expect(index.servicesFor('shop', { app: 'web', 'pod-template-hash': 'abc' })).toEqual([
      { name: 'all-web', namespace: 'shop' },
      { name: 'web', namespace: 'shop' },
    ]);
    expect(index.servicesFor('shop', { app: 'web', track: 'canary' }).map((s) => s.name)).toEqual(['all-web', 'web', 'web-canary']);
    expect(index.servicesFor('shop', {})).toEqual([]);
    expect(index.servicesFor('nowhere', { app: 'web' })).toEqual([]);
  });

  it('a sync replaces everything; events upsert and delete', () => {
    const index = createServicesIndex();
    index.apply({ kind: 'sync', objects: [svc('shop', 'web', { app: 'web' }), svc('shop', 'old', { app: 'web' })] });
    index.apply({ kind: 'sync', objects: [svc('shop', 'web', { app: 'web' })] });
    expect(index.servicesFor('shop', { app: 'web' }).map((s) => s.name)).toEqual(['web']);
    index.apply({ kind: 'event', type: 'ADDED', object: svc('shop', 'web2', { app: 'web' }) });
    index.apply({ kind: 'event', type: 'MODIFIED', object: svc('shop', 'web', { app: 'other' }) });
    expect(index.servicesFor('shop', { app: 'web' }).map((s) => s.name)).toEqual(['web2']);
    index.apply({ kind: 'event', type: 'DELETED', object: svc('shop', 'web2', { app: 'web' }) });
    expect(index.servicesFor('shop', { app: 'web' })).toEqual([]);
    expect(index.size).toBe(1);
    index.apply({ kind: 'gap' });
    expect(index.size).toBe(1);
  });

  it('reports changes after the first sync: added, updated (selector or ports), deleted, and diffs a re-sync', () => {
    const changes: ServiceChange[] = [];
    const index = createServicesIndex({ onChange: (c) => changes.push(c) });
    index.apply({ kind: 'sync', objects: [svc('shop', 'web', { app: 'web' }), svc('shop', 'api', { app: 'api' })] });
    expect(changes).toEqual([]);
    index.apply({ kind: 'event', type: 'ADDED', object: svc('shop', 'cache', { app: 'cache' }, { rv: '5' }) });
    index.apply({ kind: 'event', type: 'MODIFIED', object: svc('shop', 'web', { app: 'web' }, { rv: '6' }) }); // nothing that matters changed
    index.apply({ kind: 'event', type: 'MODIFIED', object: svc('shop', 'web', { app: 'web' }, { rv: '7', port: 443 }) });
    index.apply({ kind: 'event', type: 'MODIFIED', object: svc('shop', 'api', { app: 'api2' }, { rv: '8' }) });
    index.apply({ kind: 'event', type: 'DELETED', object: svc('shop', 'cache', { app: 'cache' }, { rv: '9' }) });
    // A re-sync after a gap: api gone, web re-created (new uid), db new.
    index.apply({ kind: 'sync', objects: [svc('shop', 'web', { app: 'web' }, { uid: 'new', rv: '20', port: 443 }), svc('shop', 'db', { app: 'db' }, { rv: '21' })] });
    expect(changes.map((c) => `${c.type} ${c.service.name}@${c.service.resourceVersion}`)).toEqual([
      'added cache@5',
      'updated web@7',
      'updated api@8',
      'deleted cache@9',
      'deleted api@8',
      'deleted web@7',
      'added web@20',
      'added db@21',
    ]);
    expect(changes[1]!.previous?.ports[0]?.port).toBe(80);
  });

  it('run applies a feed and whenSynced resolves at the first sync', async () => {
    const index = createServicesIndex();
    expect(index.synced).toBe(false);
    const synced = index.whenSynced();
    await index.run(
      feedOf([
        { kind: 'sync', objects: [svc('shop', 'web', { app: 'web' })], resourceVersion: '3' },
        { kind: 'event', type: 'ADDED', object: svc('shop', 'api', { app: 'api' }) },
      ]),
    );
    await synced;
    expect(index.synced).toBe(true);
    expect(index.size).toBe(2);
  });

  it('whenSynced rejects when its signal aborts first', async () => {
    const index = createServicesIndex();
    const controller = new AbortController();
    const waiting = index.whenSynced(controller.signal);
    controller.abort(new Error('stopped'));
    await expect(waiting).rejects.toThrow('stopped');
    await expect(index.whenSynced(controller.signal)).rejects.toThrow('stopped');
  });

  it('serviceChanges ends at once when changes are off', async () => {
    const index = createServicesIndex();
    const chunks = [];
    for await (const chunk of index.serviceChanges()) chunks.push(chunk);
    expect(chunks).toEqual([]);
  });
});

describe('toServiceEntry / selectorMatches', () => {
  it('keeps name, uid, resourceVersion, selector and ports; ignores nameless objects', () => {
    expect(toServiceEntry(svc('shop', 'web', { app: 'web' }))).toEqual({
      namespace: 'shop',
      name: 'web',
      uid: 'shop-web-uid',
      resourceVersion: '1',
      selector: { app: 'web' },
      ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: '8080' }],
    });
    expect(toServiceEntry({ metadata: {} })).toBeUndefined();
    expect(toServiceEntry(null)).toBeUndefined();
  });

  it('selectorMatches is a subset match', () => {
    expect(selectorMatches({ a: '1' }, { a: '1', b: '2' })).toBe(true);
    expect(selectorMatches({ a: '1', c: '3' }, { a: '1', b: '2' })).toBe(false);
    expect(selectorMatches({ a: '1' }, { a: '2' })).toBe(false);
  });
});
