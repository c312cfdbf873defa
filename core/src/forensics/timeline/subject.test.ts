// --service, --workload and --node: exactly one, well formed, or ARGUMENT_INVALID naming the option.
import { describe, expect, it } from 'vitest';
import { K8streamError } from '../../errors.js';
import { parseSubject, subjectTitle } from './subject.js';

function fails(args: Parameters<typeof parseSubject>[0]): K8streamError {
  try {
    parseSubject(args);
  } catch (err) {
    if (err instanceof K8streamError) return err;
    throw err;
  }
  throw new Error('parseSubject did not throw');
}

describe('parseSubject', () => {
  it('reads each form', () => {
    expect(parseSubject({ service: 'shop/web' })).toEqual({ kind: 'service', namespace: 'shop', name: 'web' });
    expect(parseSubject({ workload: 'StatefulSet/db/pg' })).toEqual({ kind: 'workload', workloadKind: 'StatefulSet', namespace: 'db', name: 'pg' });
    expect(parseSubject({ workload: 'cronjob/ops/backup' })).toMatchObject({ workloadKind: 'CronJob' });
    expect(parseSubject({ node: 'node-1' })).toEqual({ kind: 'node', name: 'node-1' });
  });

  it('names the option and the expected shape when a value is malformed', () => {
    const noSlash = fails({ service: 'web' });
    expect(noSlash.code).toBe('ARGUMENT_INVALID');
    expect(noSlash.message).toBe('--service "web": expected NS/NAME');
    expect(fails({ service: 'shop/' }).message).toBe('--service "shop/": expected NS/NAME');
    expect(fails({ service: 'a/b/c' }).message).toBe('--service "a/b/c": expected NS/NAME');
    expect(fails({ workload: 'shop/web' }).message).toBe('--workload "shop/web": expected KIND/NS/NAME');
    expect(fails({ workload: 'pod/shop/web' }).message).toBe(
      '--workload "pod/shop/web": unknown kind "pod" (expected one of: deployment, statefulset, daemonset, job, cronjob, replicaset)',
    );
    expect(fails({ node: 'a/b' }).message).toBe('--node "a/b": expected NAME');
  });

  it('wants exactly one subject', () => {
    expect(fails({}).message).toMatch(/^no subject: give --service NS\/NAME, --workload KIND\/NS\/NAME or --node NAME/);
    expect(fails({ service: 'shop/web', node: 'n1' }).message).toBe('--service and --node given: a timeline is about one subject');
  });

  it('titles', () => {
    expect(subjectTitle({ kind: 'service', namespace: 'shop', name: 'web' })).toBe('service shop/web');
    expect(subjectTitle({ kind: 'workload', workloadKind: 'DaemonSet', namespace: 'kube-system', name: 'cilium' })).toBe('daemonset kube-system/cilium');
    expect(subjectTitle({ kind: 'node', name: 'node-1' })).toBe('node node-1');
  });
});
