/**
 * The fault-storm kit from the build (core/dist and the double's dist), for `npm run
 * reliability`; the vitest version takes the same modules from their TypeScript sources.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { createClusterSimulation, randomFaultSchedule, startApiServer } from '@k8stream/apiserver-double';
import type { SourceConfig } from '../../core/dist/config/types.js';
import { validateConfig } from '../../core/dist/config/validate.js';
import { createKubeClientFromKubeConfig } from '../../core/dist/kube/client.js';
import { createKubernetesSource } from '../../core/dist/source/kubernetes/events-source.js';
import { silentLogger } from '../../core/dist/util/logger.js';
import type { StormKit } from './fault-storm.ts';

/** The source section of a config with every default (from the config schema), cluster-wide core/v1 events. */
function sourceConfig(o: { pageSize: number; watchTimeoutSeconds: number }): SourceConfig {
  return validateConfig({ source: { type: 'kubernetes', ...o } }).source;
}

export const distKit: StormKit = {
  startApiServer,
  createClusterSimulation,
  randomFaultSchedule,
  createSource(server, config) {
    const kc = new KubeConfig();
    kc.loadFromString(server.kubeconfig());
    // No engine tuning: the timings the runtime uses.
    const source = createKubernetesSource(sourceConfig(config), { client: createKubeClientFromKubeConfig(kc), clusterName: 'storm' });
    return {
      stream: (signal) => source.stream({ signal, logger: silentLogger }),
      state: () => source.state(),
      counters: () => source.counters(),
      onChange: (listener) => source.onChange(listener),
    };
  },
};
