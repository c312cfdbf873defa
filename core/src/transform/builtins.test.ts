// The repo's own transforms (AssemblyScript, built with the kit's Extism PDK) through the runtime.
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '@k8stream/transform-kit/testing';
import type { DeadLetterRecord } from '../dispatch/types.js';
import { silentLogger } from '../util/logger.js';
import { transformConfig } from '../../../test/fixtures/wasm/compile.js';
import { benchRecord } from './bench.js';
import { createTransformStage } from './stage.js';
import type { WasmTransformStage } from './stage.js';
import { recordKernels } from './kernels.fixture.js';

// Which kernel each worker ran: the default run and the *.sdk.test.ts re-run are checked at the end.
const kernels = recordKernels();

const TRANSFORMS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../transforms');

const open: WasmTransformStage[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

describe('@k8stream/transform-redact', () => {
  beforeAll(async () => {
    await ensureBuilt(path.join(TRANSFORMS, 'redact'));
  }, 240_000);

  it('masks secrets in messages, as a package resolved from its directory', async () => {
    const letters: DeadLetterRecord[] = [];
    const stage = await createTransformStage([transformConfig('./redact', { timeoutMs: 1000 })], {
      configDir: TRANSFORMS,
      deadLetter: {
        write: async (r) => {
          letters.push(...r);
        },
      },
      logger: silentLogger,
      workers: 1,
    });
    open.push(stage);
    const secret = { ...benchRecord(1), message: 'login failed for bob@example.com with password=hunter2' };
    const clean = benchRecord(2);
    const out = await stage.apply([secret, clean]);
    expect(letters).toEqual([]);
    expect(out).toHaveLength(2);
    expect(out[0]!.id).toBe(secret.id);
    expect(out[0]!.message).not.toContain('bob@example.com');
    expect(out[0]!.message).not.toContain('hunter2');
    expect(out[0]!.message).toContain('[REDACTED:');
    expect({ ...out[0]!, message: secret.message }).toEqual(secret);
    expect(out[1]).toEqual(clean);
    expect(stage.counters().redact).toMatchObject({ calls: 2, drops: 0, fanouts: 0, errors: 0, timeouts: 0 });
  });
});

describe('kernel', () => {
  it('every transform worker ran on the kernel this run asked for', () => {
    expect(kernels.reported.length).toBeGreaterThan(0);
    expect(kernels.unexpected()).toEqual([]);
  });
});
