/**
 * The command-line options `k8stream query`, `timeline` and `report` share (where the archive is,
 * the time window, object-store overrides), parsed once here; each command adds its own
 * (`--format`, `--service`, `-o`…).
 *
 * Relative times start with a dash (`--from -2h`), so option values may start with `-`; a value
 * starting with `--` is taken for a forgotten value instead.
 */
import { parseArgs } from 'node:util';
import { K8streamError } from '../errors.js';

/** One option: its type, short letter, the value's name and a line of help. */
export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** The value's placeholder in help (`LOC`, `FILE`). */
  value?: string;
  /** May be given several times (values collected in order). */
  multiple?: boolean;
  help: string;
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

/** The options all three commands accept. */
export const SHARED_OPTIONS = {
  archive: { type: 'string', value: 'LOC', help: 'archive to read: a file-sink directory, s3://bucket/prefix or gs://bucket/prefix' },
  sink: { type: 'string', value: 'NAME', help: "read what the config's sink NAME wrote (its destination, credentials and layout)" },
  config: { type: 'string', short: 'c', value: 'FILE', help: 'config file for --sink (default: found from the working directory, as for run)' },
  cluster: { type: 'string', value: 'NAME', help: 'cluster to read when the archive holds several' },
  from: { type: 'string', value: 'T', help: 'start of the window (inclusive): 2026-12-08T10:00:00Z, 10:00 (today), 2026-12-08, -2h, now' },
  to: { type: 'string', value: 'T', help: 'end of the window (exclusive), same forms as --from (default: now)' },
  since: { type: 'string', value: 'D', help: 'the window [now - D, now): 2h, 30m, 1d (default when no window is given: 24h)' },
  tz: { type: 'string', value: 'ZONE', help: 'time zone of HH:MM and dates without an offset (IANA, e.g. Europe/Paris; default UTC)' },
  endpoint: { type: 'string', value: 'URL', help: 'object store endpoint (S3-compatible or GCS emulator)' },
  region: { type: 'string', value: 'R', help: 'S3 region' },
  'force-path-style': { type: 'boolean', help: 'S3 path-style addressing (MinIO and most S3-compatible stores)' },
  layout: { type: 'string', value: 'TEMPLATE', help: "key template the archive was written with (default: the sink's default layout)" },
  debug: { type: 'boolean', help: 'stack traces with errors' },
  help: { type: 'boolean', short: 'h', help: 'this help' },
} as const satisfies OptionSpecs;

/** The shared options, typed. */
export interface SharedOptions {
  archive?: string;
  sink?: string;
  config?: string;
  cluster?: string;
  from?: string;
  to?: string;
  since?: string;
  tz?: string;
  endpoint?: string;
  region?: string;
  forcePathStyle: boolean;
  layout?: string;
  debug: boolean;
  help: boolean;
}

export type OptionValues = Record<string, string | boolean | string[] | undefined>;

export interface ParsedCommand {
  command: string;
  shared: SharedOptions;
  /** The command's own options, by long name (strings, `true`, or arrays for `multiple`). */
  own: OptionValues;
  positionals: string[];
}

/**
 * Parses `argv` (after the command name) with the shared options plus `own`. Throws
 * `ARGUMENT_INVALID` naming every unknown option, an option missing its value, or a value given to
 * a flag.
 */
export function parseCommandArgs(command: string, argv: readonly string[], own: OptionSpecs = {}): ParsedCommand {
  const specs: Record<string, OptionSpec> = { ...SHARED_OPTIONS, ...own };
  const config: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
  for (const [name, spec] of Object.entries(specs)) {
    config[name] = { type: spec.type, ...(spec.short !== undefined ? { short: spec.short } : {}), ...(spec.multiple ? { multiple: true } : {}) };
  }
  const { tokens } = parseArgs({ args: [...argv], options: config, strict: false, allowPositionals: true, tokens: true });
  const problems: string[] = [];
  const unknown: string[] = [];
  const values: OptionValues = {};
  const positionals: string[] = [];
  for (const token of tokens) {
    if (token.kind === 'positional') {
      positionals.push(token.value);
      continue;
    }
    if (token.kind === 'option-terminator') continue;
    const spec = specs[token.name];
    if (spec === undefined) {
      unknown.push(token.rawName);
      continue;
    }
    if (spec.type === 'boolean') {
      if (token.value !== undefined) problems.push(`${token.rawName} takes no value (got ${JSON.stringify(token.value)})`);
      values[token.name] = true;
      continue;
    }
    if (token.value === undefined || (token.value.startsWith('--') && !token.inlineValue)) {
      problems.push(`${token.rawName} needs a value (${spec.value ?? 'VALUE'})`);
      continue;
    }
    if (spec.multiple) values[token.name] = [...((values[token.name] as string[] | undefined) ?? []), token.value];
    else values[token.name] = token.value;
  }
  if (unknown.length > 0) {
    problems.unshift(`unknown option${unknown.length === 1 ? '' : 's'} ${[...new Set(unknown)].join(', ')} for k8stream ${command}`);
  }
  if (problems.length > 0) {
    throw new K8streamError('ARGUMENT_INVALID', problems.join('; '), { hint: `k8stream ${command} --help lists the options` });
  }
  const str = (name: string): string | undefined => values[name] as string | undefined;
  const shared: SharedOptions = {
    forcePathStyle: values['force-path-style'] === true,
    debug: values.debug === true,
    help: values.help === true,
  };
  for (const name of ['archive', 'sink', 'config', 'cluster', 'from', 'to', 'since', 'tz', 'endpoint', 'region', 'layout'] as const) {
    const v = str(name);
    if (v !== undefined) shared[name] = v;
  }
  const ownValues: OptionValues = {};
  for (const name of Object.keys(own)) if (values[name] !== undefined) ownValues[name] = values[name];
  if (shared.archive !== undefined && shared.sink !== undefined) {
    throw new K8streamError('ARGUMENT_INVALID', '--archive and --sink name the archive twice; give one', { hint: `k8stream ${command} --help lists the options` });
  }
  return { command, shared, own: ownValues, positionals };
}

/** Help lines for `specs` (`  --from T           start of …`), aligned. */
export function formatOptions(specs: OptionSpecs): string {
  const rows = Object.entries(specs).map(([name, spec]) => {
    const flag = `${spec.short !== undefined ? `-${spec.short}, ` : '    '}--${name}${spec.value !== undefined ? ` ${spec.value}` : ''}`;
    return [flag, spec.help] as const;
  });
  const width = Math.max(...rows.map(([f]) => f.length));
  return rows.map(([f, h]) => `  ${f.padEnd(width)}  ${h}`).join('\n');
}

/** The shared options' help block, for each command's `--help`. */
export function sharedOptionsHelp(): string {
  return formatOptions(SHARED_OPTIONS);
}
