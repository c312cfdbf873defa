import { fork } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { K8streamError } from '@k8stream/core';
import type { Batch } from '@k8stream/core';
import { classifySinkError, makeTestBatch, sampleRecords, testSendContext, testSinkContext } from '@k8stream/core/testing';
import { createFileSink, isTempFile, nodeFs } from './index.js';
import type { AtomicFs, WritableHandle } from './index.js';
import { listFiles, readAllRecords } from './read-back.fixture.js';

const here = path.dirname(fileURLToPath(import.meta.url));

let configDir: string;
beforeEach(async () => {
  configDir = await mkdtemp(path.join(os.tmpdir(), 'k8stream-sink-file-'));
});
afterEach(async () => {
  await rm(configDir, { recursive: true, force: true });
});

/** A file system whose handle writes fail (or stall) after `okWrites` successful write calls. */
function failingFs(options: { okWrites: number; error?: () => Error; onFail?: () => void }): AtomicFs & { opened: string[] } {
  const opened: string[] = [];
  let writes = 0;
  return {
    opened,
    ...nodeFs,
    async open(file, flags, mode) {
      const real = await nodeFs.open(file, flags, mode);
      if (flags !== 'wx' || path.basename(file).startsWith('.k8stream-probe-')) return real;
      opened.push(file);
      const handle: WritableHandle = {
        write: async (buffer, offset, length, position) => {
          if (writes++ >= options.okWrites) {
            options.onFail?.();
            throw options.error?.() ?? Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' });
          }
          return real.write(buffer, offset, length, position);
        },
        sync: () => real.sync(),
        chmod: (m) => real.chmod(m),
        close: () => real.close(),
      };
      return handle;
    },
  };
}

const ctx = () => testSinkContext({ name: 'archive', configDir });
/** An uncompressed batch of a bit more than one write chunk (1 MiB), so a write can stop halfway. */
const bigBatch = () => makeTestBatch(sampleRecords(1500), { format: 'ndjson', compression: 'none' }, { sink: 'archive' });

describe('file sink: layout', () => {
  it('writes one file per batch at the default partitioned path, byte for byte', async () => {
    const sink = createFileSink();
    const instance = await sink.create(sink.validate({ dir: 'out' }), ctx());
    const batch = await makeTestBatch(sampleRecords(4), undefined, { sink: 'archive' });
    await instance.send(batch, testSendContext());
    const file = path.join(configDir, 'out', 'test-cluster', '2026', '01', '02', '03', `${batch.id}.ndjson.gz`);
    expect(await listFiles(path.join(configDir, 'out'))).toEqual([file]);
    expect(new Uint8Array(await readFile(file))).toEqual(batch.body);
    expect(instance.describe?.()).toBe(path.join(configDir, 'out'));
  });

  it('follows a custom path template and file mode', async () => {
    const sink = createFileSink();
    const config = sink.validate({ dir: 'events', path: '{sink}/dt={date}/{HH}{mm}-{batchId}{ext}', mode: '0640', fsync: false });
    expect(config).toEqual({ dir: 'events', path: '{sink}/dt={date}/{HH}{mm}-{batchId}{ext}', mode: 0o640, fsync: false });
    const instance = await sink.create(config, ctx());
    const batch = await makeTestBatch(sampleRecords(2), { format: 'json', compression: 'zstd' }, { sink: 'archive' });
    await instance.send(batch, testSendContext());
    const file = path.join(configDir, 'events', 'archive', 'dt=2026-01-02', `0304-${batch.id}.json.zst`);
    expect((await stat(file)).mode & 0o777).toBe(0o640);
    expect(await readAllRecords(path.join(configDir, 'events'))).toEqual(batch.records);
  });

  it('uses an absolute dir as is', async () => {
    const abs = path.join(configDir, 'elsewhere', 'abs');
    const sink = createFileSink();
    const instance = await sink.create(sink.validate({ dir: abs }), testSinkContext({ configDir: '/nonexistent-config-dir' }));
    const batch = await makeTestBatch(sampleRecords(1));
    await instance.send(batch, testSendContext());
    expect(await readAllRecords(abs)).toEqual(batch.records);
  });

  it('fills in defaults and reports every problem with its path', () => {
    const sink = createFileSink();
    expect(sink.validate({ dir: './out' })).toEqual({
      dir: './out',
      path: '{cluster}/{yyyy}/{MM}/{dd}/{HH}/{batchId}{ext}',
      fsync: true,
      mode: undefined,
    });
    expect(() => sink.validate({ path: '{nope}', fsync: 'x' })).toThrow(
      expect.objectContaining({
        code: 'PLUGIN_CONFIG_INVALID',
        issues: [
          {
            path: 'path',
            message: 'unknown placeholder {nope}; known: {cluster}, {sink}, {batchId}, {ext}, {yyyy}, {MM}, {dd}, {HH}, {mm}, {date}',
          },
          { path: 'path', message: 'must contain {batchId}, or batches overwrite each other' },
          { path: 'fsync', message: 'expected a boolean, got "x"' },
          { path: 'dir', message: 'is required' },
        ],
      }),
    );
  });
});

describe('file sink: unusable directory', () => {
  it('fails at create with a clear error when the directory cannot be created', async () => {
    await writeFile(path.join(configDir, 'blocker'), 'a file');
    const sink = createFileSink();
    const dir = path.join(configDir, 'blocker', 'out');
    const err = (await Promise.resolve(sink.create(sink.validate({ dir: 'blocker/out' }), ctx())).catch((e: unknown) => e)) as K8streamError;
    expect(err).toBeInstanceOf(K8streamError);
    expect(err.code).toBe('SINK_UNHEALTHY');
    expect(err.path).toBe(dir);
    expect(err.message).toMatch(new RegExp(`^file sink "archive": cannot create directory ${dir}: ENOTDIR: not a directory`));
    expect(err.hint).toContain(`make sure ${dir} exists or can be created`);
  });

  it('fails at create with a clear error when the directory is not writable', async () => {
    const denied: AtomicFs = {
      ...nodeFs,
      open: async (file, flags, mode) => {
        if (path.basename(file).startsWith('.k8stream-probe-')) {
          throw Object.assign(new Error(`EACCES: permission denied, open '${file}'`), { code: 'EACCES' });
        }
        return nodeFs.open(file, flags, mode);
      },
    };
    const sink = createFileSink({ fs: denied });
    const dir = path.join(configDir, 'out');
    const err = (await Promise.resolve(sink.create(sink.validate({ dir: 'out' }), ctx())).catch((e: unknown) => e)) as K8streamError;
    expect(err.code).toBe('SINK_UNHEALTHY');
    expect(err.message).toMatch(new RegExp(`^file sink "archive": directory ${dir} is not writable: EACCES: permission denied, open '${dir}/\\.k8stream-probe-`));
    expect(await readdir(dir)).toEqual([]);
  });

  it('healthcheck repeats the check', async () => {
    const sink = createFileSink();
    const instance = await sink.create(sink.validate({ dir: 'out' }), ctx());
    await expect(instance.healthcheck?.()).resolves.toBeUndefined();
    await rm(path.join(configDir, 'out'), { recursive: true });
    await writeFile(path.join(configDir, 'out'), 'now a file');
    await expect(instance.healthcheck?.()).rejects.toMatchObject({ code: 'SINK_UNHEALTHY' });
  });
});

describe('file sink: failure classification', () => {
  const cases: [string, 'permanent' | 'transient', string][] = [
    ['EACCES', 'permanent', 'permission denied'],
    ['EPERM', 'permanent', 'operation not permitted'],
    ['ENOSPC', 'transient', 'no space left on device'],
    ['EDQUOT', 'transient', 'disk quota exceeded'],
    ['EROFS', 'transient', 'read-only file system'],
    ['EIO', 'transient', 'i/o error'],
  ];
  it.each(cases)('%s while writing is %s', async (code, expected, text) => {
    const fs = failingFs({ okWrites: 0, error: () => Object.assign(new Error(`${code}: ${text}, write`), { code }) });
    const sink = createFileSink({ fs });
    const instance = await sink.create(sink.validate({ dir: 'out' }), ctx());
    const err = await instance.send(await makeTestBatch(sampleRecords(3)), testSendContext()).catch((e: unknown) => e);
    expect(classifySinkError(err)).toBe(expected);
    if (expected === 'permanent') {
      expect((err as K8streamError).message).toMatch(new RegExp(`^file sink "archive": cannot write ${configDir}/out/.*: ${code}: ${text}, write$`));
    } else {
      expect((err as { code: string }).code).toBe(code);
    }
    expect(await listFiles(path.join(configDir, 'out'))).toEqual([]);
  });
});

describe('file sink: atomic writes', () => {
  async function finalPath(batch: Batch<unknown>): Promise<string> {
    return path.join(configDir, 'out', 'test-cluster', '2026', '01', '02', '03', `${batch.id}${batch.extension}`);
  }

  it('a write failing halfway leaves nothing under the final name, and the retry writes the whole file', async () => {
    const batch = await bigBatch();
    expect(batch.body.byteLength).toBeGreaterThan(1.2 * 1024 * 1024);
    const fs = failingFs({ okWrites: 1 });
    const broken = createFileSink({ fs });
    const instance = await broken.create(broken.validate({ dir: 'out' }), ctx());
    await expect(instance.send(batch, testSendContext())).rejects.toMatchObject({ code: 'EIO' });
    expect(fs.opened).toHaveLength(1);
    expect(isTempFile(fs.opened[0]!)).toBe(true);
    expect(existsSync(await finalPath(batch))).toBe(false);
    expect(await listFiles(path.join(configDir, 'out'))).toEqual([]);

    const healthy = createFileSink();
    const retry = await healthy.create(healthy.validate({ dir: 'out' }), ctx());
    await retry.send(batch, testSendContext({ attempt: 2 }));
    expect(new Uint8Array(await readFile(await finalPath(batch)))).toEqual(batch.body);
    expect(await readAllRecords(path.join(configDir, 'out'))).toEqual(batch.records);
  });

  it('an abort during the write leaves nothing under the final name', async () => {
    const batch = await bigBatch();
    const controller = new AbortController();
    // Abort as soon as the first chunk is on disk; the writer checks the signal before the next one.
    const aborting: AtomicFs = {
      ...nodeFs,
      async open(file, flags, mode) {
        const handle = await nodeFs.open(file, flags, mode);
        if (flags !== 'wx' || path.basename(file).startsWith('.k8stream-probe-')) return handle;
        return {
          write: async (b, o, l, p) => {
            const r = await handle.write(b, o, l, p);
            controller.abort(new Error('send timed out'));
            return r;
          },
          sync: () => handle.sync(),
          chmod: (m) => handle.chmod(m),
          close: () => handle.close(),
        };
      },
    };
    const sink = createFileSink({ fs: aborting });
    const instance = await sink.create(sink.validate({ dir: 'out' }), ctx());
    await expect(instance.send(batch, testSendContext({ signal: controller.signal }))).rejects.toThrow('send timed out');
    expect(await listFiles(path.join(configDir, 'out'))).toEqual([]);
  });

  it('a process killed (SIGKILL) in the middle of a write leaves no file under the final name', async () => {
    const dist = path.join(here, '..', 'dist', 'index.js');
    expect(existsSync(dist), 'build first (npx tsc -b): the crash test runs the built sink in a child process').toBe(true);
    const batch = await bigBatch();
    const batchFile = path.join(configDir, 'batch.json');
    const { body, ...meta } = batch;
    await writeFile(batchFile, JSON.stringify({ ...meta, body: Buffer.from(body).toString('base64') }));

    const child = fork(path.join(here, 'crash-writer.fixture.mjs'), [configDir, batchFile], { stdio: 'inherit' });
    const [message] = (await once(child, 'message')) as [{ partial: string }];
    // The child has written one chunk of the temp file and is stalled mid-write: kill it now.
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    const [, signal] = await exited;
    expect(signal).toBe('SIGKILL');

    const final = await finalPath(batch);
    expect(existsSync(final)).toBe(false);
    const left = await listFiles(path.join(configDir, 'out'));
    expect(left).toEqual([message.partial]);
    expect(isTempFile(message.partial)).toBe(true);
    expect((await stat(message.partial)).size).toBe(1024 * 1024);

    // The core retries the batch (same id) after the restart: the whole file appears under the final name.
    const sink = createFileSink();
    const instance = await sink.create(sink.validate({ dir: 'out' }), ctx());
    await instance.send(batch, testSendContext({ attempt: 2 }));
    expect(new Uint8Array(await readFile(final))).toEqual(batch.body);
    expect((await listFiles(path.join(configDir, 'out'))).filter((f) => !isTempFile(f))).toEqual([final]);
  });
});
