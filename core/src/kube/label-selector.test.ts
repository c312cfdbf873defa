import { describe, expect, it } from 'vitest';
import { K8streamError } from '../errors.js';
import { compileLabelSelector, parseLabelSelector } from './label-selector.js';

describe('label selectors', () => {
  const labels = { app: 'web', tier: 'frontend', 'app.kubernetes.io/part-of': 'shop' };

  it.each([
    ['', true],
    ['app=web', true],
    ['app==web', true],
    ['app=api', false],
    ['app!=api', true],
    ['missing!=x', true],
    ['app in (web, api)', true],
    ['app notin (web)', false],
    ['missing notin (web)', true],
    ['tier', true],
    ['!tier', false],
    ['!missing', true],
    ['app.kubernetes.io/part-of=shop,tier in (frontend),!legacy', true],
    ['app=web,tier=backend', false],
    ['empty=', false],
  ])('%s → %s', (selector, expected) => {
    expect(compileLabelSelector(selector)(labels)).toBe(expected);
  });

  it('matches an empty value', () => {
    expect(compileLabelSelector('empty=')({ empty: '' })).toBe(true);
  });

  it.each(['app=web,,tier', 'app in web', '=web', 'app==we b', 'app in (a b)'])('rejects %j with a CONFIG_INVALID error naming the path', (selector) => {
    let error: unknown;
    try {
      parseLabelSelector(selector);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(K8streamError);
    expect((error as K8streamError).code).toBe('CONFIG_INVALID');
    expect((error as K8streamError).path).toBe('source.labelSelector');
    expect((error as K8streamError).message).toContain(`invalid label selector "${selector}"`);
  });
});
