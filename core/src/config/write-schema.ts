/**
 * Regenerates `core/schema/k8streamrc.schema.json` from the definition. Run after a build:
 * `node core/dist/config/write-schema.js`. It also refreshes the generated `.k8streamrc`
 * reference in the README. Tests fail while either is stale.
 */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { K8STREAMRC_SCHEMA_PATH, renderK8streamrcSchema } from './schema-file.js';
import { updateReferenceIn } from './reference.js';

await writeFile(K8STREAMRC_SCHEMA_PATH, renderK8streamrcSchema());
process.stdout.write(`wrote ${K8STREAMRC_SCHEMA_PATH}\n`);
const readme = fileURLToPath(new URL('../../../README.md', import.meta.url));
if (await updateReferenceIn(readme)) process.stdout.write(`updated the .k8streamrc reference in ${readme}\n`);
