// The output formats and DuckDB value conversion, over values real DuckDB returns.
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { createFormatter, csvField } from './output.js';
import type { OutputFormat } from './output.js';
import { isoFromMicros, resultRows } from './values.js';
import type { JsonValue } from './values.js';

function render(format: OutputFormat, columns: string[], rows: JsonValue[][], maxWidth?: number): string {
  const f = createFormatter(format, maxWidth === undefined ? {} : { maxWidth });
  return f.begin(columns) + f.rows(rows.slice(0, 1)) + f.rows(rows.slice(1)) + f.end();
}

describe('DuckDB values as JSON', () => {
  it('timestamps are ISO-8601 UTC, BIGINTs and DECIMALs numbers while exact, structs objects, lists arrays, maps objects', async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      const r = resultRows(
        await connection.runAndReadAll(`SELECT
          CAST('2026-12-08T10:00:00.123456Z' AS TIMESTAMPTZ) AS t,
          CAST('2026-12-08 10:00:00' AS TIMESTAMP) AS naive,
          CAST(42 AS BIGINT) AS n,
          CAST(9007199254740993 AS BIGINT) AS big,
          {'kind': 'Pod', 'name': 'web'} AS s,
          [1, 2] AS l,
          MAP {'app': 'web'} AS m,
          NULL AS nothing,
          1.5 AS d,
          CAST('12345678901234567.89' AS DECIMAL(19, 2)) AS wide`),
      );
      expect(r.columns).toEqual(['t', 'naive', 'n', 'big', 's', 'l', 'm', 'nothing', 'd', 'wide']);
      expect(r.rows).toEqual([
        [
          '2026-12-08T10:00:00.123456Z',
          '2026-12-08T10:00:00.000Z',
          42,
          '9007199254740993',
          { kind: 'Pod', name: 'web' },
          [1, 2],
          { app: 'web' },
          null,
          1.5,
          '12345678901234567.89',
        ],
      ]);
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  });

  it('micros before the epoch keep their sign', () => {
    expect(isoFromMicros(-1n)).toBe('1969-12-31T23:59:59.999999Z');
    expect(isoFromMicros(1_000n)).toBe('1970-01-01T00:00:00.001Z');
  });
});

describe('output formats', () => {
  const columns = ['reason', 'n', 'object'];
  const rows: JsonValue[][] = [
    ['BackOff', 12, { kind: 'Pod', name: 'web-1' }],
    ['Scheduled, then "pulled"', 1, null],
  ];

  it('table: aligned, numbers right-aligned, control characters flattened, long values cut with …, a row count', () => {
    expect(render('table', columns, [...rows, ['multi\nline', 100, 'x'.repeat(30)]], 20)).toBe(
      [
        'reason                  n  object',
        '--------------------  ---  --------------------',
        'BackOff                12  {"kind":"Pod","name…',
        'Scheduled, then "pu…    1',
        'multi line            100  xxxxxxxxxxxxxxxxxxx…',
        '(3 rows)',
        '',
      ].join('\n'),
    );
    expect(render('table', ['x'], [])).toBe('x\n-\n(0 rows)\n');
    expect(render('table', ['x'], [['a']])).toBe('x\n-\na\n(1 row)\n');
  });

  it('json: one array of objects (an empty one for no rows); ndjson: one object per line', () => {
    expect(JSON.parse(render('json', columns, rows))).toEqual([
      { reason: 'BackOff', n: 12, object: { kind: 'Pod', name: 'web-1' } },
      { reason: 'Scheduled, then "pulled"', n: 1, object: null },
    ]);
    expect(render('json', columns, [])).toBe('[]\n');
    expect(render('ndjson', columns, rows)).toBe(
      '{"reason":"BackOff","n":12,"object":{"kind":"Pod","name":"web-1"}}\n{"reason":"Scheduled, then \\"pulled\\"","n":1,"object":null}\n',
    );
    expect(render('ndjson', columns, [])).toBe('');
  });

  it('csv: RFC 4180 quoting, CRLF, structs as JSON, NULL empty', () => {
    expect(render('csv', columns, rows)).toBe('reason,n,object\r\nBackOff,12,"{""kind"":""Pod"",""name"":""web-1""}"\r\n"Scheduled, then ""pulled""",1,\r\n');
    expect(csvField('a\nb')).toBe('"a\nb"');
    expect(csvField('plain')).toBe('plain');
  });
});
