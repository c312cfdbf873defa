/**
 * Regenerates `core/schema/k8streamrc.schema.json` from the definition. Run after a build:
 * `node core/dist/config/write-schema.js`. A test fails while the committed file is stale.
 */
import { writeFile } from 'node:fs/promises';
import { K8STREAMRC_SCHEMA_PATH, renderK8streamrcSchema } from './schema-file.js';

await writeFile(K8STREAMRC_SCHEMA_PATH, renderK8streamrcSchema());
process.stdout.write(`wrote ${K8STREAMRC_SCHEMA_PATH}\n`);
