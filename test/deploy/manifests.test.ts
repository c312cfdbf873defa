// The plain manifests in examples/deploy/: kinds and API versions, how the Deployment is wired
// to the config it mounts (probes on the server's port and paths, writable paths, signals),
// the embedded .k8streamrc through the real `k8stream validate`, the leader-election Role
// against a real leader-election run, and kubectl applying the kinds the API-server double
// serves. What the double does not do: schema validation of the objects (kubectl runs with
// --validate=false because the double serves no OpenAPI), and RBAC kinds (not served).
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { load } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClusterSimulation, startApiServer, type ApiServerDouble } from '@k8stream/apiserver-double';
import { parseDuration } from '../../core/src/schema/duration.js';
import { validateConfig } from '../../core/src/config/index.js';
import { run } from '../../core/src/runtime.js';
import { silentLogger } from '../../core/src/util/logger.js';
import { runCli } from '../helpers/cli.fixture.js';
import { requireTool } from '../helpers/tool.fixture.js';
import { execForm, last, parseDockerfile } from './dockerfile.js';
import { one, plainManifests, readDocs, REPO, type Deployment, type K8sObject, type PolicyRule } from './support.fixture.js';

const execFileP = promisify(execFile);
const objects = plainManifests();
const namespace = one(objects, 'Namespace').metadata.name;
const deployment = one<Deployment>(objects, 'Deployment');
const pod = deployment.spec.template.spec;
const container = pod.containers[0]!;
const configMap = one<K8sObject & { data: Record<string, string> }>(objects, 'ConfigMap');
const configKey = Object.keys(configMap.data)[0]!;
const rc = load(configMap.data[configKey]!) as Record<string, any>;
const runtimeStage = parseDockerfile(await readFile(join(REPO, 'Dockerfile'), 'utf8')).at(-1)!;

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'k8stream-manifests-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('examples/deploy', () => {
  it('has exactly the expected kinds and API versions, all in the k8stream namespace', () => {
    const kinds = objects.map((o) => `${o.apiVersion} ${o.kind} ${o.metadata.name}`).sort();
    expect(kinds).toEqual(
      [
        'v1 Namespace k8stream',
        'v1 ServiceAccount k8stream',
        'rbac.authorization.k8s.io/v1 ClusterRole k8stream',
        'rbac.authorization.k8s.io/v1 ClusterRoleBinding k8stream',
        'rbac.authorization.k8s.io/v1 Role k8stream-leader-election',
        'rbac.authorization.k8s.io/v1 RoleBinding k8stream-leader-election',
        'v1 ConfigMap k8stream-config',
        'apps/v1 Deployment k8stream',
        'v1 Service k8stream',
      ].sort(),
    );
    const clusterScoped = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding']);
    for (const o of objects) expect(o.metadata.namespace, `${o.kind} ${o.metadata.name}`).toBe(clusterScoped.has(o.kind) ? undefined : namespace);
  });

  it('runs the image command with the mounted config', () => {
    expect(container.args).toEqual(execForm(runtimeStage, 'CMD'));
    const configPath = container.args![container.args!.indexOf('--config') + 1]!;
    const volume = pod.volumes.find((v) => v.configMap?.name === configMap.metadata.name)!;
    const mount = container.volumeMounts!.find((m) => m.name === volume.name)!;
    expect(mount.readOnly).toBe(true);
    expect(configPath).toBe(`${mount.mountPath}/${configKey}`);
  });

  it('probes /healthz and /readyz on the port the config serves, which the Service exposes', () => {
    expect(rc.server.enabled).toBe(true);
    expect(rc.server.host).toBe('0.0.0.0'); // the kubelet probes the pod IP
    const port = container.ports!.find((p) => p.name === 'metrics')!;
    expect(port.containerPort).toBe(rc.server.port);
    expect(container.startupProbe!.httpGet).toEqual({ path: '/healthz', port: 'metrics' });
    expect(container.livenessProbe!.httpGet).toEqual({ path: '/healthz', port: 'metrics' });
    expect(container.readinessProbe!.httpGet).toEqual({ path: '/readyz', port: 'metrics' });
    expect(Number(last(runtimeStage, 'EXPOSE'))).toBe(rc.server.port);
    const service = one<K8sObject & { spec: { selector: Record<string, string>; ports: { port: number; targetPort: string }[] } }>(objects, 'Service');
    expect(service.spec.ports).toEqual([expect.objectContaining({ name: 'metrics', port: rc.server.port, targetPort: 'metrics' })]);
    expect(deployment.spec.template.metadata.labels).toMatchObject(service.spec.selector);
    expect(deployment.spec.template.metadata.labels).toMatchObject(deployment.spec.selector.matchLabels);
  });

  it('is non-root with a read-only root filesystem, and every path k8stream writes is on a writable volume', () => {
    const user = last(runtimeStage, 'USER')!.split(':');
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: Number(user[0]), runAsGroup: Number(user[1]) });
    expect(container.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });

    const writable = container.volumeMounts!.filter((m) => {
      const v = pod.volumes.find((x) => x.name === m.name)!;
      return !m.readOnly && (v.emptyDir !== undefined || v.persistentVolumeClaim !== undefined);
    });
    expect(writable.map((m) => m.mountPath)).toContain('/tmp'); // HOME in the image
    const onWritable = (p: unknown) => typeof p === 'string' && writable.some((m) => p.startsWith(`${m.mountPath}/`));
    // Every default that would resolve next to the read-only config is given explicitly.
    const paths: [string, unknown][] = [['state.dir', rc.state?.dir]];
    if ((rc.deadLetter?.use ?? 'file') === 'file') paths.push(['deadLetter.config.dir', rc.deadLetter?.config?.dir]);
    for (const [i, s] of (rc.sinks as { use: string; config?: { dir?: string }; buffer?: { type?: string; dir?: string } }[]).entries()) {
      if (s.use === 'file') paths.push([`sinks[${i}].config.dir`, s.config?.dir]);
      if (s.buffer?.type === 'disk') paths.push([`sinks[${i}].buffer.dir`, s.buffer.dir]);
    }
    for (const [key, p] of paths) expect(onWritable(p), `${key} = ${String(p)}`).toBe(true);
  });

  it('gives k8stream longer than shutdown.graceMs to flush, and the downward-API identity', () => {
    expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThan(parseDuration(rc.shutdown.graceMs));
    const env = Object.fromEntries(container.env!.map((e) => [e.name, e.valueFrom?.fieldRef?.fieldPath]));
    expect(env).toMatchObject({ POD_NAME: 'metadata.name', POD_NAMESPACE: 'metadata.namespace' });
    // One replica without leader election: never two streaming pods during a rollout.
    expect(deployment.spec.replicas).toBe(1);
    expect(rc.leaderElection.enabled).toBe(false);
    expect(deployment.spec.strategy.type).toBe('Recreate');
  });

  it('binds both roles to the service account the Deployment uses', () => {
    const sa = one(objects, 'ServiceAccount');
    expect(pod.serviceAccountName).toBe(sa.metadata.name);
    for (const kind of ['ClusterRoleBinding', 'RoleBinding']) {
      const b = one<K8sObject & { subjects: unknown[]; roleRef: { kind: string; name: string } }>(objects, kind);
      expect(b.subjects).toEqual([{ kind: 'ServiceAccount', name: sa.metadata.name, namespace }]);
      expect(one(objects, kind.replace('Binding', ''), b.roleRef.name)).toBeDefined();
    }
  });

  it("the ConfigMap's .k8streamrc passes `k8stream validate`", async () => {
    const file = join(dir, '.k8streamrc');
    await writeFile(file, configMap.data[configKey]!);
    const { code, stdout, stderr } = await runCli(['validate', '--config', file]);
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/config is valid/);
    expect(stdout).toMatch(/archive: @k8stream\/sink-file@/);
  });
});

describe('the leader-election Role', () => {
  let server: ApiServerDouble;
  beforeAll(async () => {
    server = await startApiServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('allows every Lease request a leader-election run makes, on the Lease it names, in its namespace', async () => {
    const role = one<K8sObject & { rules: PolicyRule[] }>(objects, 'Role');
    const sim = createClusterSimulation(server.store, { seed: 7 });
    sim.emit(40);
    const expected = server.store.count('events');
    const leaseName: string = rc.leaderElection?.name ?? 'k8stream';
    const config = validateConfig({
      source: { kubeconfig: await server.writeKubeconfig(dir) },
      enrich: { objects: false, owners: false, nodes: false, services: false },
      leaderElection: { enabled: true, namespace: role.metadata.namespace, name: leaseName, identity: 'test-0' },
      server: { enabled: false },
      sinks: [{ use: 'file', config: { dir: join(dir, 'le-out') } }],
      deadLetter: { use: 'file', config: { dir: join(dir, 'le-dl') } },
    });
    const ctrl = new AbortController();
    await run({ config, filepath: null, dir: REPO }, { logger: silentLogger, signal: ctrl.signal, onProgress: (c) => c.received >= expected && ctrl.abort() });

    const leaseRequests = server.stats.requests.filter((r) => r.resource.split('.')[0] === 'leases');
    const verbs = new Set(leaseRequests.map((r) => r.verb));
    expect(verbs.has('create') || verbs.has('update')).toBe(true);
    const allows = (verb: string, name: string) =>
      role.rules.some(
        (r) =>
          r.apiGroups.includes('coordination.k8s.io') &&
          r.resources.includes('leases') &&
          r.verbs.includes(verb) &&
          (verb === 'create' || r.resourceNames === undefined || r.resourceNames.includes(name)),
      );
    for (const verb of verbs) expect(allows(verb, leaseName), `${verb} leases/${leaseName}`).toBe(true);
    // The Lease it holds is the one the Role names, in the Role's namespace (and no other).
    expect(server.store.list('leases').items.map((l) => `${String(l.metadata?.namespace)}/${String(l.metadata?.name)}`)).toEqual([`${role.metadata.namespace}/${leaseName}`]);
    // Nothing but get/create/update, and never a cluster-wide Lease permission.
    for (const r of role.rules) for (const v of r.verbs) expect(['get', 'create', 'update']).toContain(v);
    const clusterRole = one<K8sObject & { rules: PolicyRule[] }>(objects, 'ClusterRole');
    expect(clusterRole.rules.some((r) => r.resources.includes('leases'))).toBe(false);
  });
});

const kubectl = process.env['KUBECTL'] ?? 'kubectl';

// kubectl is installed (Debian's kubernetes-client) when missing, as in test/apiserver's kubectl test.
describe('kubectl apply --dry-run=server against the API-server double', () => {
  let server: ApiServerDouble;
  beforeAll(async () => {
    await requireTool(kubectl, ['version', '--client'], 'kubernetes-client');
    server = await startApiServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('maps and sends the Namespace, ConfigMap, Deployment and Service', async () => {
    const kubeconfig = await server.writeKubeconfig(join(dir, 'kubectl'));
    const served = ['namespace.yaml', 'configmap.yaml', 'deployment.yaml', 'service.yaml'];
    const args = ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'kubectl-cache'), '--request-timeout', '20s', 'apply', '--dry-run=server', '--validate=false'];
    for (const f of served) args.push('-f', join(REPO, 'examples/deploy', f));
    const { stdout } = await execFileP(kubectl, args, { env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: dir }, timeout: 30_000 });
    expect(stdout.trim().split('\n').sort()).toEqual(
      [
        'namespace/k8stream created (server dry run)',
        'configmap/k8stream-config created (server dry run)',
        'deployment.apps/k8stream created (server dry run)',
        'service/k8stream created (server dry run)',
      ].sort(),
    );
    for (const resource of ['namespaces', 'configmaps', 'deployments.apps', 'services']) expect(server.stats.count({ verb: 'create', resource }), resource).toBe(1);
    // The double ignores dryRun, so what kubectl sent can be read back: the .k8streamrc intact.
    const cm = server.store.get('configmaps', `${namespace}/k8stream-config`) as unknown as { data: Record<string, string> };
    expect(cm.data[configKey]).toBe(configMap.data[configKey]);
  });
});

// The RBAC file is also read by test/rbac.test.ts, which splits it on `---` itself.
it('rbac.yaml documents all parse on their own', () => {
  expect(readDocs('examples/deploy/rbac.yaml').map((d) => d.kind)).toEqual(['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding']);
});
