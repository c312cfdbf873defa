// The least-privilege ClusterRole in examples/deploy/rbac.yaml is enough, and not more than
// enough: a full run with every enrichment makes only requests the role allows.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, createClusterSimulation } from '@k8stream/apiserver-double';
import type { ApiServerDouble } from '@k8stream/apiserver-double';
import { run } from '../core/src/runtime.js';
import { validateConfig } from '../core/src/config/index.js';
import { silentLogger } from '../core/src/util/logger.js';
import { REPO } from './helpers/cli.fixture.js';

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

let server: ApiServerDouble;
let dir: string;
beforeAll(async () => {
  server = await startApiServer();
  dir = await mkdtemp(join(tmpdir(), 'k8stream-rbac-'));
});
afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

describe('examples/deploy/rbac.yaml', () => {
  it('allows every request a run with all enrichments makes, and grants only read verbs', async () => {
    const docs = (await readFile(join(REPO, 'examples/deploy/rbac.yaml'), 'utf8')).split(/^---$/m).map((d) => load(d) as { kind: string; rules?: Rule[] });
    const rules = docs.find((d) => d.kind === 'ClusterRole')!.rules!;
    for (const r of rules) for (const v of r.verbs) expect(['get', 'list', 'watch']).toContain(v);

    const sim = createClusterSimulation(server.store, { seed: 11 });
    sim.emit(200);
    const kubeconfig = await server.writeKubeconfig(dir);
    const config = validateConfig({
      source: { kubeconfig },
      enrich: { objects: true, owners: true, nodes: true, services: true, serviceChanges: true },
      sinks: [{ use: 'file', config: { dir: join(dir, 'out') } }],
      deadLetter: { use: 'file', config: { dir: join(dir, 'dl') } },
    });
    const expected = server.store.count('events');
    const ctrl = new AbortController();
    const summary = await run({ config, filepath: null, dir: REPO }, { logger: silentLogger, signal: ctrl.signal, onProgress: (c) => c.received >= expected && ctrl.abort() });
    expect(summary.sinks[0]!.stats.eventsSent).toBeGreaterThanOrEqual(expected);

    const made = server.stats.requests.filter((r) => r.resource !== '');
    expect(made.length).toBeGreaterThan(3);
    const allowed = (verb: string, resource: string) => {
      const dot = resource.indexOf('.');
      const [plural, group] = dot < 0 ? [resource, ''] : [resource.slice(0, dot), resource.slice(dot + 1)];
      return rules.some((r) => r.apiGroups.includes(group) && r.resources.includes(plural) && r.verbs.includes(verb));
    };
    const denied = made.filter((r) => !allowed(r.verb, r.resource)).map((r) => `${r.verb} ${r.resource}`);
    expect(denied).toEqual([]);
    // Every enrichment really asked: owners, nodes and the services watch.
    const kinds = new Set(made.map((r) => r.resource.split('.')[0]));
    for (const k of ['events', 'pods', 'nodes', 'services', 'replicasets', 'deployments']) expect(kinds).toContain(k);
  });
});
