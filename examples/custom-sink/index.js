// @ts-check
/**
 * k8stream-sink-example: a minimal third-party sink. Each batch becomes one JSON line
 * `{"batch": "<id>", "records": [...]}` appended to a file. A batch already in the file is not
 * appended again, so redeliveries (retries, restarts) do not duplicate records.
 *
 * In `.k8streamrc`:
 *   sinks:
 *     - use: example            # resolves to @k8stream/sink-example, then k8stream-sink-example
 *       config: { file: ./events.jsonl }
 */
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { PermanentError, ValidationError, createClosedGuard, defineSink } from '@k8stream/core';

/** @typedef {{ file: string }} ExampleConfig */

/**
 * Batch ids already in `file`. A torn last line (a crash mid-append) is ignored, so that batch
 * is written again; `torn` tells the caller to start the next append on a fresh line.
 * @param {string} file
 * @returns {Promise<{ ids: Set<string>, torn: boolean }>}
 */
async function readState(file) {
  let text = '';
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if (/** @type {{ code?: string }} */ (err).code !== 'ENOENT') throw err;
  }
  const ids = new Set();
  for (const line of text.split('\n')) {
    try {
      const id = JSON.parse(line).batch;
      if (typeof id === 'string') ids.add(id);
    } catch {
      // empty or torn line
    }
  }
  return { ids, torn: text !== '' && !text.endsWith('\n') };
}

export default defineSink({
  name: 'example',
  apiVersion: '^1.0.0',
  defaults: { encoding: { format: 'ndjson', compression: 'none' } },

  /**
   * Pure: report every problem with its path (relative to the sink's `config`).
   * @param {unknown} raw
   * @returns {ExampleConfig}
   */
  validate(raw) {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      throw new ValidationError('PLUGIN_CONFIG_INVALID', [{ path: '', message: 'expected an object with a "file" key' }], { plugin: 'example' });
    }
    const config = /** @type {Record<string, unknown>} */ (raw);
    const issues = [];
    if (typeof config.file !== 'string' || config.file === '') issues.push({ path: 'file', message: 'expected a non-empty string (a path)' });
    for (const key of Object.keys(config)) {
      if (key !== 'file') issues.push({ path: key, message: 'unknown key (expected: file)' });
    }
    if (issues.length > 0) throw new ValidationError('PLUGIN_CONFIG_INVALID', issues, { plugin: 'example' });
    return { file: /** @type {string} */ (config.file) };
  },

  /**
   * @param {ExampleConfig} config
   * @param {import('@k8stream/core').SinkContext} ctx
   */
  async create(config, ctx) {
    const file = path.resolve(ctx.configDir, config.file);
    await mkdir(path.dirname(file), { recursive: true });
    const { ids, torn: tornAtStart } = await readState(file);
    let torn = tornAtStart;
    // After close, send rejects with SINK_CLOSED (the compliance suite checks it).
    const guard = createClosedGuard('example', ctx.name);
    return {
      describe: () => file,
      /** @param {import('@k8stream/core').Batch<unknown>} batch */
      async send(batch) {
        guard.assertOpen();
        if (ids.has(batch.id)) return; // already written: redelivery is a no-op
        const line = `${torn ? '\n' : ''}${JSON.stringify({ batch: batch.id, records: batch.records })}\n`;
        try {
          await appendFile(file, line);
        } catch (err) {
          torn = true; // part of the line may be in the file
          const code = /** @type {{ code?: string }} */ (err).code;
          // Permanent: the batch goes to the dead-letter destination. Anything else is retried.
          if (code === 'EACCES' || code === 'EISDIR') throw new PermanentError(`example sink "${ctx.name}": cannot append to ${file} (${code})`, { cause: err });
          throw err;
        }
        torn = false;
        ids.add(batch.id);
      },
      async close() {
        guard.close();
      },
    };
  },
});
