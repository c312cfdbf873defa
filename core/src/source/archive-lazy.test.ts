// Issue 14: `k8stream run` with a Kubernetes or replay source must not load the archive replay
// (the forensics archive readers and Parquet: about 2.3 MB of idle RSS). A child process imports
// the built CLI commands with a module hook recording every module loaded, and nothing under
// `source/archive/` or `forensics/` may be among them, except `forensics/time-args.js` (the time
// parser the config uses for the archive window; it imports only errors.js). Creating an archive
// source does not load the replay either: only pulling its stream does.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const DIST = fileURLToPath(new URL('../../dist/', import.meta.url));

/** The `file:` URLs of the modules a child process loaded while running `body` (an ES module script). */
function loadedModules(body: string): string[] {
  const script = `
import { registerHooks } from 'node:module';
const loaded = [];
registerHooks({ load(url, context, next) { if (url.startsWith('file:')) loaded.push(url); return next(url, context); } });
${body}
process.stdout.write(JSON.stringify(loaded));
`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', cwd: DIST });
  return (JSON.parse(out) as string[]).map((url) => (url.startsWith('file:') ? fileURLToPath(url).slice(DIST.length).replaceAll('\\', '/') : url));
}

/** The loaded modules of the archive replay (time-args.js aside). */
const archiveModules = (loaded: string[]): string[] => loaded.filter((m) => (m.startsWith('source/archive/') || m.startsWith('forensics/')) && m !== 'forensics/time-args.js');

describe('the archive replay is loaded only when an archive is replayed (issue 14)', () => {
  it('is built', () => {
    expect(existsSync(`${DIST}cli/commands.js`), 'run `npm run build` first').toBe(true);
  });

  it('importing the CLI commands loads no source/archive or forensics module', () => {
    const loaded = loadedModules(`await import(${JSON.stringify(`${DIST}cli/commands.js`)});`);
    expect(loaded).toContain('cli/commands.js');
    expect(loaded).toContain('runtime.js');
    expect(loaded).toContain('source/archive-source.js');
    expect(archiveModules(loaded)).toEqual([]);
  });

  it('creating an archive source loads nothing more; pulling its stream loads the replay', () => {
    const loaded = loadedModules(`
const { createSource } = await import(${JSON.stringify(`${DIST}source/index.js`)});
const source = createSource({ type: 'archive', archive: { location: './no-such-archive', from: '-2h', to: 'now', cluster: null, endpoint: null, region: null, forcePathStyle: false, layout: null } }, { dir: process.cwd() });
const it = source.stream({ signal: new AbortController().signal, logger: { debug() {}, info() {}, warn() {}, error() {}, child() { return this; } } })[Symbol.asyncIterator]();
loaded.push('--- stream');
await it.next().catch(() => undefined);
`);
    const split = loaded.indexOf('--- stream');
    expect(split).toBeGreaterThan(0);
    expect(archiveModules(loaded.slice(0, split))).toEqual([]);
    expect(loaded.slice(split)).toContain('source/archive/index.js');
  });
});
