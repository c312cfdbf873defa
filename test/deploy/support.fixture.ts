/** Shared helpers of the deploy tests: YAML documents of the plain manifests and the chart. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';
import { REPO } from '../helpers/cli.fixture.js';

export { REPO };

/** A Kubernetes object as parsed from YAML (only the fields the tests read are typed). */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: unknown;
}

export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

/** Every non-empty YAML document of a repository file. */
export function readDocs(relPath: string): K8sObject[] {
  return loadAll(readFileSync(join(REPO, relPath), 'utf8')).filter((d): d is K8sObject => d !== null && d !== undefined);
}

/** Every object of the plain manifests in examples/deploy/. */
export function plainManifests(): K8sObject[] {
  return ['namespace.yaml', 'rbac.yaml', 'configmap.yaml', 'deployment.yaml', 'service.yaml'].flatMap((f) => readDocs(`examples/deploy/${f}`));
}

/** The one object of `kind` (and `name`, when given); throws when there is not exactly one. */
export function one<T = K8sObject>(objects: K8sObject[], kind: string, name?: string): T {
  const hits = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (hits.length !== 1) throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, found ${hits.length}`);
  return hits[0] as T;
}

/** The subset of a Deployment the tests read. */
export interface Container {
  name: string;
  image: string;
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[];
  ports?: { name: string; containerPort: number }[];
  startupProbe?: Probe;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  resources?: unknown;
  securityContext?: { allowPrivilegeEscalation?: boolean; readOnlyRootFilesystem?: boolean; capabilities?: { drop?: string[] } };
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
}

export interface Probe {
  httpGet: { path: string; port: string | number };
  [key: string]: unknown;
}

export interface Volume {
  name: string;
  configMap?: { name: string };
  emptyDir?: { sizeLimit?: string };
  persistentVolumeClaim?: { claimName: string };
}

export interface PodSpec {
  serviceAccountName: string;
  terminationGracePeriodSeconds: number;
  securityContext: { runAsNonRoot?: boolean; runAsUser?: number; runAsGroup?: number; fsGroup?: number };
  containers: Container[];
  volumes: Volume[];
}

export interface Deployment extends K8sObject {
  spec: {
    replicas: number;
    strategy: { type: string };
    selector: { matchLabels: Record<string, string> };
    template: { metadata: { labels: Record<string, string> }; spec: PodSpec };
  };
}
