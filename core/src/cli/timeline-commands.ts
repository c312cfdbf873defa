/** `k8stream timeline` and `report`: placeholders until the timeline lands (issue 18). */
import { K8streamError } from '../errors.js';
import type { CliIo } from './commands.js';

export function timelineCommand(_argv: readonly string[], _io: CliIo): Promise<number> {
  return Promise.reject(new K8streamError('INTERNAL', 'k8stream timeline is not built yet'));
}

export function reportCommand(_argv: readonly string[], _io: CliIo): Promise<number> {
  return Promise.reject(new K8streamError('INTERNAL', 'k8stream report is not built yet'));
}
