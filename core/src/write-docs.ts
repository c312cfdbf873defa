/**
 * Regenerates every generated document: the `.k8streamrc` JSON Schema
 * (core/schema/k8streamrc.schema.json), its reference table in docs/configuration.md, and the
 * error-code table in docs/errors.md. `npm run docs` builds and runs it; tests fail while any
 * of them is stale.
 */
import { writeFile } from 'node:fs/promises';
import { CONFIG_REFERENCE_DOC, updateReferenceIn } from './config/reference.js';
import { K8STREAMRC_SCHEMA_PATH, renderK8streamrcSchema } from './config/schema-file.js';
import { ERRORS_DOC, writeErrorCodesDoc } from './errors-doc.js';

await writeFile(K8STREAMRC_SCHEMA_PATH, renderK8streamrcSchema());
process.stdout.write(`wrote ${K8STREAMRC_SCHEMA_PATH}\n`);
if (await updateReferenceIn(CONFIG_REFERENCE_DOC)) process.stdout.write(`updated the .k8streamrc reference in ${CONFIG_REFERENCE_DOC}\n`);
if (await writeErrorCodesDoc()) process.stdout.write(`updated the error codes in ${ERRORS_DOC}\n`);
