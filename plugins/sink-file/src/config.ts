/**
 * Configuration of the file sink: one definition validates it, documents it and gives its type
 * (`FileSinkConfig`), so each field is declared once.
 */
import { keyTemplateSchema, parseConfig, schema as s } from '@k8stream/core';

/** Default layout: one file per batch, partitioned by cluster and hour (UTC). */
export const DEFAULT_PATH_TEMPLATE = '{cluster}/{yyyy}/{MM}/{dd}/{HH}/{batchId}{ext}';

const OCTAL_MODE = /^0?o?[0-7]{3}$/;

/** `"0640"`, `"640"` or `"0o640"` → 0o640, the number `chmod` takes. */
function parseMode(text: string): number {
  return Number.parseInt(text.replace(/^0?o?/, ''), 8);
}

/** The file sink's `config` block. */
export const fileSinkConfigSchema = s.object({
  dir: s.string().nonEmpty().describe('Directory the files go under; a relative path resolves against the config file directory. Created when missing.'),
  path: keyTemplateSchema(DEFAULT_PATH_TEMPLATE).describe(
    'Path of each batch file under `dir`. Placeholders: {cluster} {sink} {batchId} {ext} {yyyy} {MM} {dd} {HH} {mm} {date} (UTC, from the earliest event of the batch). Must contain {batchId}.',
  ),
  fsync: s.boolean().default(true).describe('fsync each file and its directory before acknowledging the batch, so an acked batch survives a power loss.'),
  mode: s
    .string()
    .pattern(OCTAL_MODE, 'an octal file mode such as "0640"')
    .map(parseMode)
    .optional()
    .describe('Permissions of the written files, as an octal string ("0640"). Default: 0666 minus the process umask.'),
});

/** The validated file sink config (`mode` is a number by then; absent: 0666 minus the umask). */
export type FileSinkConfig = s.Output<typeof fileSinkConfigSchema>;

/** Validates the user's `config` block: every problem at once, with its path. Pure. */
export function validateFileSinkConfig(raw: unknown): FileSinkConfig {
  return parseConfig(fileSinkConfigSchema, raw, { plugin: 'file' });
}
