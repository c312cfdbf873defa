/**
 * One run of the real runtime (`run`) over a replay file into a single `use: nats` sink, with a
 * file dead letter, fast unbounded retries, and an optional logger (to assert what was logged).
 * The replay file and its expected ids come from the cloud tests' helper.
 */
import { join } from 'node:path';
import { interpolateConfig, validateConfig } from '../../../core/src/config/index.js';
import { run } from '../../../core/src/runtime.js';
import type { RunSummary } from '../../../core/src/runtime.js';
import { createLogger, silentLogger } from '../../../core/src/util/logger.js';
import type { Logger } from '../../../core/src/util/logger.js';
import { CLUSTER, REPO } from '../../cloud/helpers/pipeline.fixture.js';

export { CLUSTER, writeReplayFile } from '../../cloud/helpers/pipeline.fixture.js';
export type { InputEvent } from '../../cloud/helpers/pipeline.fixture.js';

/** A JSON logger at debug level that keeps every line. */
export function captureLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: createLogger({ level: 'debug', format: 'json', write: (line) => lines.push(line) }), lines };
}

/**
 * Runs the pipeline once over `file` into the NATS sink described by `sink` (`config`, `batch`, …).
 * With `env`, the config is `${ENV}`-interpolated from it first, as the CLI does with the process environment.
 */
export async function runIntoNats(dir: string, file: string, sink: Record<string, unknown>, options: { logger?: Logger; env?: Record<string, string> } = {}): Promise<RunSummary> {
  const raw = {
    cluster: CLUSTER,
    source: { type: 'replay', replay: { file } },
    enrich: { objects: false, owners: false, nodes: false, services: false },
    sinks: [{ use: 'nats', retry: { maxAttempts: null, initialBackoffMs: 1, maxBackoffMs: 50 }, timeoutMs: 20_000, ...sink }],
    deadLetter: { use: 'file', config: { dir: join(dir, 'deadletter') } },
    shutdown: { graceMs: 60_000 },
  };
  const config = validateConfig(options.env !== undefined ? interpolateConfig(raw, options.env) : raw);
  return run({ config, filepath: null, dir: REPO }, { logger: options.logger ?? silentLogger, signal: new AbortController().signal });
}
