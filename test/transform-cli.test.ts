// `k8stream transform test|bench|new|inspect`: the authoring loop as an author meets it.
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.fixture.js';
import { WASM_FIXTURES_DIR, compileWatSource, writeWasm } from './fixtures/wasm/compile.js';

/** Real Extism PDK plugins (read-only). */
const EXTISM = '/work/shared/extism-modules';

let dir: string;
let server: http.Server;
let origin: string;
let requests = 0;
const served = { schema: 'k8stream.event/v1', id: 'from-http', reason: 'Fetched' };
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'k8stream-tcli-'));
  server = http.createServer((req, res) => {
    requests++;
    if (req.url === '/record') res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(served));
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

describe('k8stream transform', () => {
  it('test: runs the built-in redact on an --event file and shows the replaced record', async () => {
    const event = {
      metadata: { uid: 'u-1', resourceVersion: '7', namespace: 'shop', name: 'e1' },
      involvedObject: { kind: 'Pod', name: 'web-1', namespace: 'shop' },
      reason: 'Failed',
      type: 'Warning',
      message: 'login failed: password=hunter2 for ops@example.com',
      count: 1,
    };
    const file = join(dir, 'event.json');
    await writeFile(file, JSON.stringify(event));
    const r = await runCli(['transform', 'test', 'redact', '--event', file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/record u-1:7: replaced \(\d+ µs\)/);
    expect(r.stdout).not.toContain('hunter2');
    expect(r.stdout).not.toContain('ops@example.com');
    expect(r.stdout).toContain('[REDACTED:');
  });

  it('test: reports a drop, and an error from the error channel with exit 1', async () => {
    const drop = await writeWasm(dir, 'drop');
    const dropped = await runCli(['transform', 'test', drop]);
    expect(dropped.code).toBe(0);
    expect(dropped.stdout.match(/: dropped \(\d+ µs\)/g)).toHaveLength(3);
    const error = await writeWasm(dir, 'error');
    const failed = await runCli(['transform', 'test', error]);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/: error \[TRANSFORM_ERROR\]/);
  });

  it('test: fan-out and --config reach the module', async () => {
    const fanout = await writeWasm(dir, 'fanout');
    const r = await runCli(['transform', 'test', fanout]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/fan-out to \d+ records/);
  });

  it('bench: prints events/s and µs/event', async () => {
    const echo = await writeWasm(dir, 'echo');
    const r = await runCli(['transform', 'bench', echo, '--records', '2000']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\d+ events\/s, [\d.]+ µs\/event \(\d+-byte record, chain of 1, \d+ workers\)/);
  });

  it('new: scaffolds a project', async () => {
    const r = await runCli(['transform', 'new', 'team-tags'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('created');
    const files = await readdir(join(dir, 'team-tags'));
    expect(files).toEqual(expect.arrayContaining(['package.json', 'assembly']));
  });

  it("test --allow-host: the module's HTTP call succeeds with the flag and is refused without it", async () => {
    const module = await writeWasm(dir, 'http');
    const request = `request=${JSON.stringify({ url: `${origin}/record` })}`;
    const allowed = await runCli(['transform', 'test', module, '--config', request, '--allow-host', '127.0.0.1']);
    expect(allowed.stderr).toBe('');
    expect(allowed.code).toBe(0);
    expect(allowed.stdout.match(/: replaced \(\d+ µs\)/g)).toHaveLength(3);
    expect(allowed.stdout).toContain('"id": "from-http"');
    expect(requests).toBe(3);

    const before = requests;
    const refused = await runCli(['transform', 'test', module, '--config', request]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain('error [TRANSFORM_ERROR] not HTTP 200'); // no network: no answer
    expect(requests).toBe(before);

    const other = await runCli(['transform', 'test', module, '--config', request, '--allow-host', '*.example.com', '--allow-host', 'api.example.com']);
    expect(other.code).toBe(1);
    expect(other.stdout).toContain(`error [TRANSFORM_TRAP] http_request to ${origin} is not allowed (allowedHosts: *.example.com, api.example.com)`);
    expect(requests).toBe(before);
  });

  it('--allow-host takes a host name, not a host:port or a URL, and says so', async () => {
    const module = await writeWasm(dir, 'http');
    for (const value of ['127.0.0.1:8080', 'https://api.example.com', '']) {
      const r = await runCli(['transform', 'test', module, '--allow-host', value]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`--allow-host: expected a host name`);
      expect(r.stderr).toContain(`got "${value}"`);
    }
  });

  it('test --allow-path HOST:GUEST opens a directory (relative to the cwd) to a WASI module', async () => {
    const module = await writeWasm(dir, 'wasi');
    await mkdir(join(dir, 'data'), { recursive: true });
    const granted = await runCli(['transform', 'test', module, '--allow-path', './data:/data'], { cwd: dir });
    expect(granted.code).toBe(0);
    expect(granted.stdout).toContain('"errno": 0');
    const denied = await runCli(['transform', 'test', module], { cwd: dir });
    expect(denied.code).toBe(0);
    expect(denied.stdout).toContain('"errno": 8'); // EBADF: no directory

    const missing = await runCli(['transform', 'test', module, '--allow-path', './nowhere:/data'], { cwd: dir });
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain(`--allow-path ./nowhere:/data: ${join(dir, 'nowhere')} is not a directory`);
    const malformed = await runCli(['transform', 'test', module, '--allow-path', './data'], { cwd: dir });
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain('--allow-path: expected HOST:GUEST');
  });

  it('bench --function calls the named export; without it a module that exports no `transform` is refused', async () => {
    const echo = await readFile(join(WASM_FIXTURES_DIR, 'echo.wat'), 'utf8');
    expect(echo).toContain('(export "transform")');
    const module = join(dir, 'echo-run.wasm');
    await writeFile(module, await compileWatSource(echo.replace('(export "transform")', '(export "run")')));

    const r = await runCli(['transform', 'bench', module, '--function', 'run', '--records', '500']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/echo-run\.wasm run\(\): \d+ events\/s/);
    expect(r.stdout).not.toContain('warning');

    const refused = await runCli(['transform', 'bench', module, '--records', '500']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('does not export a function named "transform" (it exports "run")');
  });

  it('bench warns when calls fail, so an error is not mistaken for a speed', async () => {
    const module = await writeWasm(dir, 'error');
    const r = await runCli(['transform', 'bench', module, '--records', '500']);
    expect(r.code).toBe(0);
    // The circuit breaker opens after the first failures of the warm-up: the module is not called.
    expect(r.stdout).toMatch(/warning: 500 calls failed while measuring 500 records, \d+ of them short-circuited by the circuit breaker without calling the module/);
  });

  it('inspect: an Extism-only module loads and runs on the fast kernel', async () => {
    const r = await runCli(['transform', 'inspect', join(EXTISM, 'hello-from-rust.wasm'), '--function', 'hello']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ {2}function hello +\(\) -> i32$/m);
    expect(r.stdout).toMatch(/^ {2}extism:host\/env \(8\)$/m);
    expect(r.stdout).toMatch(/^ {4}function alloc +\(i64\) -> i64$/m);
    expect(r.stdout).toMatch(/^ {2}wasi_snapshot_preview1 \(none\)$/m);
    expect(r.stdout).toContain('function  "hello": exported');
    expect(r.stdout).toMatch(/^kernel {4}fast: /m);
    expect(r.stdout).toContain('loadable  yes');
  });

  it('inspect: without --function, says the module does not export `transform` and exits 1 naming the file', async () => {
    const file = join(EXTISM, 'hello-from-rust.wasm');
    const r = await runCli(['transform', 'inspect', file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('function  "transform": not exported (its functions: hello; choose one with --function NAME)');
    expect(r.stdout).toContain('loadable  no');
    expect(r.stderr.split('\n')[0]).toBe(`error: [TRANSFORM_INVALID] transform "hello-from-rust" (${file}): does not export a function named "transform" (it exports "hello")`);
  });

  it('inspect --json: a module with a foreign import is not loadable, and the import is named', async () => {
    const file = join(EXTISM, 'code-functions-c.wasm');
    const r = await runCli(['transform', 'inspect', file, '--function', 'count_vowels', '--json']);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(report).toMatchObject({ module: file, function: 'count_vowels', exportsFunction: true, loadable: false, kernel: null });
    expect((report.imports as { module: string }[]).map((g) => g.module)).toEqual(['extism:host/env', 'wasi_snapshot_preview1', 'extism:host/user']);
    expect(report.problems).toEqual([
      expect.objectContaining({ code: 'TRANSFORM_INVALID', message: expect.stringContaining('imports extism:host/user.hello_world (function), which k8stream does not provide') }),
    ]);
    expect(r.stderr).toMatch(/^error: \[TRANSFORM_INVALID\] transform "code-functions-c" \(.*code-functions-c\.wasm\): imports extism:host\/user\.hello_world/);
  });

  it('inspect: a file that is not WebAssembly, or no file at all, is a one-line coded error naming it', async () => {
    const bogus = join(dir, 'bogus.wasm');
    await writeFile(bogus, 'not wasm');
    const r = await runCli(['transform', 'inspect', bogus]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.startsWith(`error: [TRANSFORM_INVALID] transform "bogus" (${bogus}): not a valid WebAssembly module`)).toBe(true);
    const missing = await runCli(['transform', 'inspect', join(dir, 'missing.wasm')]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/^error: \[[A-Z_]+\] .*missing\.wasm/);
  });

  it('inspect: a package name works like in `use:` (the built-in redact)', async () => {
    const r = await runCli(['transform', 'inspect', 'redact']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('function  "transform": exported');
  });

  it('a flag another subcommand takes is refused, naming the flag', async () => {
    const r = await runCli(['transform', 'test', 'x.wasm', '--records', '5']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--records is not an option of `transform test`');
    const empty = await runCli(['transform', 'bench', 'x.wasm', '--function', ' ']);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('--function: expected the name of an exported function');
  });

  it('--help lists inspect and the sandbox flags', async () => {
    const r = await runCli(['transform', '--help']);
    expect(r.code).toBe(0);
    for (const text of ['transform inspect <module>', '--json', '--function NAME', '--allow-host HOST', '--allow-path HOST:GUEST']) expect(r.stdout).toContain(text);
  });

  it('usage errors exit 2 with a hint', async () => {
    const r = await runCli(['transform', 'frobnicate', 'x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown transform command');
  });
});
