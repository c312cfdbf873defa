// `source.type: archive`: the issue's flat form (`archive: <location>`, `from`, `to`, `cluster` at
// `source.` level), the block form (for endpoint, region, forcePathStyle, layout), the rule that a
// field is set in one place, and the times the window accepts (those of the forensics commands),
// resolved once when the source is created.
import { describe, expect, it } from 'vitest';
import { K8streamError, ValidationError } from '../errors.js';
import { createArchiveSource, resolveArchiveWindow } from '../source/archive-source.js';
import { validateConfig } from './validate.js';

function issues(raw: Record<string, unknown>): { path: string; message: string }[] {
  try {
    validateConfig(raw);
  } catch (err) {
    if (err instanceof ValidationError) return err.issues.map(({ path, message }) => ({ path, message }));
    throw err;
  }
  throw new Error('expected a ValidationError');
}

const DEFAULTS = { endpoint: null, region: null, forcePathStyle: false, layout: null };
const ACCEPTED = 'expected RFC 3339 (2026-12-08T10:00:00Z), a date (2026-12-08, UTC midnight) or a time relative to the start (-2h, -7d, now)';

describe('source.archive: the flat form', () => {
  it('takes the location as a string and from, to, cluster at source level', () => {
    const { source } = validateConfig({ source: { type: 'archive', archive: 's3://bucket/prefix', from: '-7d', to: 'now', cluster: 'prod' } });
    expect(source.archive).toEqual({ location: 's3://bucket/prefix', from: '-7d', to: 'now', cluster: 'prod', ...DEFAULTS });
    // Resolved, the window and cluster live in source.archive only.
    expect(Object.keys(source).filter((k) => ['from', 'to', 'cluster'].includes(k))).toEqual([]);
  });

  it('cluster is optional: every cluster', () => {
    const { source } = validateConfig({ source: { type: 'archive', archive: './archive', from: '2026-12-01', to: '2026-12-08T00:00:00Z' } });
    expect(source.archive).toEqual({ location: './archive', from: '2026-12-01', to: '2026-12-08T00:00:00Z', cluster: null, ...DEFAULTS });
  });

  it('the block form still works, and takes source.from/to/cluster too', () => {
    const block = { location: 's3://b/p', endpoint: 'http://minio:9000', forcePathStyle: true };
    expect(validateConfig({ source: { type: 'archive', archive: { ...block, from: '-2h', to: 'now', cluster: 'c1' } } }).source.archive).toEqual({
      ...DEFAULTS,
      ...block,
      from: '-2h',
      to: 'now',
      cluster: 'c1',
    });
    expect(validateConfig({ source: { type: 'archive', archive: block, from: '-2h', to: 'now' } }).source.archive).toEqual({
      ...DEFAULTS,
      ...block,
      from: '-2h',
      to: 'now',
      cluster: null,
    });
  });

  it('a field set both at source level and in the block is an error naming it', () => {
    expect(issues({ source: { type: 'archive', archive: { location: './a', from: '-2h', to: 'now', cluster: 'x' }, from: '-1h', to: 'now', cluster: 'y' } })).toEqual([
      { path: 'source.from', message: 'is also set as source.archive.from: set it in one place' },
      { path: 'source.to', message: 'is also set as source.archive.to: set it in one place' },
      { path: 'source.cluster', message: 'is also set as source.archive.cluster: set it in one place' },
    ]);
  });

  it('from and to are required, in one of the two places', () => {
    expect(issues({ source: { type: 'archive', archive: 's3://b/p', from: '-2h' } })).toEqual([
      { path: 'source.to', message: 'is required with source.archive (or set source.archive.to)' },
    ]);
    expect(issues({ source: { type: 'archive', archive: { location: './a' } } })).toEqual([
      { path: 'source.from', message: 'is required with source.archive (or set source.archive.from)' },
      { path: 'source.to', message: 'is required with source.archive (or set source.archive.to)' },
    ]);
  });

  it('from, to and cluster at source level belong to the archive source', () => {
    expect(issues({ source: { type: 'kubernetes', from: '-2h', cluster: 'x' } })).toEqual([
      { path: 'source.from', message: 'is only allowed when source.type is "archive"' },
      { path: 'source.cluster', message: 'is only allowed when source.type is "archive"' },
    ]);
  });

  it('a time that is none of the accepted forms names its path', () => {
    expect(issues({ source: { type: 'archive', archive: './a', from: 'yesterday', to: 'now' } })).toEqual([
      { path: 'source.from', message: `"yesterday" is not a time: ${ACCEPTED}` },
    ]);
    expect(issues({ source: { type: 'archive', archive: { location: './a', from: '-2h', to: '2026-02-30' } } })).toEqual([
      { path: 'source.archive.to', message: `"2026-02-30" is not a time: ${ACCEPTED}` },
    ]);
    // An empty location (an unset `${ARCHIVE:-}`) is no location.
    expect(issues({ source: { type: 'archive', archive: '', from: '-2h', to: 'now' } })).toEqual([
      { path: 'source.archive', message: 'is required when source.type is "archive"' },
    ]);
  });
});

describe('the archive window, resolved once', () => {
  const now = Date.parse('2026-12-08T10:30:00Z');

  it('accepts relative times, dates and RFC 3339', () => {
    expect(resolveArchiveWindow({ from: '-7d', to: 'now' }, now)).toEqual({
      fromMs: Date.parse('2026-12-01T10:30:00Z'),
      toMs: now,
      from: '-7d',
      to: 'now',
    });
    expect(resolveArchiveWindow({ from: '2026-12-01', to: '2026-12-08T11:00:00+01:00' }, now)).toMatchObject({
      fromMs: Date.parse('2026-12-01T00:00:00Z'),
      toMs: Date.parse('2026-12-08T10:00:00Z'),
    });
  });

  it('an empty window is CONFIG_INVALID naming source.to, with both times as written and resolved', () => {
    const source = (): unknown => createArchiveSource({ location: './a', from: '-1h', to: '-2h', cluster: null, ...DEFAULTS }, { dir: '/', now });
    expect(source).toThrow(K8streamError);
    expect(source).toThrow('source.to: the window 2026-12-08T09:30:00.000Z (from "-1h") to 2026-12-08T08:30:00.000Z (to "-2h") is empty: "to" must come after "from"');
  });

  it('the source keeps the window it resolved when it was created', () => {
    const source = createArchiveSource({ location: './a', from: '-2h', to: 'now', cluster: null, ...DEFAULTS }, { dir: '/', now });
    expect(source.window).toEqual({ fromMs: now - 7_200_000, toMs: now, from: '-2h', to: 'now' });
  });
});
