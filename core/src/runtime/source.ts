/**
 * The source component, last in the list: nothing is pulled before every sink, the dead letter
 * and the transform stage run. For a `kubernetes` source it assembles the Kubernetes stack
 * (events, Services index, enricher) on the shared client, resuming after the saved point;
 * otherwise it makes the replay source. Its stop ends the lookups and the Services watch; the
 * pipeline has already stopped pulling by then.
 */
import type { K8streamConfig } from '../config/types.js';
import type { ResumePoint } from '../checkpoint/position.js';
import type { Enricher } from '../enrich/enricher.js';
import type { KubeClient } from '../kube/client.js';
import type { Ops } from '../ops/ops.js';
import { createSource } from '../source/index.js';
import type { KubernetesSource } from '../source/kubernetes/events-source.js';
import type { Source } from '../source/types.js';
import type { Logger } from '../util/logger.js';
import type { Component } from './lifecycle.js';
import { createKubernetesStack } from './kubernetes-stack.js';

export interface SourceParts {
  source: Source;
  /** The `kubernetes` events source (null for replay). */
  events: KubernetesSource | null;
  enricher: Enricher | null;
}

export interface SourceComponent extends Component {
  /** After start. */
  readonly parts: SourceParts;
}

export function sourceComponent(
  config: K8streamConfig,
  options: { dir: string; logger: Logger; ops: Ops; client: KubeClient | null; resumeFrom: () => ResumePoint | undefined; maxTracked?: number },
): SourceComponent {
  const lookups = new AbortController();
  let parts: SourceParts | null = null;
  return {
    name: 'source',
    get parts(): SourceParts {
      if (parts === null) throw new Error('the source is not started');
      return parts;
    },
    async start() {
      parts = makeSource(config, options, lookups.signal);
      options.ops.setSource(parts.events);
      options.ops.setEnricher(parts.enricher);
    },
    async stop() {
      lookups.abort();
    },
  };
}

function makeSource(
  config: K8streamConfig,
  options: { dir: string; logger: Logger; client: KubeClient | null; resumeFrom: () => ResumePoint | undefined; maxTracked?: number },
  signal: AbortSignal,
): SourceParts {
  const { client, dir, logger } = options;
  if (client === null) return { source: createSource(config.source, { dir, resumeFrom: options.resumeFrom }), events: null, enricher: null };
  const resume = options.resumeFrom();
  const stack = createKubernetesStack(config, {
    dir,
    logger,
    client,
    signal,
    ...(resume !== undefined ? { resume } : {}),
    ...(options.maxTracked !== undefined ? { maxTracked: options.maxTracked } : {}),
  });
  return { source: stack.source, events: stack.events, enricher: stack.enricher ?? null };
}
