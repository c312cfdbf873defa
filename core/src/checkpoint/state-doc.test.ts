import { describe, expect, it } from 'vitest';
import { decodeState, encodeState } from './state-doc.js';
import type { ResumeState } from './state-doc.js';

const GOOD: ResumeState = {
  version: 1,
  server: 'https://10.0.0.1:6443',
  delivery: 'at-least-once',
  watches: { '/api/v1/events': '12345', '/apis/events.k8s.io/v1/events': '67890' },
  savedAt: '2026-01-02T03:04:05.000Z',
};

const withField = (field: string, value: unknown): string => JSON.stringify({ ...GOOD, [field]: value });

describe('encodeState / decodeState', () => {
  it('round-trips both delivery modes', () => {
    expect(decodeState(encodeState(GOOD))).toEqual(GOOD);
    const amo: ResumeState = { ...GOOD, delivery: 'at-most-once', watches: {} };
    expect(decodeState(encodeState(amo))).toEqual(amo);
  });

  it('encodes compact JSON', () => {
    expect(JSON.parse(encodeState(GOOD))).toEqual(GOOD);
  });

  it('drops unknown fields and defaults a missing savedAt to ""', () => {
    const { savedAt: _drop, ...rest } = GOOD;
    const decoded = decodeState(JSON.stringify({ ...rest, extra: true }));
    expect(decoded).toEqual({ ...rest, savedAt: '' });
    expect(decodeState(withField('savedAt', 5))).toEqual({ ...GOOD, savedAt: '' });
  });

  it.each([
    ['', 'not JSON'],
    ['{"version":1', 'not JSON'],
    ['null', 'not a JSON object'],
    ['[]', 'not a JSON object'],
    ['42', 'not a JSON object'],
    ['"x"', 'not a JSON object'],
  ])('rejects %j: %s', (text, reason) => {
    expect(decodeState(text)).toBe(reason);
  });

  it('rejects an unknown or missing version', () => {
    expect(decodeState(withField('version', 2))).toBe('unknown version 2');
    expect(decodeState(withField('version', '1'))).toBe('unknown version "1"');
    expect(decodeState(withField('version', undefined))).toBe('unknown version undefined');
  });

  it('rejects a missing or non-string server', () => {
    expect(decodeState(withField('server', undefined))).toBe('no server');
    expect(decodeState(withField('server', 7))).toBe('no server');
  });

  it('rejects a missing or unknown delivery mode', () => {
    expect(decodeState(withField('delivery', undefined))).toBe('no delivery mode');
    expect(decodeState(withField('delivery', 'exactly-once'))).toBe('no delivery mode');
  });

  it('rejects missing or malformed watches', () => {
    expect(decodeState(withField('watches', undefined))).toBe('no watches');
    expect(decodeState(withField('watches', null))).toBe('no watches');
    expect(decodeState(withField('watches', []))).toBe('no watches');
    expect(decodeState(withField('watches', '1'))).toBe('no watches');
  });

  it('rejects resourceVersions that are not integers, naming the watch', () => {
    expect(decodeState(withField('watches', { '/api/v1/events': 'abc' }))).toBe('watch /api/v1/events: resourceVersion "abc" is not an integer');
    expect(decodeState(withField('watches', { w: 5 }))).toBe('watch w: resourceVersion 5 is not an integer');
    expect(decodeState(withField('watches', { w: '-1' }))).toBe('watch w: resourceVersion "-1" is not an integer');
    expect(decodeState(withField('watches', { w: '' }))).toBe('watch w: resourceVersion "" is not an integer');
    expect(decodeState(withField('watches', { w: null }))).toBe('watch w: resourceVersion null is not an integer');
    // one bad watch rejects the whole state
    expect(typeof decodeState(withField('watches', { a: '1', b: '1.5' }))).toBe('string');
  });
});
