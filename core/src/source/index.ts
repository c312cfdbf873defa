/** Picks the source named by `source.type`. */
import { K8streamError } from '../errors.js';
import type { SourceConfig } from '../config/types.js';
import type { Source } from './types.js';
import { createReplaySource } from './replay.js';

export function createSource(config: SourceConfig, options: { dir: string; follow?: boolean }): Source {
  switch (config.type) {
    case 'replay': {
      if (!config.replay) {
        throw new K8streamError('CONFIG_INVALID', 'source.replay is required when source.type is "replay"', { path: 'source.replay' });
      }
      return createReplaySource({ ...config.replay, dir: options.dir });
    }
    case 'kubernetes':
      throw new K8streamError('SOURCE_FAILED', 'the live Kubernetes source is not available in this build', {
        path: 'source.type',
        hint: 'use `source: { type: replay, replay: { file: events.json } }` to replay recorded events',
      });
  }
}
