/** Configuration of the file sink: one definition validates it and documents it. */
import { keyTemplateSchema, parseConfig, schema as s } from '@k8stream/core';

/** Default layout: one file per batch, partitioned by cluster and hour (UTC). */
export const DEFAULT_PATH_TEMPLATE = '{cluster}/{yyyy}/{MM}/{dd}/{HH}/{batchId}{ext}';

const OCTAL_MODE = /^0?o?[0-7]{3}$/;

/** The file sink's `config` block. */
export const fileSinkConfigSchema = s.object({
  dir: s
    .string()
    .nonEmpty()
    .describe('Directory the files go under; a relative path resolves against the config file directory. Created when missing.'),
  path: keyTemplateSchema(DEFAULT_PATH_TEMPLATE)
    .describe(
      'Path of each batch file under `dir`. Placeholders: {cluster} {sink} {batchId} {ext} {yyyy} {MM} {dd} {HH} {mm} {date} (UTC, from the earliest event of the batch). Must contain {batchId}.',
    ),
  fsync: s
    .boolean()
    .default(true)
    .describe('fsync each file and its directory before acknowledging the batch, so an acked batch survives a power loss.'),
  mode: s
    .string()
    .pattern(OCTAL_MODE, 'an octal file mode such as "0640"')
    .optional()
    .describe('Permissions of the written files, as an octal string ("0640"). Default: 0666 minus the process umask.'),
});

/** The validated file sink config. */
export interface FileSinkConfig {
  /** Directory the files go under (relative to the config file directory). */
  dir: string;
  /** Path template under `dir`. @default DEFAULT_PATH_TEMPLATE */
  path: string;
  /** fsync files and directories before the ack. @default true */
  fsync: boolean;
  /** File permissions (number), or undefined for the umask default. */
  mode: number | undefined;
}

/** Validates the user's `config` block: every problem at once, with its path. Pure. */
export function validateFileSinkConfig(raw: unknown): FileSinkConfig {
  const parsed = parseConfig(fileSinkConfigSchema, raw, { plugin: 'file' });
  return {
    dir: parsed.dir,
    path: parsed.path,
    fsync: parsed.fsync,
    mode: parsed.mode === undefined ? undefined : Number.parseInt(parsed.mode.replace(/^0?o?/, ''), 8),
  };
}
