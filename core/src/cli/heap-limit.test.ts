import { describe, expect, it } from 'vitest';
import { HEAP_REEXEC_ENV, HEAP_RESIZE_ENV, planHeapLimit, planHeapResize } from './heap-limit.js';
import type { HeapPlanInput } from './heap-limit.js';

const base: HeapPlanInput = { argv: ['run', '--config', 'x.yaml'], execArgv: [], env: {}, heapMb: 70, semiSpaceMb: 4, canExec: true };

describe('planHeapLimit', () => {
  it('re-execs `run` (also the default command) with the budget heap', () => {
    const flags = ['--max-old-space-size=70', '--max-semi-space-size=4'];
    expect(planHeapLimit(base)).toEqual({ reexec: true, flags });
    expect(planHeapLimit({ ...base, argv: ['-c', 'x.yaml'] })).toEqual({ reexec: true, flags });
    expect(planHeapLimit({ ...base, argv: [] })).toEqual({ reexec: true, flags });
  });

  it("keeps the operator's semi-space (the image sets --max-semi-space-size=8 in NODE_OPTIONS)", () => {
    expect(planHeapLimit({ ...base, env: { NODE_OPTIONS: '--max-semi-space-size=8' } })).toEqual({ reexec: true, flags: ['--max-old-space-size=70'] });
    expect(planHeapLimit({ ...base, execArgv: ['--max-semi-space-size=2'] })).toEqual({ reexec: true, flags: ['--max-old-space-size=70'] });
  });

  it('keeps a heap limit the operator set in Node flags or NODE_OPTIONS', () => {
    expect(planHeapLimit({ ...base, execArgv: ['--max-old-space-size=200'] })).toEqual({ reexec: false, setBy: 'operator' });
    expect(planHeapLimit({ ...base, env: { NODE_OPTIONS: '--enable-source-maps --max-old-space-size=200' } })).toEqual({ reexec: false, setBy: 'operator' });
  });

  it('does not re-exec twice: the re-executed process says it was the re-exec', () => {
    expect(planHeapLimit({ ...base, execArgv: ['--max-old-space-size=70'], env: { [HEAP_REEXEC_ENV]: '70' } })).toEqual({ reexec: false, setBy: 're-exec' });
  });

  it('no limit: re-execs for the semi-space alone, once; nothing to add means no re-exec', () => {
    expect(planHeapLimit({ ...base, heapMb: null, semiSpaceMb: 8 })).toEqual({ reexec: true, flags: ['--max-semi-space-size=8'] });
    expect(planHeapLimit({ ...base, heapMb: null, semiSpaceMb: 8, execArgv: ['--max-semi-space-size=8'], env: { [HEAP_REEXEC_ENV]: '--max-semi-space-size=8' } })).toEqual({
      reexec: false,
      setBy: 'V8 default',
    });
    expect(planHeapLimit({ ...base, heapMb: null, semiSpaceMb: 8, env: { NODE_OPTIONS: '--max-semi-space-size=16' } })).toEqual({ reexec: false, setBy: 'V8 default' });
  });

  it('another command: V8 default, no re-exec', () => {
    for (const argv of [['validate'], ['version'], ['--help'], ['transform', 'test'], ['plugins', 'list'], ['run', '--nope']]) {
      expect(planHeapLimit({ ...base, argv })).toEqual({ reexec: false, setBy: 'V8 default' });
    }
  });

  it('without process.execve (Windows, old Node) the run goes on with V8 default and says why', () => {
    expect(planHeapLimit({ ...base, canExec: false })).toEqual({ reexec: false, setBy: 'V8 default (no process.execve)' });
  });
});

describe('planHeapResize', () => {
  const env = { [HEAP_REEXEC_ENV]: '--max-old-space-size=70 --max-semi-space-size=4' };

  it('replaces the flags the first re-exec added when the config asks for others', () => {
    expect(planHeapResize({ env, heapMb: 57, semiSpaceMb: 3 })).toEqual(['--max-old-space-size=57', '--max-semi-space-size=3']);
  });

  it('keeps a semi-space the operator set (the first re-exec did not add one)', () => {
    expect(planHeapResize({ env: { [HEAP_REEXEC_ENV]: '--max-old-space-size=70' }, heapMb: 57, semiSpaceMb: 3 })).toEqual(['--max-old-space-size=57']);
  });

  it('does nothing when the flags are the same, in a process the binary did not re-exec, or a second time', () => {
    expect(planHeapResize({ env, heapMb: 70, semiSpaceMb: 4 })).toBeNull();
    expect(planHeapResize({ env: {}, heapMb: 57, semiSpaceMb: 3 })).toBeNull();
    expect(planHeapResize({ env: { ...env, [HEAP_RESIZE_ENV]: '1' }, heapMb: 57, semiSpaceMb: 3 })).toBeNull();
  });
});
