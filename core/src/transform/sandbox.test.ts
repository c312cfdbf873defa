import { mkdtemp, rm } from 'node:fs/promises';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TransformConfig } from '../config/types.js';
import type { DeadLetterRecord } from '../dispatch/types.js';
import { silentLogger } from '../util/logger.js';
import { transformConfig, writeWasm } from '../../../test/fixtures/wasm/compile.js';
import { benchRecord } from './bench.js';
import { hostAllowed } from './http.js';
import { createTransformStage } from './stage.js';
import type { WasmTransformStage } from './stage.js';
import { recordKernels } from './kernels.fixture.js';

// Which kernel each worker ran: the default run and the *.sdk.test.ts re-run are checked at the end.
const kernels = recordKernels();

let dir: string;
let server: http.Server;
let origin: string;
const served = { schema: 'k8stream.event/v1', id: 'from-http', reason: 'Fetched' };
const hanging: http.ServerResponse[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'k8stream-sandbox-'));
  await Promise.all([writeWasm(dir, 'http'), writeWasm(dir, 'wasi')]);
  server = http.createServer((req, res) => {
    if (req.url === '/record') res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(served));
    else if (req.url === '/never')
      hanging.push(res); // answers only when the test ends
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const res of hanging) res.destroy();
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

const open: WasmTransformStage[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

async function run(config: TransformConfig): Promise<{ out: unknown[]; letters: DeadLetterRecord[] }> {
  const letters: DeadLetterRecord[] = [];
  const stage = await createTransformStage([config], {
    configDir: dir,
    deadLetter: {
      write: async (r) => {
        letters.push(...r);
      },
    },
    logger: silentLogger,
    workers: 1,
  });
  open.push(stage);
  const out = await stage.apply([benchRecord()]);
  return { out, letters };
}

describe('network: deny by default', () => {
  const request = () => ({ request: { url: `${origin}/record`, method: 'GET' } });

  it('serves http_request to an allowed host', async () => {
    const { out, letters } = await run(transformConfig('./http.wasm', { config: request(), allowedHosts: ['127.0.0.1'] }));
    expect(letters).toEqual([]);
    expect(out).toEqual([served]);
  });

  it('refuses a host not on the list: the call fails', async () => {
    const { out, letters } = await run(transformConfig('./http.wasm', { config: request(), allowedHosts: ['*.example.com'] }));
    expect(out).toEqual([]);
    expect(letters.map((l) => l.error)).toEqual([{ code: 'TRANSFORM_TRAP', message: `http_request to ${origin} is not allowed (allowedHosts: *.example.com)` }]);
  });

  it('stops a call blocked on a request that never answers at its deadline', async () => {
    const t0 = performance.now();
    const { out, letters } = await run(transformConfig('./http.wasm', { config: { request: { url: `${origin}/never` } }, allowedHosts: ['127.0.0.1'], timeoutMs: 200 }));
    expect(out).toEqual([]);
    expect(letters.map((l) => l.error.code)).toEqual(['TRANSFORM_TIMEOUT']);
    expect(performance.now() - t0).toBeLessThan(5000);
  });

  it('gives a module without allowedHosts no network at all', async () => {
    const { out, letters } = await run(transformConfig('./http.wasm', { config: request() }));
    expect(out).toEqual([]);
    // The SDK's http_request stub answers nothing; the module reports it.
    expect(letters.map((l) => l.error)).toEqual([{ code: 'TRANSFORM_ERROR', message: 'not HTTP 200' }]);
  });

  it('matches hosts exactly or by *.suffix', () => {
    expect(hostAllowed('api.example.com', 'api.example.com')).toBe(true);
    expect(hostAllowed('API.example.com', 'api.example.com')).toBe(true);
    expect(hostAllowed('a.b.example.com', '*.example.com')).toBe(true);
    expect(hostAllowed('example.com', '*.example.com')).toBe(false);
    expect(hostAllowed('evilexample.com', '*.example.com')).toBe(false);
    expect(hostAllowed('anything', '*')).toBe(true);
  });
});

describe('filesystem: deny by default', () => {
  it('instantiates WASI modules with no directory unless allowedPaths grants one', async () => {
    const denied = await run(transformConfig('./wasi.wasm'));
    expect(denied.out).toEqual([{ schema: 'k8stream.event/v1', id: 'wasi', errno: 8 }]); // EBADF: no preopen
    // Given a directory, the module runs on the SDK path (real files); without, on the fast kernel.
    const granted = await run(transformConfig('./wasi.wasm', { name: 'wasi-files', allowedPaths: { '/data': '.' } }));
    expect(granted.out).toEqual([{ schema: 'k8stream.event/v1', id: 'wasi', errno: 0 }]);
  });
});

describe('kernel', () => {
  it('every transform worker ran on the kernel this run asked for (transforms given allowedPaths: the SDK)', () => {
    expect(kernels.reported.length).toBeGreaterThan(0);
    expect(kernels.unexpected(['wasi-files'])).toEqual([]);
  });
});
