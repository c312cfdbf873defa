/**
 * `leaderElection` from config: the Lease's namespace and this replica's identity (with the
 * defaults a pod expects), and the elector on the shared API client.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { LeaderElectionConfig } from '../config/types.js';
import { createLeaderElector } from './elector.js';
import type { LeaderElector } from './elector.js';
import type { KubeClient } from '../kube/client.js';
import type { Logger } from '../util/logger.js';

/** Where a pod finds its own namespace. */
export const SERVICE_ACCOUNT_NAMESPACE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

export function leaseNamespace(config: LeaderElectionConfig, env: NodeJS.ProcessEnv = process.env, saFile = SERVICE_ACCOUNT_NAMESPACE): string {
  if (config.namespace !== null) return config.namespace;
  const fromEnv = env['POD_NAMESPACE']?.trim();
  if (fromEnv) return fromEnv;
  try {
    const ns = readFileSync(saFile, 'utf8').trim();
    if (ns !== '') return ns;
  } catch {
    // not in a pod
  }
  return 'default';
}

/** `$POD_NAME` (or the host name) plus a random suffix, so two processes on one host differ. */
export function leaseIdentity(config: LeaderElectionConfig, env: NodeJS.ProcessEnv = process.env): string {
  if (config.identity !== null) return config.identity;
  const base = env['POD_NAME']?.trim() || hostname();
  return `${base}_${randomBytes(4).toString('hex')}`;
}

export interface Leadership {
  elector: LeaderElector;
  namespace: string;
  name: string;
  identity: string;
  /** `lease <namespace>/<name>`, for logs. */
  describe: string;
}

export function createLeadership(config: LeaderElectionConfig, client: KubeClient, logger: Logger): Leadership {
  const namespace = leaseNamespace(config);
  const identity = leaseIdentity(config);
  const elector = createLeaderElector({
    client,
    namespace,
    name: config.name,
    identity,
    leaseDurationMs: config.leaseDurationMs,
    renewDeadlineMs: config.renewDeadlineMs,
    retryPeriodMs: config.retryPeriodMs,
    logger,
  });
  return { elector, namespace, name: config.name, identity, describe: `lease ${namespace}/${config.name}` };
}
