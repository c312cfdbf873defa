import { describe, expect, it } from 'vitest';
import { compileFieldSelector, compileLabelSelector, matchesLabelMap, type KubeObject } from './selectors.js';
import { ApiError } from './status.js';

const pod = (labels: Record<string, string>, extra: Record<string, unknown> = {}): KubeObject => ({
  metadata: { name: 'web-1', namespace: 'shop', labels },
  ...extra,
});

describe('label selectors', () => {
  const cases: [string, Record<string, string>, boolean][] = [
    ['app=web', { app: 'web' }, true],
    ['app==web', { app: 'web' }, true],
    ['app=web', { app: 'api' }, false],
    ['app!=web', { app: 'api' }, true],
    ['app!=web', {}, true],
    ['app in (web, api)', { app: 'api' }, true],
    ['app in (web,api)', {}, false],
    ['app notin (web,api)', { app: 'db' }, true],
    ['app notin (web,api)', {}, true],
    ['app notin (web,api)', { app: 'web' }, false],
    ['tier', { tier: '' }, true],
    ['tier', { app: 'x' }, false],
    ['!tier', { app: 'x' }, true],
    ['!tier', { tier: 'x' }, false],
    ['app=web,tier in (fe),!canary', { app: 'web', tier: 'fe' }, true],
    ['app=web,tier in (fe),!canary', { app: 'web', tier: 'fe', canary: 'true' }, false],
    ['app.kubernetes.io/name=web', { 'app.kubernetes.io/name': 'web' }, true],
  ];
  for (const [sel, labels, want] of cases) {
    it(`${sel} on ${JSON.stringify(labels)} → ${want}`, () => {
      expect(compileLabelSelector(sel)!(pod(labels))).toBe(want);
    });
  }

  it('treats empty as "everything" and rejects bad syntax with 400', () => {
    expect(compileLabelSelector('')).toBeUndefined();
    expect(compileLabelSelector(undefined)).toBeUndefined();
    let err: unknown;
    try {
      compileLabelSelector('app=(x');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toMatchObject({ code: 400, reason: 'BadRequest' });
  });

  it('matches label maps (Service selectors)', () => {
    expect(matchesLabelMap({ app: 'web' }, { app: 'web', 'pod-template-hash': 'x' })).toBe(true);
    expect(matchesLabelMap({ app: 'web', tier: 'fe' }, { app: 'web' })).toBe(false);
    expect(matchesLabelMap({}, { app: 'web' })).toBe(false);
  });
});

describe('field selectors', () => {
  const event: KubeObject = {
    metadata: { name: 'web.1', namespace: 'shop' },
    involvedObject: { kind: 'Pod', name: 'web', namespace: 'shop', uid: 'u-1' },
    type: 'Warning',
    reason: 'BackOff',
    source: { component: 'kubelet', host: 'worker-1' },
  };
  const fields = ['involvedObject.kind', 'involvedObject.name', 'involvedObject.namespace', 'involvedObject.uid', 'type', 'reason', 'source'];

  it('matches =, == and != on allowed fields', () => {
    expect(compileFieldSelector('involvedObject.kind=Pod,type=Warning', fields)!(event)).toBe(true);
    expect(compileFieldSelector('involvedObject.uid==u-1', fields)!(event)).toBe(true);
    expect(compileFieldSelector('type!=Warning', fields)!(event)).toBe(false);
    expect(compileFieldSelector('reason=BackOff,metadata.namespace=shop,metadata.name=web.1', fields)!(event)).toBe(true);
    expect(compileFieldSelector('source=kubelet', fields)!(event)).toBe(true);
    expect(compileFieldSelector('involvedObject.name=other', fields)!(event)).toBe(false);
  });

  it('rejects unsupported field labels with 400 like the real server', () => {
    let err: unknown;
    try {
      compileFieldSelector('spec.nodeName=worker-1', fields);
    } catch (e) {
      err = e;
    }
    expect((err as ApiError).status).toMatchObject({ code: 400, reason: 'BadRequest', message: 'field label not supported: spec.nodeName' });
  });
});
