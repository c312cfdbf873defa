import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LeaderElectionConfig } from '../config/types.js';
import { leaseIdentity, leaseNamespace, SERVICE_ACCOUNT_NAMESPACE } from './leadership.js';

const BASE: LeaderElectionConfig = {
  enabled: true,
  namespace: null,
  name: 'k8stream',
  identity: null,
  leaseDurationMs: 15_000,
  renewDeadlineMs: 10_000,
  retryPeriodMs: 2_000,
};

let dir: string;
let saFile: string;
let blankSaFile: string;
let missingSaFile: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'k8stream-leadership-'));
  saFile = join(dir, 'namespace');
  blankSaFile = join(dir, 'blank');
  missingSaFile = join(dir, 'absent');
  await writeFile(saFile, 'from-sa\n');
  await writeFile(blankSaFile, '  \n');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('leaseNamespace', () => {
  it('defaults to the in-pod service-account path', () => {
    expect(SERVICE_ACCOUNT_NAMESPACE).toBe('/var/run/secrets/kubernetes.io/serviceaccount/namespace');
  });

  it('config wins over everything', () => {
    expect(leaseNamespace({ ...BASE, namespace: 'configured' }, { POD_NAMESPACE: 'env' }, saFile)).toBe('configured');
  });

  it('then $POD_NAMESPACE (trimmed)', () => {
    expect(leaseNamespace(BASE, { POD_NAMESPACE: ' env-ns ' }, saFile)).toBe('env-ns');
  });

  it('a blank $POD_NAMESPACE falls through to the service-account file (trimmed)', () => {
    expect(leaseNamespace(BASE, { POD_NAMESPACE: '  ' }, saFile)).toBe('from-sa');
    expect(leaseNamespace(BASE, {}, saFile)).toBe('from-sa');
  });

  it('then "default" when the file is absent or blank', () => {
    expect(leaseNamespace(BASE, {}, missingSaFile)).toBe('default');
    expect(leaseNamespace(BASE, {}, blankSaFile)).toBe('default');
  });

  it('an unreadable path (a directory) falls back to "default"', () => {
    expect(leaseNamespace(BASE, {}, dir)).toBe('default');
  });
});

describe('leaseIdentity', () => {
  it('config wins and is used verbatim', () => {
    expect(leaseIdentity({ ...BASE, identity: 'me' }, { POD_NAME: 'pod-0' })).toBe('me');
  });

  it('$POD_NAME plus a random 8-hex suffix', () => {
    expect(leaseIdentity(BASE, { POD_NAME: 'k8stream-7d9-abc' })).toMatch(/^k8stream-7d9-abc_[0-9a-f]{8}$/);
    expect(leaseIdentity(BASE, { POD_NAME: ' pod-1 ' })).toMatch(/^pod-1_[0-9a-f]{8}$/);
  });

  it('the host name when $POD_NAME is absent or blank', () => {
    const prefix = `${hostname()}_`;
    for (const env of [{}, { POD_NAME: '' }, { POD_NAME: '  ' }]) {
      const id = leaseIdentity(BASE, env);
      expect(id.startsWith(prefix)).toBe(true);
      expect(id.slice(prefix.length)).toMatch(/^[0-9a-f]{8}$/);
    }
  });

  it('is unique per call (two processes on one host differ)', () => {
    const ids = new Set(Array.from({ length: 100 }, () => leaseIdentity(BASE, { POD_NAME: 'same' })));
    expect(ids.size).toBe(100);
  });
});
