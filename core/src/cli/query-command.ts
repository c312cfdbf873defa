/**
 * `k8stream query [options] "SQL"`: the SQL runs in DuckDB against the view `events` (the window's
 * archived records, once per id; columns in forensics/engine/columns.ts) and the result is printed
 * as a table, JSON, NDJSON or CSV. Exit 0 (also for an empty result), 1 (error), 2 (bad arguments).
 */
import { once } from 'node:events';
import type { DuckDBConnection } from '@duckdb/node-api';
import { K8streamError, errorMessage } from '../errors.js';
import { SHARED_OPTIONS, formatOptions, parseCommandArgs } from '../forensics/options.js';
import type { OptionSpecs, ParsedCommand } from '../forensics/options.js';
import { openSession } from '../forensics/session.js';
import type { SessionOptions } from '../forensics/session.js';
import { OUTPUT_FORMATS, createFormatter } from '../forensics/engine/output.js';
import type { OutputFormat } from '../forensics/engine/output.js';
import { jsonValueConverter } from '../forensics/engine/values.js';
import type { CliIo } from './commands.js';
import { userMessage } from './commands.js';

const QUERY_OPTIONS = {
  format: { type: 'string', short: 'f', value: 'FORMAT', help: 'table (default: aligned columns, long values cut), json, ndjson or csv' },
} as const satisfies OptionSpecs;

export const QUERY_HELP = `Usage: k8stream query [options] "SQL"

Runs SQL (DuckDB) against the view events: the window's archived k8stream.event/v1 records, one
row per id. Columns: every record field (timestamps as TIMESTAMPTZ; involvedObject, source, related,
series and enrichment as structs) plus time = coalesce(lastTimestamp, eventTime, firstTimestamp).

Options:
${formatOptions({ ...QUERY_OPTIONS, ...SHARED_OPTIONS })}

Examples:
  k8stream query --archive ./out --since 2h "SELECT reason, count(*) AS n FROM events GROUP BY ALL ORDER BY n DESC"
  k8stream query --sink archive --from 10:00 --to 11:00 --format csv \\
    "SELECT time, involvedObject.name, message FROM events WHERE type = 'Warning' ORDER BY time"
  k8stream query --archive s3://bucket/events --since 1d \\
    "SELECT * FROM events WHERE list_contains(enrichment.services, {'name': 'web', 'namespace': 'shop'})"

A summary line (objects, partitions, records, repeats, malformed lines, skipped objects) goes to
stderr. Exit codes: 0 done (also with no rows), 1 error, 2 bad arguments.
`;

/** The query command; `session` lets tests pin the clock. */
export async function queryCommand(argv: readonly string[], io: CliIo, session: SessionOptions = {}): Promise<number> {
  let parsed: ParsedCommand;
  let sql: string;
  let format: OutputFormat;
  try {
    parsed = parseCommandArgs('query', argv, QUERY_OPTIONS);
    if (parsed.shared.help) {
      io.stdout.write(QUERY_HELP);
      return 0;
    }
    ({ sql, format } = queryArguments(parsed));
  } catch (err) {
    io.stderr.write(userMessage(err, false) + '\n');
    return 2;
  }
  let opened;
  try {
    opened = await openSession(parsed, io, session);
  } catch (err) {
    if (err instanceof K8streamError && err.code === 'ARGUMENT_INVALID') {
      io.stderr.write(userMessage(err, false) + '\n');
      return 2;
    }
    throw err;
  }
  try {
    await printQuery(opened.db.connection, sql, format, io.stdout);
    return 0;
  } catch (err) {
    // The reader of stdout went away (`| head`): not an error of the query.
    if ((err as { code?: unknown }).code === 'EPIPE') return 0;
    throw err;
  } finally {
    await opened.dispose();
  }
}

function queryArguments(parsed: ParsedCommand): { sql: string; format: OutputFormat } {
  const format = (parsed.own.format as string | undefined) ?? 'table';
  if (!(OUTPUT_FORMATS as readonly string[]).includes(format)) {
    throw new K8streamError('ARGUMENT_INVALID', `--format ${JSON.stringify(format)}: expected one of ${OUTPUT_FORMATS.join(', ')}`);
  }
  if (parsed.positionals.length !== 1 || parsed.positionals[0]!.trim() === '') {
    const got = parsed.positionals.length === 0 ? 'none was given' : `got ${parsed.positionals.length} arguments: ${parsed.positionals.map((p) => JSON.stringify(p)).join(' ')}`;
    throw new K8streamError('ARGUMENT_INVALID', `k8stream query takes one SQL statement, in quotes; ${got}`, {
      hint: 'k8stream query --since 2h "SELECT reason, count(*) FROM events GROUP BY ALL"',
    });
  }
  return { sql: parsed.positionals[0]!, format: format as OutputFormat };
}

/** Runs `sql` and writes its rows chunk by chunk; DuckDB's failure becomes `QUERY_FAILED`. */
async function printQuery(connection: DuckDBConnection, sql: string, format: OutputFormat, out: NodeJS.WritableStream): Promise<void> {
  const failed = (err: unknown): K8streamError =>
    new K8streamError('QUERY_FAILED', errorMessage(err), { cause: err, hint: 'the view is events; k8stream query --help lists its columns' });
  let result;
  try {
    result = await connection.stream(sql);
  } catch (err) {
    throw failed(err);
  }
  const formatter = createFormatter(format);
  // A write error (EPIPE) arrives as an event: kept here and thrown by the next write.
  let broken: unknown = null;
  const onError = (err: unknown): void => {
    broken = err;
  };
  out.on('error', onError);
  const write = async (text: string): Promise<void> => {
    if (broken !== null) throw broken;
    if (text !== '' && !out.write(text)) await once(out, 'drain');
  };
  try {
    await write(formatter.begin(result.columnNames()));
    for (;;) {
      let chunk;
      try {
        chunk = await result.fetchChunk();
      } catch (err) {
        throw failed(err);
      }
      if (chunk === null || chunk.rowCount === 0) break;
      await write(formatter.rows(chunk.convertRows(jsonValueConverter)));
    }
    await write(formatter.end());
  } finally {
    out.off('error', onError);
  }
}
