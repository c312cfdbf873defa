/** Command-line parsing for the `k8stream` binary. Pure: returns what to do, prints nothing. */
import { parseArgs } from 'node:util';
import { K8streamError } from '../errors.js';

export type Command = 'run' | 'validate' | 'help' | 'version';

export interface CliOptions {
  command: Command;
  config: string | undefined;
  follow: boolean;
  logFormat: 'pretty' | 'json' | undefined;
  logLevel: 'debug' | 'info' | 'warn' | 'error' | undefined;
  debug: boolean;
}

const COMMANDS: readonly Command[] = ['run', 'validate', 'help', 'version'];

export const HELP = `k8stream — stream Kubernetes events to durable storage

Usage:
  k8stream [run] [options]     run the pipeline (default command)
  k8stream validate [options]  load the config, resolve plugins, print a summary or every error
  k8stream transform ...       write and try WebAssembly transforms (new, test, bench)
  k8stream plugins ...         install sink plugins from npm and list resolved ones (add, list)
  k8stream query "SQL"         SQL over the archive's records in a time window (view \`events\`)
  k8stream timeline ...        what happened to a service, workload or node, in time order
  k8stream report ...          the same as one self-contained HTML incident report
  k8stream help | --help       this help
  k8stream version | --version print the version

Options:
  -c, --config FILE        use this config file instead of searching for .k8streamrc
      --follow             replay source: keep streaming instead of stopping at the end
      --log-format FORMAT  pretty (default) or json
      --log-level LEVEL    debug, info (default), warn or error
      --debug              debug logs and stack traces on errors

Environment (below the options, above the config file's \`log\` section):
  K8STREAM_LOG_FORMAT      pretty or json
  K8STREAM_LOG_LEVEL       debug, info, warn or error
  K8STREAM_MEMORY_LIMIT    the memory limit to size for (384Mi, 1Gi; none), instead of the
                           container's (cgroup); see docs/performance.md

Config is searched upward from the working directory: package.json#k8stream, .k8streamrc,
.k8streamrc.{json,yaml,yml,js,mjs,cjs}, k8stream.config.{js,mjs,ts}.
`;

/**
 * `env` supplies K8STREAM_LOG_FORMAT / K8STREAM_LOG_LEVEL (handy in containers); the flags win
 * over them, and both win over the config file.
 */
export function parseCli(argv: readonly string[], env: Readonly<Record<string, string | undefined>> = {}): CliOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        config: { type: 'string', short: 'c' },
        follow: { type: 'boolean', default: false },
        'log-format': { type: 'string' },
        'log-level': { type: 'string' },
        debug: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        version: { type: 'boolean', short: 'v', default: false },
      },
    });
  } catch (err) {
    throw new K8streamError('CONFIG_INVALID', (err as Error).message, { hint: 'run `k8stream --help`' });
  }
  const { values, positionals } = parsed;
  if (positionals.length > 1) {
    throw new K8streamError('CONFIG_INVALID', `unexpected argument "${positionals[1]}"`, { hint: 'run `k8stream --help`' });
  }
  const first = positionals[0] ?? 'run';
  if (!COMMANDS.includes(first as Command)) {
    throw new K8streamError('CONFIG_INVALID', `unknown command "${first}" (commands: ${COMMANDS.join(', ')})`, { hint: 'run `k8stream --help`' });
  }
  const formatFrom = values['log-format'] !== undefined ? '--log-format' : 'K8STREAM_LOG_FORMAT';
  const logFormat = values['log-format'] ?? nonEmpty(env.K8STREAM_LOG_FORMAT);
  if (logFormat !== undefined && logFormat !== 'pretty' && logFormat !== 'json') {
    throw new K8streamError('CONFIG_INVALID', `${formatFrom}: expected "pretty" or "json", got "${logFormat}"`);
  }
  const levelFrom = values['log-level'] !== undefined ? '--log-level' : 'K8STREAM_LOG_LEVEL';
  const logLevel = values['log-level'] ?? nonEmpty(env.K8STREAM_LOG_LEVEL);
  if (logLevel !== undefined && !['debug', 'info', 'warn', 'error'].includes(logLevel)) {
    throw new K8streamError('CONFIG_INVALID', `${levelFrom}: expected debug, info, warn or error, got "${logLevel}"`);
  }
  let command = first as Command;
  if (values.help) command = 'help';
  else if (values.version) command = 'version';
  return {
    command,
    config: values.config,
    follow: values.follow ?? false,
    logFormat,
    logLevel: logLevel as CliOptions['logLevel'],
    debug: values.debug ?? false,
  };
}

/** An empty variable counts as unset (`K8STREAM_LOG_LEVEL=` in a manifest). */
function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
