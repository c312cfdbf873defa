import { describe, expect, it } from 'vitest';
import { K8streamError } from '../../errors.js';
import { diskError, errnoOf, failureText, isDiskError } from './disk-errors.js';

function errno(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: boom`), { code });
}

describe('disk errors', () => {
  it('finds the errno directly or in a wrapped cause', () => {
    expect(errnoOf(errno('ENOSPC'))).toBe('ENOSPC');
    expect(errnoOf(new K8streamError('BUFFER_UNAVAILABLE', 'x', { cause: errno('EIO') }))).toBe('EIO');
    expect(errnoOf(new K8streamError('INTERNAL', 'x'))).toBeUndefined();
    expect(errnoOf(new Error('plain'))).toBeUndefined();
    expect(errnoOf(undefined)).toBeUndefined();
  });

  it('retries only errnos of the environment', () => {
    expect(isDiskError(errno('ENOSPC'))).toBe(true);
    expect(isDiskError(errno('EDQUOT'))).toBe(true);
    expect(isDiskError(new K8streamError('BUFFER_UNAVAILABLE', 'x', { cause: errno('EROFS') }))).toBe(true);
    expect(isDiskError(errno('ENOENT'))).toBe(false);
    expect(isDiskError(errno('EBADF'))).toBe(false);
    expect(isDiskError(new Error('plain'))).toBe(false);
  });

  it('wraps an errno as BUFFER_UNAVAILABLE naming the directory, step, errno and a hint', () => {
    const cause = errno('ENOSPC');
    const err = diskError('/q', 'append to a segment', cause);
    expect(err.code).toBe('BUFFER_UNAVAILABLE');
    expect(err.message).toBe('disk queue /q: cannot append to a segment (ENOSPC)');
    expect(err.path).toBe('/q');
    expect(err.cause).toBe(cause);
    expect(err.hint).toMatch(/free space/);
    expect(diskError('/q', 'x', errno('EWHATEVER')).hint).toMatch(/exists, is writable/);
  });

  it('wraps a failure without errno as INTERNAL and passes K8streamErrors through', () => {
    const err = diskError('/q', 'read a segment', new Error('bug'));
    expect(err.code).toBe('INTERNAL');
    expect(err.message).toBe('disk queue /q: cannot read a segment');
    expect(err.hint).toBeUndefined();
    const own = new K8streamError('SINK_CLOSED', 'closed');
    expect(diskError('/q', 'x', own)).toBe(own);
  });

  it('describes any failure for logs', () => {
    expect(failureText(new Error('m'))).toBe('m');
    expect(failureText('s')).toBe('s');
  });
});
