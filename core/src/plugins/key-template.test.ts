import { describe, expect, it } from 'vitest';
import type { Batch } from './api.js';
import { KEY_TEMPLATE_PLACEHOLDERS, renderKeyTemplate, validateKeyTemplate } from './key-template.js';

function batch(overrides: Partial<Batch<unknown>> = {}): Batch<unknown> {
  return {
    id: '0a1b2c3d4e5f60718293',
    sink: 'archive',
    cluster: 'prod-eu-1',
    records: [],
    count: 0,
    body: new Uint8Array(),
    rawBytes: 0,
    encoding: { format: 'ndjson', compression: 'gzip' },
    contentType: 'application/x-ndjson',
    contentEncoding: 'gzip',
    extension: '.ndjson.gz',
    createdAt: Date.UTC(2030, 11, 31, 23, 59, 0),
    minTimestamp: '2026-03-04T05:06:07.000Z',
    maxTimestamp: '2026-03-04T05:09:00.000Z',
    ...overrides,
  };
}

describe('renderKeyTemplate', () => {
  it('renders the default file layout from the earliest event time (UTC)', () => {
    expect(renderKeyTemplate('{cluster}/{yyyy}/{MM}/{dd}/{HH}/{batchId}{ext}', batch())).toBe('prod-eu-1/2026/03/04/05/0a1b2c3d4e5f60718293.ndjson.gz');
  });

  it('renders every built-in placeholder', () => {
    expect(renderKeyTemplate('{sink}/dt={date}/{HH}{mm}-{batchId}{ext}', batch())).toBe('archive/dt=2026-03-04/0506-0a1b2c3d4e5f60718293.ndjson.gz');
  });

  it('converts offset timestamps to UTC', () => {
    expect(renderKeyTemplate('{yyyy}/{MM}/{dd}/{HH}/{batchId}', batch({ minTimestamp: '2026-01-01T01:30:00+02:00' }))).toBe('2025/12/31/23/0a1b2c3d4e5f60718293');
  });

  it('uses createdAt when the batch has no (valid) event timestamp', () => {
    expect(renderKeyTemplate('{date}/{HH}/{batchId}', batch({ minTimestamp: null }))).toBe('2030-12-31/23/0a1b2c3d4e5f60718293');
    expect(renderKeyTemplate('{date}/{batchId}', batch({ minTimestamp: 'not a date' }))).toBe('2030-12-31/0a1b2c3d4e5f60718293');
  });

  it('fills extra placeholders; they may add levels but never escape', () => {
    const t = '{prefix}/{cluster}/{batchId}{ext}';
    expect(renderKeyTemplate(t, batch(), { prefix: 'events/raw' })).toBe('events/raw/prod-eu-1/0a1b2c3d4e5f60718293.ndjson.gz');
    expect(renderKeyTemplate(t, batch(), { prefix: '' })).toBe('prod-eu-1/0a1b2c3d4e5f60718293.ndjson.gz');
    expect(renderKeyTemplate(t, batch(), { prefix: '/abs/../../etc/./x/' })).toBe('abs/__/__/etc/x/prod-eu-1/0a1b2c3d4e5f60718293.ndjson.gz');
  });

  it('sanitises batch values so they cannot add or climb levels', () => {
    const key = renderKeyTemplate('{cluster}/{sink}/{batchId}{ext}', batch({ cluster: '../../etc', sink: 'a/b\\c', id: '..' }));
    expect(key).toBe('______etc/a_b_c/__.ndjson.gz');
    expect(key.split('/')).not.toContain('..');
    expect(renderKeyTemplate('{cluster}/{batchId}', batch({ cluster: '' }))).toBe('_/0a1b2c3d4e5f60718293');
    expect(renderKeyTemplate('{cluster}/{batchId}', batch({ cluster: 'a\nb\u0000c' }))).toBe('a_b_c/0a1b2c3d4e5f60718293');
  });

  it('never starts with "/" and collapses empty levels', () => {
    expect(renderKeyTemplate('/{cluster}//{batchId}/', batch())).toBe('prod-eu-1/0a1b2c3d4e5f60718293');
  });

  it('an empty extra value cannot turn literal dots into ".."', () => {
    expect(renderKeyTemplate('.{prefix}./{batchId}', batch(), { prefix: '' })).toBe('__/0a1b2c3d4e5f60718293');
  });

  it('built-ins win over extra keys of the same name', () => {
    expect(renderKeyTemplate('{cluster}/{batchId}', batch(), { cluster: 'other' })).toBe('prod-eu-1/0a1b2c3d4e5f60718293');
  });

  it('throws PLUGIN_CONFIG_INVALID listing the known placeholders for an unknown one', () => {
    expect(() => renderKeyTemplate('{cluster}/{day}/{batchId}', batch(), { prefix: 'x' })).toThrow(
      expect.objectContaining({
        code: 'PLUGIN_CONFIG_INVALID',
        message:
          'invalid key template "{cluster}/{day}/{batchId}": unknown placeholder {day}; known: ' +
          '{cluster}, {sink}, {batchId}, {ext}, {yyyy}, {MM}, {dd}, {HH}, {mm}, {date}, {prefix}',
      }),
    );
  });
});

describe('validateKeyTemplate', () => {
  it('accepts valid templates', () => {
    expect(validateKeyTemplate('{cluster}/{yyyy}/{MM}/{dd}/{HH}/{batchId}{ext}')).toEqual([]);
    expect(validateKeyTemplate('{prefix}/{batchId}.ndjson', ['prefix'])).toEqual([]);
  });

  it('lists every problem at once', () => {
    expect(validateKeyTemplate('{Cluster}/{bad name}/../{x')).toEqual([
      'invalid placeholder "{bad name}" at position 10',
      'unclosed "{" at position 24',
      'unknown placeholder {Cluster}; known: ' + KEY_TEMPLATE_PLACEHOLDERS.map((p) => `{${p}}`).join(', '),
      'must not contain ".." path segments',
      'must contain {batchId}, or batches overwrite each other',
    ]);
  });

  it('rejects empty templates, stray braces and backslashes', () => {
    expect(validateKeyTemplate('  ')).toEqual(['must not be empty']);
    expect(validateKeyTemplate('a}{batchId}')).toEqual(['unmatched "}" at position 1']);
    expect(validateKeyTemplate('a\\{batchId}')).toEqual(['must use "/" as the separator, not "\\"']);
  });
});
