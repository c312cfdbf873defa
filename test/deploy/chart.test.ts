// The Helm chart charts/k8stream, WITHOUT helm (not installable on the project's machines):
//   verified: values.yaml against values.schema.json (and the schema rejecting bad values),
//   the default `config` against core's .k8streamrc JSON Schema, the defaults being the same as
//   the plain manifests in examples/deploy/ (config, ClusterRole rules, pod settings), and static
//   checks of the template sources (every .Values path exists, every include is defined,
//   blocks are balanced, probes/ports/args/mounts are the ones the image and server use).
//   NOT verified: that the templates render (Go template / Sprig evaluation), nor what they
//   render for non-default values (replicaCount > 1 → leaderElection.enabled, PVC, monitors).
//   Run `helm lint charts/k8stream && helm template charts/k8stream` where helm is available.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { DURATION_PATTERN, parseDuration } from '../../core/src/schema/duration.js';
import { execForm, parseDockerfile } from './dockerfile.js';
import { one, plainManifests, REPO, type Deployment, type K8sObject, type PolicyRule } from './support.fixture.js';

const CHART = join(REPO, 'charts/k8stream');
const read = (rel: string) => readFileSync(join(CHART, rel), 'utf8');
const values = load(read('values.yaml')) as Record<string, any>;
const schema = JSON.parse(read('values.schema.json')) as Record<string, unknown>;
const templates = Object.fromEntries(readdirSync(join(CHART, 'templates')).map((f) => [f, read(`templates/${f}`)]));
const plain = plainManifests();
const plainDeployment = one<Deployment>(plain, 'Deployment');
const plainPod = plainDeployment.spec.template.spec;
const plainContainer = plainPod.containers[0]!;
const plainConfig = load(Object.values(one<K8sObject & { data: Record<string, string> }>(plain, 'ConfigMap').data)[0]!) as Record<string, unknown>;

const validateValues = new Ajv({ allErrors: true, strict: true }).compile(schema);

describe('values.yaml and values.schema.json', () => {
  it('the default values satisfy the schema', () => {
    expect(validateValues(values), JSON.stringify(validateValues.errors)).toBe(true);
  });

  const bad: [string, (v: Record<string, any>) => void, string][] = [
    ['replicaCount 0', (v) => (v.replicaCount = 0), '/replicaCount'],
    ['a misspelt top-level key', (v) => (v.replicas = 2), ''],
    ['the server turned off (the probes need it)', (v) => (v.config.server.enabled = false), '/config/server/enabled'],
    ['server.port 0', (v) => (v.config.server.port = 0), '/config/server/port'],
    ['log.format text', (v) => (v.config.log.format = 'text'), '/config/log/format'],
    ['graceMs "soon"', (v) => (v.config.shutdown.graceMs = 'soon'), '/config/shutdown/graceMs'],
    ['no sinks', (v) => (v.config.sinks = []), '/config/sinks'],
    ['runAsNonRoot false', (v) => (v.podSecurityContext.runAsNonRoot = false), '/podSecurityContext/runAsNonRoot'],
    ['pullPolicy sometimes', (v) => (v.image.pullPolicy = 'Sometimes'), '/image/pullPolicy'],
    ['persistence.size "lots"', (v) => (v.persistence.size = 'lots'), '/persistence/size'],
  ];
  it.each(bad)('rejects %s', (_name, mutate, path) => {
    const v = structuredClone(values);
    mutate(v);
    expect(validateValues(v)).toBe(false);
    expect(validateValues.errors!.map((e) => e.instancePath)).toContain(path);
  });

  it("accepts duration strings exactly as core's DURATION_PATTERN does", () => {
    const durationDef = (schema['definitions'] as Record<string, { oneOf: { pattern?: string }[] }>)['duration']!;
    expect(durationDef.oneOf.map((o) => o.pattern).filter(Boolean)).toEqual([DURATION_PATTERN]);
  });

  it("the default config satisfies core's .k8streamrc JSON Schema", () => {
    const rcSchema = JSON.parse(readFileSync(join(REPO, 'core/schema/k8streamrc.schema.json'), 'utf8')) as object;
    const check = new Ajv2020({ allErrors: true, strict: false }).compile(rcSchema);
    expect(check(values.config), JSON.stringify(check.errors)).toBe(true);
  });

  it('terminationGracePeriodSeconds exceeds config.shutdown.graceMs', () => {
    expect(values.terminationGracePeriodSeconds * 1000).toBeGreaterThan(parseDuration(values.config.shutdown.graceMs));
  });
});

describe('chart defaults = the plain manifests', () => {
  it('the config (with leaderElection.enabled as the chart sets it for one replica)', () => {
    expect(values.replicaCount).toBe(1);
    expect({ ...values.config, leaderElection: { enabled: false } }).toEqual(plainConfig);
  });

  it('the ClusterRole rules (a static block in the template)', () => {
    const text = templates['clusterrole.yaml']!;
    const block = text.slice(text.indexOf('\nrules:\n') + 1, text.indexOf('\n---\n'));
    expect(block).not.toMatch(/\{\{/);
    const rules = (load(block) as { rules: PolicyRule[] }).rules;
    expect(rules).toEqual(one<K8sObject & { rules: PolicyRule[] }>(plain, 'ClusterRole').rules);
  });

  it('the pod settings', () => {
    expect(plainPod.terminationGracePeriodSeconds).toBe(values.terminationGracePeriodSeconds);
    expect(plainPod.securityContext).toEqual(values.podSecurityContext);
    expect(plainContainer.securityContext).toEqual(values.securityContext);
    expect(plainContainer.resources).toEqual(values.resources);
    const probe = ({ httpGet: _, ...rest }: { httpGet: unknown; [k: string]: unknown }) => rest;
    expect(probe(plainContainer.startupProbe!)).toEqual(values.probes.startup);
    expect(probe(plainContainer.livenessProbe!)).toEqual(values.probes.liveness);
    expect(probe(plainContainer.readinessProbe!)).toEqual(values.probes.readiness);
    expect(plainPod.volumes.find((v) => v.name === 'data')!.emptyDir!.sizeLimit).toBe(values.persistence.emptyDirSizeLimit);
    expect(plainContainer.image).toBe(`${values.image.repository}:${readChart().appVersion}`);
  });
});

function readChart(): { apiVersion: string; name: string; version: string; appVersion: string } {
  return load(read('Chart.yaml')) as ReturnType<typeof readChart>;
}

describe('chart sources (static checks; nothing is rendered)', () => {
  it('Chart.yaml is a v2 application chart whose appVersion is the core version', () => {
    const chart = readChart();
    const core = JSON.parse(readFileSync(join(REPO, 'core/package.json'), 'utf8')) as { version: string };
    expect(chart).toMatchObject({ apiVersion: 'v2', name: 'k8stream', type: 'application', appVersion: core.version });
    expect(chart.version).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('every .Values path a template uses exists in values.yaml', () => {
    const missing: string[] = [];
    for (const [file, text] of Object.entries(templates)) {
      for (const m of text.matchAll(/\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)/g)) {
        let node: unknown = values;
        for (const key of m[1]!.slice(1).split('.')) {
          if (node === null || typeof node !== 'object' || !(key in node)) {
            missing.push(`${file}: .Values${m[1]}`);
            break;
          }
          node = (node as Record<string, unknown>)[key];
        }
      }
    }
    expect(missing).toEqual([]);
  });

  it('every include names a define, and every block is closed', () => {
    const all = Object.values(templates).join('\n');
    const defined = new Set([...all.matchAll(/\{\{-?\s*define\s+"([^"]+)"/g)].map((m) => m[1]));
    for (const m of all.matchAll(/include\s+"([^"]+)"/g)) expect(defined, m[1]).toContain(m[1]);
    for (const [file, text] of Object.entries(templates)) {
      const actions = [...text.matchAll(/\{\{-?\s*(\/\*[\s\S]*?\*\/|[^}]*?)\s*-?\}\}/g)].map((m) => m[1]!.trim());
      let depth = 0;
      for (const a of actions) {
        if (/^(if|with|range|define|block)\b/.test(a)) depth++;
        else if (/^end\b/.test(a)) depth--;
        expect(depth, `${file}: "end" without an opening block`).toBeGreaterThanOrEqual(0);
      }
      expect(depth, `${file}: unclosed block`).toBe(0);
    }
  });

  it('the Deployment template uses the image command, the config mount, the probes and the downward API', () => {
    const d = templates['deployment.yaml']!;
    const args = /^\s*args: (\[.*\])$/m.exec(d)![1]!;
    const runtime = parseDockerfile(readFileSync(join(REPO, 'Dockerfile'), 'utf8')).at(-1)!;
    expect(load(args)).toEqual(execForm(runtime, 'CMD'));
    expect(d).toMatch(/- name: config\n\s+mountPath: \/etc\/k8stream\n\s+readOnly: true/);
    expect(d).toMatch(/- name: data\n\s+mountPath: \/var\/lib\/k8stream\n/);
    expect(d).toMatch(/- name: tmp\n\s+mountPath: \/tmp\n/);
    for (const [probe, path] of [
      ['startupProbe', '/healthz'],
      ['livenessProbe', '/healthz'],
      ['readinessProbe', '/readyz'],
    ]) {
      expect(d).toMatch(new RegExp(`${probe}:\\n\\s+httpGet:\\n\\s+path: ${path}\\n\\s+port: metrics\\n`));
    }
    expect(d).toMatch(/- name: metrics\n\s+containerPort: \{\{ include "k8stream.port" \. \}\}/);
    expect(d).toMatch(/- name: POD_NAME\n\s+valueFrom:\n\s+fieldRef:\n\s+fieldPath: metadata.name/);
    expect(d).toMatch(/- name: POD_NAMESPACE\n\s+valueFrom:\n\s+fieldRef:\n\s+fieldPath: metadata.namespace/);
    expect(d).toMatch(/envFrom:\n\s+- secretRef:\n\s+name: \{\{ \.Values\.existingSecret \}\}/);
    expect(templates['configmap.yaml']).toMatch(/^ {2}\.k8streamrc: \|$/m);
  });

  it('the chart turns leader election on above one replica, and grants Lease access only then, in the release namespace', () => {
    const helpers = templates['_helpers.tpl']!;
    expect(helpers).toMatch(/define "k8stream.leaderElection"[\s\S]*gt \(int \.Values\.replicaCount\) 1/);
    expect(helpers).toMatch(/set \$le "enabled" \(eq \(include "k8stream.leaderElection" \.\) "true"\)/);
    const role = templates['role.yaml']!;
    expect(role).toMatch(/^\{\{- if and \.Values\.rbac\.create \(include "k8stream.leaderElection" \.\) \}\}/);
    expect(role).toMatch(/kind: Role\n/);
    expect(role).toMatch(/namespace: \{\{ \.Release\.Namespace \}\}/);
    expect(role).not.toMatch(/ClusterRole\b(?!Binding)/);
  });
});
