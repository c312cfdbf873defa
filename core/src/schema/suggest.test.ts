import { describe, expect, it } from 'vitest';
import { didYouMean, editDistance } from './suggest.js';

describe('editDistance', () => {
  it('counts insertions, deletions, substitutions and adjacent swaps', () => {
    expect(editDistance('', '')).toBe(0);
    expect(editDistance('abc', '')).toBe(3);
    expect(editDistance('sink', 'sinks')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('ndjosn', 'ndjson')).toBe(1);
    expect(editDistance('batch', 'match')).toBe(1);
  });
});

describe('didYouMean', () => {
  const keys = ['maxEvents', 'maxBytes', 'maxAgeMs'];
  it('suggests the closest plausible key', () => {
    expect(didYouMean('maxEvent', keys)).toBe('maxEvents');
    expect(didYouMean('maxbytes', keys)).toBe('maxBytes');
    expect(didYouMean('maxAge', keys)).toBe('maxAgeMs');
    expect(didYouMean('timeout', ['timeoutMs', 'retry'])).toBe('timeoutMs');
    expect(didYouMean('sink', ['sinks', 'source'])).toBe('sinks');
  });
  it('suggests nothing when nothing is close', () => {
    expect(didYouMean('colour', keys)).toBeUndefined();
    expect(didYouMean('x', ['use', 'name'])).toBeUndefined();
  });
});
