// Issue 14: the binary's modules must not load Node's bundled undici (≈ 14 MB RSS for a `node`
// that only imports `node:http`) at idle. An ES-module import of `node:http` anywhere in what the
// binary loads would do it (see node-http.ts). This runs a fresh `node` on the BUILT code
// (core/dist, as `npm test` builds it first) doing what the binary does before `run` starts the
// pipeline: the process set-up, core's entry, the CLI and the file sink plugin.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { STATUS_CODES, http } from './node-http.js';

const dist = (p: string): string => new URL(`../../dist/${p}`, import.meta.url).href;
const fileSink = new URL('../../../plugins/sink-file/dist/index.js', import.meta.url).href;

describe('node-http', () => {
  it('is the real node:http module, read without its WebSocket getters', () => {
    expect(http).toBe(createRequire(import.meta.url)('node:http'));
    expect(STATUS_CODES[503]).toBe('Service Unavailable');
  });

  it("the binary's modules (set-up, core, CLI, file sink) load no undici", () => {
    const script = `
(await import(${JSON.stringify(dist('cli/process-setup.js'))})).setupProcess();
await import(${JSON.stringify(dist('index.js'))});
await import(${JSON.stringify(dist('cli/commands.js'))});
await import(${JSON.stringify(fileSink)});
console.log(JSON.stringify(process.moduleLoadList.filter((m) => m.includes('undici'))));
`;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual([]);
  });
});
