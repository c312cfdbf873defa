/**
 * What a timeline is about, from the command line: `--service NS/NAME`, `--workload
 * KIND/NS/NAME` or `--node NAME` (exactly one), and how it is written back in titles.
 */
import { K8streamError } from '../../errors.js';
import type { Subject } from '../types.js';

/** The workload kinds `--workload` accepts (lower case) and their Kubernetes spelling. */
export const WORKLOAD_KINDS: Readonly<Record<string, string>> = {
  deployment: 'Deployment',
  statefulset: 'StatefulSet',
  daemonset: 'DaemonSet',
  job: 'Job',
  cronjob: 'CronJob',
  replicaset: 'ReplicaSet',
};

/** The values of the three subject options, as given (undefined when absent). */
export interface SubjectArgs {
  service?: string | undefined;
  workload?: string | undefined;
  node?: string | undefined;
}

/**
 * The subject named by exactly one of `--service`, `--workload`, `--node`.
 *
 * @throws K8streamError `ARGUMENT_INVALID` naming the option: none or several given, a value
 *   without the expected slashes, an empty part, a workload kind that is not one of WORKLOAD_KINDS.
 */
export function parseSubject(args: SubjectArgs): Subject {
  const given = (['service', 'workload', 'node'] as const).filter((k) => args[k] !== undefined);
  if (given.length === 0) {
    throw new K8streamError('ARGUMENT_INVALID', 'no subject: give --service NS/NAME, --workload KIND/NS/NAME or --node NAME', {
      hint: 'e.g. --service shop/web',
    });
  }
  if (given.length > 1) {
    throw new K8streamError('ARGUMENT_INVALID', `${given.map((k) => `--${k}`).join(' and ')} given: a timeline is about one subject`);
  }
  if (args.service !== undefined) {
    const [namespace = '', name = ''] = parts('--service', args.service, 'NS/NAME', 2);
    return { kind: 'service', namespace, name };
  }
  if (args.workload !== undefined) {
    const [kind = '', namespace = '', name = ''] = parts('--workload', args.workload, 'KIND/NS/NAME', 3);
    const workloadKind = WORKLOAD_KINDS[kind.toLowerCase()];
    if (workloadKind === undefined) {
      throw new K8streamError('ARGUMENT_INVALID', `--workload "${args.workload}": unknown kind "${kind}" (expected one of: ${Object.keys(WORKLOAD_KINDS).join(', ')})`);
    }
    return { kind: 'workload', workloadKind, namespace, name };
  }
  const [name = ''] = parts('--node', args.node!, 'NAME', 1);
  return { kind: 'node', name };
}

function parts(option: string, value: string, shape: string, n: number): string[] {
  const split = value.split('/');
  if (split.length !== n || split.some((p) => p.trim() === '')) {
    throw new K8streamError('ARGUMENT_INVALID', `${option} "${value}": expected ${shape}`, {
      hint: n === 2 ? `e.g. ${option} shop/web` : n === 3 ? `e.g. ${option} deployment/shop/web` : `e.g. ${option} node-1`,
    });
  }
  return split.map((p) => p.trim());
}

/** The subject as a command line names it: `service shop/web`, `deployment shop/web`, `node node-1`. */
export function subjectTitle(subject: Subject): string {
  switch (subject.kind) {
    case 'service':
      return `service ${subject.namespace}/${subject.name}`;
    case 'workload':
      return `${subject.workloadKind.toLowerCase()} ${subject.namespace}/${subject.name}`;
    case 'node':
      return `node ${subject.name}`;
  }
}
