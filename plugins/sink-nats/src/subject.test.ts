import { describe, expect, it } from 'vitest';
import {
  BATCH_PLACEHOLDERS,
  DEFAULT_SUBJECT_TEMPLATE,
  parseSubjectTemplate,
  renderSubject,
  sanitizeToken,
  streamSubjectsFor,
  subjectCovers,
  validateSubjectTemplate,
  wildcardOf,
} from './subject.js';

describe('sanitizeToken', () => {
  it.each([
    ['team-a', 'team-a'],
    ['', '_'],
    [undefined, '_'],
    [null, '_'],
    ['a.b.c', 'a_b_c'],
    ['has space', 'has_space'],
    ['tab\there', 'tab_here'],
    ['line\nbreak', 'line_break'],
    ['star*', 'star_'],
    ['gt>', 'gt_'],
    ['ctl\u0000x', 'ctl_x'],
    ['ünïcode-ok', 'ünïcode-ok'],
    [42, '42'],
  ])('%j → %j', (value, expected) => {
    expect(sanitizeToken(value)).toBe(expected);
  });
});

describe('renderSubject', () => {
  it('fills each placeholder with one sanitised token, keeping literal text (also inside a token)', () => {
    const parts = parseSubjectTemplate('k8s.{cluster}.ns-{namespace}.{type}');
    const values: Record<string, unknown> = { cluster: 'prod.eu', namespace: '', type: 'Warning' };
    expect(renderSubject(parts, (f) => values[f])).toBe('k8s.prod_eu.ns-_.Warning');
  });

  it('renders the default template', () => {
    const values: Record<string, unknown> = { cluster: 'c1', namespace: 'kube-system', type: 'Normal' };
    expect(renderSubject(parseSubjectTemplate(DEFAULT_SUBJECT_TEMPLATE), (f) => values[f])).toBe('k8s.events.c1.kube-system.Normal');
  });
});

describe('validateSubjectTemplate', () => {
  it('accepts the default and literal-only templates', () => {
    expect(validateSubjectTemplate(DEFAULT_SUBJECT_TEMPLATE)).toEqual([]);
    expect(validateSubjectTemplate('events')).toEqual([]);
  });

  it.each([
    ['k8s.{day}', 'unknown placeholder {day}'],
    ['k8s.*.{type}', 'wildcards'],
    ['k8s.>', 'wildcards'],
    ['k8s..{type}', 'empty tokens'],
    ['.k8s', 'empty tokens'],
    ['k8s.', 'empty tokens'],
    ['k8s events', 'whitespace'],
    ['k8s.{type', 'unbalanced'],
  ])('%j is rejected: %s', (template, message) => {
    expect(validateSubjectTemplate(template).join('; ')).toContain(message);
  });

  it('with the batch placeholders, rejects per-record fields', () => {
    expect(validateSubjectTemplate('k8s.{cluster}.{sink}', BATCH_PLACEHOLDERS)).toEqual([]);
    expect(validateSubjectTemplate('k8s.{cluster}.{namespace}', BATCH_PLACEHOLDERS)).toEqual([
      'placeholder {namespace} has no single value per batch: with publish: batch, use only {cluster} {sink}',
    ]);
  });
});

describe('wildcardOf / streamSubjectsFor', () => {
  it('turns each token holding a placeholder into *', () => {
    expect(wildcardOf(DEFAULT_SUBJECT_TEMPLATE)).toBe('k8s.events.*.*.*');
    expect(wildcardOf('a.x-{type}.b')).toBe('a.*.b');
  });

  it('default stream subjects: the literal leading tokens, then >', () => {
    expect(streamSubjectsFor(DEFAULT_SUBJECT_TEMPLATE)).toBe('k8s.events.>');
    expect(streamSubjectsFor('{cluster}.events')).toBe('>');
    expect(streamSubjectsFor('all.events')).toBe('all.events');
  });
});

describe('subjectCovers', () => {
  it.each([
    ['k8s.events.>', 'k8s.events.*.*.*', true],
    ['k8s.>', 'k8s.events.*.*.*', true],
    ['>', 'k8s.events.*', true],
    ['k8s.events.*.*.*', 'k8s.events.*.*.*', true],
    ['k8s.events.c1.*.*', 'k8s.events.*.*.*', false],
    ['k8s.events.*.*', 'k8s.events.*.*.*', false],
    ['k8s.events.*.*.*.*', 'k8s.events.*.*.*', false],
    ['k8s.events.>', 'k8s.events', false],
    ['other.>', 'k8s.events.*', false],
    ['k8s.events.c1', 'k8s.events.c1', true],
  ])('%s covers %s: %s', (filter, pattern, expected) => {
    expect(subjectCovers(filter, pattern)).toBe(expected);
  });
});
