/** `k8stream query`: placeholder until the engine lands (issue 18). */
import { K8streamError } from '../errors.js';
import type { CliIo } from './commands.js';

export function queryCommand(_argv: readonly string[], _io: CliIo): Promise<number> {
  return Promise.reject(new K8streamError('INTERNAL', 'k8stream query is not built yet'));
}
