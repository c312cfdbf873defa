/**
 * Runs the real runtime for the OTLP tests: the Kubernetes source against the API-server double
 * (with enrichment), or a replay file, into an `http` sink with `body: otlp` (resolved like a
 * user's `use: http`, from the built package) and a file sink holding the same records.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { validateConfig } from '../../core/src/config/index.js';
import { run } from '../../core/src/runtime.js';
import type { RunSummary } from '../../core/src/runtime.js';
import { createLogger } from '../../core/src/util/logger.js';
import { REPO } from '../cloud/helpers/pipeline.fixture.js';

export { REPO };

/** Builds the HTTP sink package (the runtime loads it from dist), like recipes.test.ts does. */
export async function buildHttpSink(): Promise<void> {
  await promisify(execFile)(process.execPath, [join(REPO, 'node_modules/.bin/tsc'), '-b', join(REPO, 'plugins/sink-http')], { cwd: REPO });
}

/** One parsed JSON log line. */
export type LogLine = Record<string, unknown> & { level: string; msg: string };

export interface Started {
  logs: LogLine[];
  running: Promise<RunSummary>;
  /** Aborts the run (graceful shutdown flushes every batch) and returns its summary. */
  stop(): Promise<RunSummary>;
}

/**
 * Starts `run()` with `config` (validated here; paths in it absolute) and a JSON logger captured
 * into `logs`. Plugins resolve from the repository root, where `@k8stream/sink-http` is linked.
 */
export function startRun(raw: Record<string, unknown>): Started {
  const config = validateConfig(raw);
  const logs: LogLine[] = [];
  const logger = createLogger({ level: 'info', format: 'json', write: (line) => logs.push(JSON.parse(line) as LogLine) });
  const abort = new AbortController();
  const running = run({ config, filepath: null, dir: REPO }, { logger, signal: abort.signal });
  running.catch(() => undefined);
  return {
    logs,
    running,
    stop: () => {
      abort.abort();
      return running;
    },
  };
}
