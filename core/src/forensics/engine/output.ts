/**
 * Query results as text: `table` (aligned columns, long values cut with …, a row count), `json`
 * (one array of objects), `ndjson` (one object per line) and `csv` (RFC 4180 quoting, CRLF line
 * ends, a header line). Each formatter turns columns and batches of rows into text pieces, so a
 * large result streams (all but `table`, which needs every width first).
 */
import { groupDigits } from '../../util/format.js';
import type { JsonValue } from './values.js';

export const OUTPUT_FORMATS = ['table', 'json', 'ndjson', 'csv'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export interface RowFormatter {
  /** Text before the first row. */
  begin(columns: readonly string[]): string;
  /** Text for a batch of rows (may be empty: `table` holds them until `end`). */
  rows(rows: readonly JsonValue[][]): string;
  /** Text after the last row. */
  end(): string;
}

export interface FormatterOptions {
  /** `table`: the widest a column is drawn; longer values are cut with `…`. @default 60 */
  maxWidth?: number;
}

export function createFormatter(format: OutputFormat, options: FormatterOptions = {}): RowFormatter {
  switch (format) {
    case 'json':
      return jsonFormatter();
    case 'ndjson':
      return ndjsonFormatter();
    case 'csv':
      return csvFormatter();
    case 'table':
      return tableFormatter(options.maxWidth ?? 60);
  }
}

function toObject(columns: readonly string[], row: readonly JsonValue[]): Record<string, JsonValue> {
  const o: Record<string, JsonValue> = {};
  columns.forEach((c, i) => (o[c] = row[i] ?? null));
  return o;
}

function jsonFormatter(): RowFormatter {
  let columns: readonly string[] = [];
  let first = true;
  return {
    begin: (c) => {
      columns = c;
      return '[';
    },
    rows: (rows) => {
      let text = '';
      for (const row of rows) {
        text += `${first ? '\n' : ',\n'}${JSON.stringify(toObject(columns, row))}`;
        first = false;
      }
      return text;
    },
    end: () => (first ? ']\n' : '\n]\n'),
  };
}

function ndjsonFormatter(): RowFormatter {
  let columns: readonly string[] = [];
  return {
    begin: (c) => {
      columns = c;
      return '';
    },
    rows: (rows) => rows.map((row) => JSON.stringify(toObject(columns, row)) + '\n').join(''),
    end: () => '',
  };
}

/** A value as one cell's text: strings as they are, null empty, anything else as JSON. */
function cellText(value: JsonValue): string {
  if (value === null) return '';
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

/** A CSV field, quoted (RFC 4180) when it holds a comma, a quote, CR or LF. */
export function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function csvFormatter(): RowFormatter {
  return {
    begin: (columns) => columns.map(csvField).join(',') + '\r\n',
    rows: (rows) => rows.map((row) => row.map((v) => csvField(cellText(v))).join(',') + '\r\n').join(''),
    end: () => '',
  };
}

/** One line of a table cell: control characters shown as spaces, cut to `width` with … */
function cut(text: string, width: number): string {
  // eslint-disable-next-line no-control-regex
  const flat = text.replace(/[\u0000-\u001f\u007f]/g, ' ');
  const chars = [...flat];
  return chars.length <= width ? flat : chars.slice(0, width - 1).join('') + '…';
}

const length = (text: string): number => [...text].length;

function tableFormatter(maxWidth: number): RowFormatter {
  let columns: readonly string[] = [];
  const body: string[][] = [];
  let numeric: boolean[] = [];
  return {
    begin: (c) => {
      columns = c;
      numeric = c.map(() => true);
      return '';
    },
    rows: (rows) => {
      for (const row of rows) {
        body.push(
          columns.map((_, i) => {
            const v = row[i] ?? null;
            if (v !== null && typeof v !== 'number') numeric[i] = false;
            return cut(cellText(v), maxWidth);
          }),
        );
      }
      return '';
    },
    end: () => {
      const head = columns.map((c) => cut(c, maxWidth));
      const widths = head.map((h, i) => Math.max(length(h), ...body.map((r) => length(r[i]!))));
      const pad = (text: string, i: number): string => {
        const fill = ' '.repeat(widths[i]! - length(text));
        return numeric[i] ? fill + text : text + fill;
      };
      const line = (cells: readonly string[]): string => cells.map(pad).join('  ').trimEnd();
      const lines = [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)];
      lines.push(`(${body.length === 1 ? '1 row' : `${groupDigits(body.length)} rows`})`);
      return lines.join('\n') + '\n';
    },
  };
}
