/**
 * `k8stream transform new|test|bench|inspect`: the authoring loop for WASM transforms.
 *   new <name>                    scaffold a buildable AssemblyScript transform
 *   test <module> [options]       run it on sample records (or --event FILE) and show the outcome
 *   bench <module> [options]      measure it through the worker pool
 *   inspect <module> [options]    exports, imports, loadability and the kernel it would run on
 * Options: --config k=v, --function NAME, --allow-host H, --allow-path HOST:GUEST (test, bench,
 * inspect); --event FILE (test); --records N, --chain N (bench); --json (inspect).
 */
import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { K8streamError } from '../errors.js';
import { validateConfig } from '../config/index.js';
import { toRecord } from '../record/map.js';
import type { EventRecord } from '../record/types.js';
import { sampleRecords } from '../testing/records.js';
import { scaffoldTransform } from '../transform/scaffold.js';
import { runTransformOnce } from '../transform/run-once.js';
import { benchTransform } from '../transform/bench.js';
import { formatInspection, inspectTransform, inspectionJson } from '../transform/inspect.js';

export const TRANSFORM_HELP = `k8stream transform — write and try WebAssembly transforms

Usage:
  k8stream transform new <name>                 scaffold an AssemblyScript transform project in ./<name>
  k8stream transform test <module> [options]    run a module on sample records and print the outcome
      --event FILE        a record, a Kubernetes Event, a JSON array of either, or NDJSON
  k8stream transform bench <module> [options]   measure µs per event through the worker pool
      --records N         records to measure (default 20000)
      --chain N           run the module N times in a chain (default 1)
  k8stream transform inspect <module> [options] list exports and imports, say whether k8stream
                                                loads it and which kernel would run it
      --json              machine-readable output

Options of test, bench and inspect (the transform's settings in .k8streamrc):
      --config KEY=VALUE      transform config (repeatable)
      --function NAME         exported function to call (default: transform)
      --allow-host HOST       host http_request may reach: api.example.com, *.example.com,
                              127.0.0.1 (any port; repeatable; default: no network)
      --allow-path HOST:GUEST directory HOST (relative to the current directory) opened to the
                              module as GUEST through WASI (repeatable; default: no filesystem)

<module> is a path to a .wasm file, an npm package (redact → @k8stream/transform-redact), or an
https URL with #sha256=<hex>. inspect exits 1 when k8stream would refuse the module.
`;

export interface TransformIo {
  stdout: NodeJS.WritableStream;
  cwd: string;
}

function usage(message: string): K8streamError {
  return new K8streamError('CONFIG_INVALID', message, { hint: 'run `k8stream transform --help`' });
}

function parseConfigPairs(pairs: readonly string[]): Record<string, string> {
  const config: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw usage(`--config: expected KEY=VALUE, got "${pair}"`);
    config[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return config;
}

/** Records from a file: k8stream records pass as they are, Kubernetes Events are mapped. */
async function readEvents(file: string): Promise<EventRecord[]> {
  const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new K8streamError('SOURCE_INPUT_INVALID', `cannot read --event file ${file}: ${err.code ?? err.message}`, { path: file });
  });
  let values: unknown[];
  try {
    const parsed = JSON.parse(text) as unknown;
    values = Array.isArray(parsed) ? parsed : [parsed];
  } catch {
    try {
      values = text
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as unknown);
    } catch (err) {
      throw new K8streamError('SOURCE_INPUT_INVALID', `--event file ${file} is neither JSON nor NDJSON: ${(err as Error).message}`, { path: file });
    }
  }
  return values.map((v, i) => {
    const obj = v as Record<string, unknown>;
    if (obj && obj.schema === 'k8stream.event/v1') return obj as unknown as EventRecord;
    const event = obj && typeof obj.object === 'object' && obj.type ? (obj.object as Record<string, unknown>) : obj;
    try {
      return toRecord(event, { cluster: 'test', action: 'ADDED' });
    } catch (err) {
      throw new K8streamError('EVENT_INVALID', `--event file ${file}, item ${i}: ${(err as Error).message}`, { path: file });
    }
  });
}

/** Flags each subcommand takes (besides --help). */
const SUBCOMMAND_FLAGS: Record<string, readonly string[]> = {
  new: [],
  test: ['event', 'config', 'function', 'allow-host', 'allow-path'],
  bench: ['config', 'function', 'allow-host', 'allow-path', 'records', 'chain'],
  inspect: ['config', 'function', 'allow-host', 'allow-path', 'json'],
};

/** `--allow-host` values: host names or patterns, matched against the URL's host name (any port). */
function parseAllowedHosts(hosts: readonly string[]): string[] {
  for (const host of hosts) {
    const bad = host.trim() === '' || host.includes('/') || /^[^[\]]*:/.test(host);
    if (bad) {
      throw usage(`--allow-host: expected a host name (api.example.com, *.example.com, 127.0.0.1), got "${host}": it matches the host of any port and scheme`);
    }
  }
  return hosts.map((h) => h.trim());
}

/** `--allow-path HOST:GUEST` values, as `allowedPaths` (guest → host, resolved against `cwd`). */
function parseAllowedPaths(pairs: readonly string[], cwd: string): Record<string, string> {
  const paths: Record<string, string> = {};
  for (const pair of pairs) {
    const colon = pair.indexOf(':');
    const host = colon < 0 ? '' : pair.slice(0, colon);
    const guest = colon < 0 ? '' : pair.slice(colon + 1);
    if (host === '' || guest === '') throw usage(`--allow-path: expected HOST:GUEST (e.g. ./data:/data), got "${pair}"`);
    const abs = resolve(cwd, host);
    let dir: boolean;
    try {
      dir = statSync(abs).isDirectory();
    } catch {
      dir = false;
    }
    if (!dir) throw new K8streamError('CONFIG_INVALID', `--allow-path ${pair}: ${abs} is not a directory`, { path: abs });
    paths[guest] = abs;
  }
  return paths;
}

export async function transformCommand(argv: readonly string[], io: TransformIo): Promise<number> {
  const { values, positionals, tokens } = (() => {
    try {
      return parseArgs({
        args: [...argv],
        allowPositionals: true,
        tokens: true,
        options: {
          event: { type: 'string' },
          config: { type: 'string', multiple: true },
          function: { type: 'string' },
          'allow-host': { type: 'string', multiple: true },
          'allow-path': { type: 'string', multiple: true },
          records: { type: 'string' },
          chain: { type: 'string' },
          json: { type: 'boolean' },
          help: { type: 'boolean', short: 'h' },
        },
      });
    } catch (err) {
      throw usage((err as Error).message);
    }
  })();
  const [sub, arg] = positionals;
  if (values.help || sub === undefined || sub === 'help') {
    io.stdout.write(TRANSFORM_HELP);
    return 0;
  }
  const allowed = SUBCOMMAND_FLAGS[sub];
  if (!allowed) throw usage(`unknown transform command "${sub}" (new, test, bench, inspect)`);
  for (const token of tokens) {
    if (token.kind === 'option' && token.name !== 'help' && !allowed.includes(token.name)) {
      throw usage(`${token.rawName} is not an option of \`transform ${sub}\``);
    }
  }
  if (positionals.length > 2) throw usage(`unexpected argument "${positionals[2]}"`);
  if (!arg) throw usage(`transform ${sub}: missing ${sub === 'new' ? '<name>' : '<module>'}`);
  const config = parseConfigPairs(values.config ?? []);
  if (values.function !== undefined && values.function.trim() === '') throw usage('--function: expected the name of an exported function');
  /** The transform entry as in .k8streamrc, from the flags. */
  const entry = {
    use: arg,
    config,
    ...(values.function !== undefined ? { function: values.function } : {}),
    ...(values['allow-host'] ? { allowedHosts: parseAllowedHosts(values['allow-host']) } : {}),
    ...(values['allow-path'] ? { allowedPaths: parseAllowedPaths(values['allow-path'], io.cwd) } : {}),
  };

  switch (sub) {
    case 'new': {
      const dir = resolve(io.cwd, arg);
      const files = await scaffoldTransform(dir, arg.split('/').pop()!);
      io.stdout.write(
        [
          `created ${files.length} files in ${dir}`,
          '',
          'next:',
          `  cd ${arg}`,
          '  npm install',
          '  npm test        # builds the .wasm and runs its test',
          `  # then in .k8streamrc: transforms: [{ use: ./${arg}/dist/${arg.split('/').pop()}.wasm }]`,
          '',
        ].join('\n'),
      );
      return 0;
    }
    case 'test': {
      const transform = validateConfig({ transforms: [{ ...entry, timeoutMs: 5000 }] }).transforms;
      const records = values.event ? await readEvents(resolve(io.cwd, values.event)) : sampleRecords(3);
      let failed = false;
      for (const record of records) {
        const result = await runTransformOnce(transform, record, { configDir: io.cwd });
        const head = `record ${record.id}: `;
        if (result.error) {
          failed = true;
          io.stdout.write(`${head}error [${result.error.code}] ${result.error.message} (${result.micros} µs)\n`);
        } else if (result.outputs.length === 0) {
          io.stdout.write(`${head}dropped (${result.micros} µs)\n`);
        } else {
          const what = result.outputs.length === 1 ? 'replaced' : `fan-out to ${result.outputs.length} records`;
          io.stdout.write(`${head}${what} (${result.micros} µs)\n`);
          for (const out of result.outputs) io.stdout.write(JSON.stringify(out, null, 2) + '\n');
        }
      }
      return failed ? 1 : 0;
    }
    case 'bench': {
      const records = values.records ? Number(values.records) : 20_000;
      const chain = values.chain ? Number(values.chain) : 1;
      if (!Number.isInteger(records) || records <= 0) throw usage(`--records: expected a positive integer, got "${values.records}"`);
      if (!Number.isInteger(chain) || chain <= 0) throw usage(`--chain: expected a positive integer, got "${values.chain}"`);
      const result = await benchTransform([entry], { records, chain, configDir: io.cwd });
      const counters = Object.values(result.counters);
      const errors = counters.reduce((sum, c) => sum + c.errors + c.timeouts, 0);
      const fn = values.function !== undefined ? ` ${values.function}()` : '';
      io.stdout.write(
        `${arg}${fn}: ${Math.round(result.eventsPerSec)} events/s, ${result.usPerEvent.toFixed(1)} µs/event (${result.recordBytes}-byte record, chain of ${chain}, ${result.workers} workers)\n`,
      );
      const shortCircuited = counters.reduce((sum, c) => sum + (c.shortCircuited ?? 0), 0);
      if (errors > 0) {
        const breaker = shortCircuited > 0 ? `, ${shortCircuited} of them short-circuited by the circuit breaker without calling the module` : '';
        io.stdout.write(
          `warning: ${errors} calls failed while measuring ${records} records${breaker}: the numbers above are not the module's (run \`k8stream transform test\` to see why)\n`,
        );
      }
      return 0;
    }
    case 'inspect': {
      const [transform] = validateConfig({ transforms: [entry] }).transforms;
      const result = await inspectTransform(transform!, { configDir: io.cwd });
      io.stdout.write(values.json ? inspectionJson(result) : formatInspection(result));
      if (result.error) throw result.error;
      return 0;
    }
    default:
      throw usage(`unknown transform command "${sub}" (new, test, bench, inspect)`);
  }
}
