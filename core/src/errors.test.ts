import { describe, expect, it } from 'vitest';
import { K8streamError, PermanentError, RetryAfterError, ValidationError } from './errors.js';

describe('errors', () => {
  it('carries a stable code and a user string with hint', () => {
    const e = new K8streamError('PLUGIN_NOT_FOUND', 'sink "s3" not found', { plugin: 's3', hint: 'npm install @k8stream/sink-s3' });
    expect(e.code).toBe('PLUGIN_NOT_FOUND');
    expect(e.toUserString()).toBe('[PLUGIN_NOT_FOUND] sink "s3" not found\n  hint: npm install @k8stream/sink-s3');
  });
  it('classifies sink failures by subclass and code', () => {
    expect(new PermanentError('no').code).toBe('SINK_PERMANENT');
    const r = new RetryAfterError('slow down', -5);
    expect(r.code).toBe('SINK_RETRY_AFTER');
    expect(r.retryAfterMs).toBe(0);
  });
  it('lists every validation issue with its path', () => {
    const e = new ValidationError(
      'CONFIG_INVALID',
      [
        { path: 'sinks[1].batch.maxEvents', message: 'expected a positive integer, got "ten"' },
        { path: 'cluster', message: 'expected a string' },
      ],
      { source: '.k8streamrc' },
    );
    expect(e.message).toBe('2 configuration errors in .k8streamrc:\n  sinks[1].batch.maxEvents: expected a positive integer, got "ten"\n  cluster: expected a string');
  });
});
