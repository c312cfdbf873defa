import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.js';
import { interpolate, interpolateConfig, interpolateString } from './interpolate.js';

const env = { CLUSTER: 'prod-eu-1', N: '500', EMPTY: '', BUCKET: 'events' };

describe('interpolateString', () => {
  const run = (text: string) => {
    const issues: { path: string; message: string }[] = [];
    return { value: interpolateString(text, env, ['x'], issues), issues };
  };

  it('replaces set variables, anywhere in the string', () => {
    expect(run('${CLUSTER}').value).toBe('prod-eu-1');
    expect(run('s3://${BUCKET}/${CLUSTER}/').value).toBe('s3://events/prod-eu-1/');
  });
  it('uses the default when the variable is unset or empty', () => {
    expect(run('${MISSING:-fallback}').value).toBe('fallback');
    expect(run('${EMPTY:-fallback}').value).toBe('fallback');
    expect(run('${MISSING:-}').value).toBe('');
    expect(run('${CLUSTER:-fallback}').value).toBe('prod-eu-1');
    expect(run('${MISSING:-a:-b}').value).toBe('a:-b');
  });
  it('interpolates references inside defaults', () => {
    expect(run('${MISSING:-${CLUSTER}-x}').value).toBe('prod-eu-1-x');
  });
  it('keeps an empty variable without default as the empty string', () => {
    expect(run('[${EMPTY}]')).toEqual({ value: '[]', issues: [] });
  });
  it('turns $${...} into a literal ${...} and leaves other dollars alone', () => {
    expect(run('$${CLUSTER}')).toEqual({ value: '${CLUSTER}', issues: [] });
    expect(run('cost: $5 and $$ and $')).toEqual({ value: 'cost: $5 and $$ and $', issues: [] });
  });
  it('reports missing variables, malformed references and unterminated ones', () => {
    expect(run('${NOPE}/${ALSO_NOPE}').issues).toEqual([
      { path: 'x', message: 'environment variable NOPE is not set (set it, or give a default: ${NOPE:-value})' },
      { path: 'x', message: 'environment variable ALSO_NOPE is not set (set it, or give a default: ${ALSO_NOPE:-value})' },
    ]);
    expect(run('${1BAD}').issues).toEqual([{ path: 'x', message: 'invalid reference "${1BAD}": expected ${NAME} or ${NAME:-default}' }]);
    expect(run('${}').issues).toEqual([{ path: 'x', message: 'invalid reference "${}": expected ${NAME} or ${NAME:-default}' }]);
    expect(run('abc ${CLUSTER').issues).toEqual([{ path: 'x', message: 'unterminated "${" (write "$${" for a literal "${")' }]);
  });
});

describe('interpolate', () => {
  it('interpolates every string value at any depth, not keys, and keeps other values', () => {
    const input = {
      cluster: '${CLUSTER}',
      '${KEY}': 'kept key',
      sinks: [{ use: 's3', batch: { maxEvents: '${N}' }, config: { bucket: '${BUCKET}', tags: ['${CLUSTER}', 3, true, null] } }],
      n: 5,
    };
    const result = interpolate(input, env);
    expect(result).toEqual({
      value: {
        cluster: 'prod-eu-1',
        '${KEY}': 'kept key',
        sinks: [{ use: 's3', batch: { maxEvents: '500' }, config: { bucket: 'events', tags: ['prod-eu-1', 3, true, null] } }],
        n: 5,
      },
      issues: [],
    });
    expect(input.cluster).toBe('${CLUSTER}'); // the input is not modified
  });

  it('collects every missing variable with its path', () => {
    const result = interpolate({ cluster: '${A}', sinks: [{ use: 'x' }, { use: 's3', config: { secret: '${SECRET_KEY}' } }] }, env);
    expect(result.issues).toEqual([
      { path: 'cluster', message: 'environment variable A is not set (set it, or give a default: ${A:-value})' },
      { path: 'sinks[1].config.secret', message: 'environment variable SECRET_KEY is not set (set it, or give a default: ${SECRET_KEY:-value})' },
    ]);
  });
});

describe('interpolateConfig', () => {
  it('throws one CONFIG_INTERPOLATION error listing every issue', () => {
    let error: unknown;
    try {
      interpolateConfig({ cluster: '${A}', log: { level: '${B}' } }, {}, { source: '/etc/k8stream/.k8streamrc' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ValidationError);
    const e = error as ValidationError;
    expect(e.code).toBe('CONFIG_INTERPOLATION');
    expect(e.message).toBe(
      [
        '2 configuration errors in /etc/k8stream/.k8streamrc:',
        '  cluster: environment variable A is not set (set it, or give a default: ${A:-value})',
        '  log.level: environment variable B is not set (set it, or give a default: ${B:-value})',
      ].join('\n'),
    );
  });
  it('never puts variable values in messages', () => {
    expect(() => interpolateConfig({ a: '${SECRET} ${MISSING}' }, { SECRET: 'hunter2' })).toThrow(/MISSING/);
    expect(() => interpolateConfig({ a: '${SECRET} ${MISSING}' }, { SECRET: 'hunter2' })).not.toThrow(/hunter2/);
  });

  it('with needed, counts only the problems at the paths it accepts; an unset variable elsewhere reads as empty', () => {
    const raw = { cluster: 'c', source: { kubeconfig: '${NOPE}' }, sinks: [{ config: { bucket: '${B}' } }] };
    const needed = (p: string) => p.startsWith('sinks');
    expect(interpolateConfig(raw, { B: 'bkt' }, { needed })).toEqual({ cluster: 'c', source: { kubeconfig: '' }, sinks: [{ config: { bucket: 'bkt' } }] });
    expect(() => interpolateConfig(raw, {}, { needed })).toThrow(/sinks\[0\]\.config\.bucket.*B is not set/s);
    expect(() => interpolateConfig(raw, {}, { needed })).not.toThrow(/NOPE/);
  });
});
