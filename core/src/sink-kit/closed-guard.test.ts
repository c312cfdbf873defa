import { describe, expect, it } from 'vitest';
import { K8streamError } from '../errors.js';
import { createClosedGuard } from './closed-guard.js';

describe('createClosedGuard', () => {
  it('lets calls through while open', () => {
    const guard = createClosedGuard('s3', 'archive');
    expect(guard.closed).toBe(false);
    expect(() => guard.assertOpen()).not.toThrow();
  });

  it('throws SINK_CLOSED naming the plugin and the instance after close, every time', () => {
    const guard = createClosedGuard('s3', 'archive');
    guard.close();
    expect(guard.closed).toBe(true);
    for (let i = 0; i < 2; i++) {
      let caught: unknown;
      try {
        guard.assertOpen();
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(K8streamError);
      expect(caught).toMatchObject({ code: 'SINK_CLOSED', message: 's3 sink "archive" is closed', plugin: 'archive' });
    }
  });

  it('close() is true only the first time', () => {
    const guard = createClosedGuard('file');
    expect(guard.close()).toBe(true);
    expect(guard.close()).toBe(false);
    expect(() => guard.assertOpen()).toThrow('file sink "file" is closed');
  });
});
