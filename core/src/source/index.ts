/** Picks the source named by `source.type`. */
import { K8streamError } from '../errors.js';
import type { SourceConfig } from '../config/types.js';
import type { Source } from './types.js';
import { createReplaySource } from './replay.js';
// The light half: the replay code (forensics readers, Parquet) is imported only when an archive stream starts.
import { createArchiveSource } from './archive-source.js';
import type { ResumePoint } from '../checkpoint/position.js';
import { createKubernetesSource } from './kubernetes/events-source.js';

export function createSource(
  config: SourceConfig,
  options: { dir: string; follow?: boolean; cluster?: string; env?: NodeJS.ProcessEnv; resumeFrom?: () => ResumePoint | undefined },
): Source {
  switch (config.type) {
    case 'replay': {
      if (!config.replay) {
        throw new K8streamError('CONFIG_INVALID', 'source.replay is required when source.type is "replay"', { path: 'source.replay' });
      }
      return createReplaySource({ ...config.replay, dir: options.dir });
    }
    case 'archive': {
      if (!config.archive) {
        throw new K8streamError('CONFIG_INVALID', 'source.archive is required when source.type is "archive"', { path: 'source.archive' });
      }
      // The records carry their enrichment; the runtime builds no enricher for this source.
      return createArchiveSource(config.archive, {
        dir: options.dir,
        ...(options.env !== undefined ? { env: options.env } : {}),
        ...(options.resumeFrom !== undefined ? { resumeFrom: options.resumeFrom } : {}),
      });
    }
    case 'kubernetes':
      // The client comes from source.kubeconfig / source.context (relative paths against the config file).
      return createKubernetesSource(config, { baseDir: options.dir, ...(options.cluster !== undefined ? { clusterName: options.cluster } : {}) });
  }
}
