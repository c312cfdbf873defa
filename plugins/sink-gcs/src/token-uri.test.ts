import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GOOGLE_TOKEN_URL, customTokenUri, tokenUriTransport } from './token-uri.js';
import { storageOptions, validateGcsSinkConfig } from './index.js';

let dir: string;
const keyFile = async (name: string, content: Record<string, unknown> | string): Promise<string> => {
  const file = path.join(dir, name);
  await writeFile(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
};
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'k8stream-token-uri-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('gcs sink: the key file token_uri', () => {
  it('is found for a service-account key naming another endpoint, and only then', async () => {
    const sa = { type: 'service_account', client_email: 'a@p.iam.gserviceaccount.com', private_key: 'x' };
    expect(customTokenUri(await keyFile('custom.json', { ...sa, token_uri: 'http://127.0.0.1:9/token' }))).toBe('http://127.0.0.1:9/token');
    expect(customTokenUri(await keyFile('google.json', { ...sa, token_uri: GOOGLE_TOKEN_URL }))).toBeUndefined();
    expect(customTokenUri(await keyFile('none.json', sa))).toBeUndefined();
    expect(customTokenUri(await keyFile('user.json', { type: 'authorized_user', token_uri: 'http://127.0.0.1:9/token' }))).toBeUndefined();
    expect(customTokenUri(await keyFile('broken.json', '{not json'))).toBeUndefined();
    expect(customTokenUri(path.join(dir, 'missing.json'))).toBeUndefined();
  });

  it('routes requests for Google’s token endpoint there and leaves every other request alone', async () => {
    const adapter = tokenUriTransport('http://127.0.0.1:9/token').adapter!;
    const seen: string[] = [];
    const next = async (o: { url: URL }) => {
      seen.push(String(o.url));
      return {} as never;
    };
    const call = (url: string) => adapter({ url: new URL(url) } as Parameters<typeof adapter>[0], next as Parameters<typeof adapter>[1]);
    await call(GOOGLE_TOKEN_URL);
    await call('https://storage.googleapis.com/storage/v1/b/events');
    expect(seen).toEqual(['http://127.0.0.1:9/token', 'https://storage.googleapis.com/storage/v1/b/events']);
  });

  it('is wired into the client options, and a key file turns auth on for a custom endpoint unless told otherwise', async () => {
    await keyFile('sa.json', { type: 'service_account', token_uri: 'http://127.0.0.1:9/token' });
    const withKey = storageOptions(validateGcsSinkConfig({ bucket: 'events', keyFilename: 'sa.json', apiEndpoint: 'http://127.0.0.1:8' }), dir);
    expect(withKey.useAuthWithCustomEndpoint).toBe(true);
    expect((withKey.clientOptions as { transporterOptions?: { adapter?: unknown } } | undefined)?.transporterOptions?.adapter).toBeTypeOf('function');
    const off = storageOptions(validateGcsSinkConfig({ bucket: 'events', keyFilename: 'sa.json', apiEndpoint: 'http://127.0.0.1:8', useAuthWithCustomEndpoint: false }), dir);
    expect(off.useAuthWithCustomEndpoint).toBe(false);
    const noKey = storageOptions(validateGcsSinkConfig({ bucket: 'events', apiEndpoint: 'http://127.0.0.1:8' }), dir);
    expect(noKey.useAuthWithCustomEndpoint).toBe(false);
    expect(noKey.clientOptions).toBeUndefined();
  });
});
