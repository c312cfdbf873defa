import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { startGcsServer } from './gcs-server.fixture.js';
import { testStorage } from './read-back.fixture.js';

const server = await startGcsServer();
afterAll(() => server.close());
beforeEach(() => server.reset(['b1']));

describe('GCS test server, driven by the real client', () => {
  it('takes a chunked resumable upload (308 with Range between chunks) and serves it back with x-goog-hash', async () => {
    const storage = testStorage(server.url);
    const data = Buffer.alloc(600 * 1024, 7);
    data.write('head', 0);
    await storage
      .bucket('b1')
      .file('big.bin')
      .save(data, { resumable: true, chunkSize: 256 * 1024, metadata: { contentType: 'application/octet-stream' } });
    const puts = server.requests.filter((r) => r.method === 'PUT');
    expect(puts.length).toBe(3);
    const [downloaded] = await storage.bucket('b1').file('big.bin').download();
    expect(downloaded.equals(data)).toBe(true);
    const media = await fetch(`${server.url}/storage/v1/b/b1/o/big.bin?alt=media`);
    expect(media.headers.get('x-goog-hash')).toMatch(/^crc32c=[A-Za-z0-9+/]{6}==,md5=[A-Za-z0-9+/]{22}==$/);
  });

  it('lists with prefix, delimiter and page tokens', async () => {
    for (const name of ['a/1', 'a/2', 'a/3', 'a/x/4', 'b/5']) {
      server.putObject('b1', { name, data: Buffer.from(name), contentType: undefined, contentEncoding: undefined, metadata: {} });
    }
    const storage = testStorage(server.url);
    const [page1, next1] = await storage.bucket('b1').getFiles({ prefix: 'a/', maxResults: 2, autoPaginate: false });
    expect(page1.map((f) => f.name)).toEqual(['a/1', 'a/2']);
    expect(next1).toMatchObject({ prefix: 'a/', maxResults: 2, pageToken: expect.any(String) });
    const [page2, next2] = await storage.bucket('b1').getFiles({ ...next1, autoPaginate: false });
    expect(page2.map((f) => f.name)).toEqual(['a/3', 'a/x/4']);
    expect(next2).toBeNull();
    const [all] = await storage.bucket('b1').getFiles({ prefix: 'a/' });
    expect(all.map((f) => f.name)).toEqual(['a/1', 'a/2', 'a/3', 'a/x/4']);
    const [top, , response] = await storage.bucket('b1').getFiles({ prefix: 'a/', delimiter: '/', autoPaginate: false });
    expect(top.map((f) => f.name)).toEqual(['a/1', 'a/2', 'a/3']);
    expect((response as { prefixes?: string[] }).prefixes).toEqual(['a/x/']);
  });

  it('answers 412 to ifGenerationMatch=0 on an existing object, and 404 for a missing bucket', async () => {
    const file = testStorage(server.url).bucket('b1').file('once');
    await file.save('one', { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } });
    await expect(file.save('two', { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } })).rejects.toMatchObject({ code: 412 });
    expect(server.buckets.get('b1')?.get('once')?.data.toString()).toBe('one');
    expect(await testStorage(server.url).bucket('nope').exists()).toEqual([false]);
    expect(await testStorage(server.url).bucket('b1').exists()).toEqual([true]);
  });

  it('accepts JSON paths with and without /storage/v1 (STORAGE_EMULATOR_HOST style)', async () => {
    server.putObject('b1', { name: 'x/y', data: Buffer.from('hi'), contentType: 'text/plain', contentEncoding: undefined, metadata: {} });
    const withPrefix = (await (await fetch(`${server.url}/storage/v1/b/b1/o/x%2Fy`)).json()) as Record<string, unknown>;
    const without = (await (await fetch(`${server.url}/b/b1/o/x%2Fy`)).json()) as Record<string, unknown>;
    expect(withPrefix['name']).toBe('x/y');
    expect(without['crc32c']).toBe(withPrefix['crc32c']);
    expect(without['size']).toBe('2');
  });
});
