/** The published JSON Schema file of `.k8streamrc`: where it lives and its exact text. */
import { fileURLToPath } from 'node:url';
import { k8streamrcJsonSchema } from './definition.js';

/** Absolute path of `core/schema/k8streamrc.schema.json` (from `src/config/` and `dist/config/` alike). */
export const K8STREAMRC_SCHEMA_PATH = fileURLToPath(new URL('../../schema/k8streamrc.schema.json', import.meta.url));

/** The file's exact text: the generated schema, pretty-printed, with a final newline. */
export function renderK8streamrcSchema(): string {
  return `${JSON.stringify(k8streamrcJsonSchema(), null, 2)}\n`;
}
