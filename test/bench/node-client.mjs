// The minimal Node client of scenario G (issue 14): what a few lines of plain Node do with the
// same list — pages with limit/continue, JSON.parse, re-encode each event as an NDJSON line, gzip
// every 10,000 events to a file. No library, no pipeline, no delivery guarantees: the yardstick.
//   node test/bench/node-client.mjs <kubeconfig> <out dir> [page size]
// Prints one JSON line at the end: { events, files, cpuSeconds, maxRssBytes } (its own resource usage).
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';

const gzipAsync = promisify(gzip);
const [kubeconfig, out, pageSize = '500'] = process.argv.slice(2);
const server = /server:\s*"?([^"\s]+)"?/.exec(await readFile(kubeconfig, 'utf8'))?.[1];
if (!server) throw new Error(`no server URL in ${kubeconfig}`);
await mkdir(out, { recursive: true });

let events = 0;
let files = 0;
let lines = [];
const flush = async () => {
  if (lines.length === 0) return;
  const body = await gzipAsync(lines.join('\n') + '\n');
  lines = [];
  await writeFile(join(out, `events-${String(++files).padStart(6, '0')}.ndjson.gz`), body);
};

let cont = '';
do {
  const url = `${server}/api/v1/events?limit=${pageSize}${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`;
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: ${res.status}`);
  const page = JSON.parse(await res.text());
  for (const item of page.items) {
    lines.push(JSON.stringify(item));
    events++;
    if (lines.length === 10_000) await flush();
  }
  cont = page.metadata?.continue ?? '';
} while (cont);
await flush();

const ru = process.resourceUsage();
process.stdout.write(JSON.stringify({ events, files, cpuSeconds: (ru.userCPUTime + ru.systemCPUTime) / 1e6, maxRssBytes: ru.maxRSS * 1024 }) + '\n');
