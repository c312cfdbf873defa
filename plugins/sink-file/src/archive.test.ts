/** Reading back the file sink's directory: batches written by its own `send`, listed and read through its `archive` hook. */
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ArchiveReader, Batch } from '@k8stream/core';
import { makeTestBatch, sampleRecord, testSendContext, testSinkContext } from '@k8stream/core/testing';
import { createFileSink } from './index.js';

let configDir: string;
beforeEach(async () => {
  configDir = await mkdtemp(path.join(os.tmpdir(), 'k8stream-file-archive-'));
});
afterEach(async () => {
  await rm(configDir, { recursive: true, force: true });
});

const ctx = () => testSinkContext({ name: 'archive', configDir });

/** A batch of two records whose earliest event is at `iso`. */
function batchAt(iso: string, i: number, cluster = 'demo'): Promise<Batch<unknown>> {
  const t = Date.parse(iso);
  const records = [0, 1].map((k) => {
    const time = new Date(t + k * 1000).toISOString();
    return sampleRecord(i * 10 + k, { cluster, firstTimestamp: time, lastTimestamp: time });
  });
  return makeTestBatch(records, undefined, { sink: 'archive', cluster });
}

/** Writes the batches with the sink's own `send`, and opens its reader. */
async function writeAndOpen(raw: Record<string, unknown>, batches: Batch<unknown>[]): Promise<ArchiveReader> {
  const sink = createFileSink();
  const config = sink.validate(raw);
  const instance = await sink.create(config, ctx());
  for (const b of batches) await instance.send(b, testSendContext());
  await instance.close?.();
  return sink.archive!(config, ctx());
}

describe('file sink: archive reader', () => {
  it('lists every batch file in key order, and reads each back byte for byte', async () => {
    const batches = await Promise.all([batchAt('2026-12-08T11:20:00Z', 1), batchAt('2026-12-08T09:05:00Z', 2), batchAt('2026-12-08T10:00:00Z', 3, 'other')]);
    const reader = await writeAndOpen({ dir: 'out' }, batches);
    expect(reader.template).toBe('{cluster}/{yyyy}/{MM}/{dd}/{HH}/{batchId}{ext}');
    expect(reader.templateValues).toEqual({});
    expect(reader.describe()).toBe(path.join(configDir, 'out'));
    const keys = [`demo/2026/12/08/09/${batches[1].id}.ndjson.gz`, `demo/2026/12/08/11/${batches[0].id}.ndjson.gz`, `other/2026/12/08/10/${batches[2].id}.ndjson.gz`];
    const all = await reader.list('');
    expect(all.objects.map((o) => o.key)).toEqual(keys);
    expect(all.objects.map((o) => o.size)).toEqual([batches[1], batches[0], batches[2]].map((b) => b.body.byteLength));
    expect(all.prefixes).toEqual([]);
    expect(await reader.read(keys[0]!)).toEqual(batches[1].body);
    expect(reader.localPath?.(keys[0]!)).toBe(path.join(configDir, 'out', ...keys[0]!.split('/')));
  });

  it('lists under a prefix that ends inside a level, and folds levels into prefixes with a delimiter', async () => {
    const batches = await Promise.all([batchAt('2026-12-08T09:05:00Z', 1), batchAt('2026-12-08T10:00:00Z', 2), batchAt('2026-12-08T10:00:00Z', 3, 'other')]);
    const reader = await writeAndOpen({ dir: 'out' }, batches);
    expect((await reader.list('', { delimiter: '/' })).prefixes).toEqual(['demo/', 'other/']);
    expect(await reader.list('demo/2026/12/08/', { delimiter: '/' })).toEqual({ objects: [], prefixes: ['demo/2026/12/08/09/', 'demo/2026/12/08/10/'] });
    expect((await reader.list('demo/2026/12/08/1')).objects.map((o) => o.key)).toEqual([`demo/2026/12/08/10/${batches[1].id}.ndjson.gz`]);
    expect((await reader.list('de')).objects).toHaveLength(2);
    expect(await reader.list('demo/2027/')).toEqual({ objects: [], prefixes: [] });
    expect(await reader.list('demo/2026/12/08/09/nothing-here')).toEqual({ objects: [], prefixes: [] });
  });

  it('follows a custom path template, and lists files other than batches as they are', async () => {
    const batch = await batchAt('2026-01-02T03:04:05Z', 1);
    const reader = await writeAndOpen({ dir: 'events', path: '{sink}/dt={date}/{HH}{mm}-{batchId}{ext}' }, [batch]);
    await writeFile(path.join(configDir, 'events', 'archive', 'README.txt'), 'not a batch');
    expect(reader.template).toBe('{sink}/dt={date}/{HH}{mm}-{batchId}{ext}');
    expect((await reader.list('archive/')).objects.map((o) => o.key)).toEqual(['archive/README.txt', `archive/dt=2026-01-02/0304-${batch.id}.ndjson.gz`]);
  });

  it('follows symbolic links to files and directories', async () => {
    const batch = await batchAt('2026-01-02T03:04:05Z', 1);
    await writeAndOpen({ dir: 'real' }, [batch]);
    await mkdir(path.join(configDir, 'linked'));
    await symlink(path.join(configDir, 'real', 'demo'), path.join(configDir, 'linked', 'demo'));
    const reader = createFileSink().archive!(createFileSink().validate({ dir: 'linked' }), ctx()) as ArchiveReader;
    expect((await reader.list('')).objects.map((o) => o.key)).toEqual([`demo/2026/01/02/03/${batch.id}.ndjson.gz`]);
  });

  it('fails with ARCHIVE_UNAVAILABLE naming the directory when it is missing or not a directory', async () => {
    const sink = createFileSink();
    const missing = sink.archive!(sink.validate({ dir: 'nowhere' }), ctx()) as ArchiveReader;
    await expect(missing.list('')).rejects.toMatchObject({ code: 'ARCHIVE_UNAVAILABLE', message: `file archive ${path.join(configDir, 'nowhere')}: no such directory` });
    await writeFile(path.join(configDir, 'plain'), 'a file');
    const file = sink.archive!(sink.validate({ dir: 'plain' }), ctx()) as ArchiveReader;
    await expect(file.list('x/')).rejects.toMatchObject({ code: 'ARCHIVE_UNAVAILABLE', message: `file archive ${path.join(configDir, 'plain')}: not a directory` });
  });

  it('fails a read with ARCHIVE_READ_FAILED naming the key, and refuses keys that leave the directory', async () => {
    const reader = await writeAndOpen({ dir: 'out' }, [await batchAt('2026-01-02T03:04:05Z', 1)]);
    await expect(reader.read('demo/2026/01/02/03/gone.ndjson.gz')).rejects.toMatchObject({
      code: 'ARCHIVE_READ_FAILED',
      message: expect.stringMatching(/^file archive .*\/out: cannot read demo\/2026\/01\/02\/03\/gone\.ndjson\.gz: ENOENT/),
    });
    await expect(reader.read('../secret')).rejects.toMatchObject({ code: 'ARCHIVE_READ_FAILED', message: expect.stringContaining('"../secret" leaves the directory') });
    expect(reader.localPath?.('../secret')).toBeUndefined();
  });
});
