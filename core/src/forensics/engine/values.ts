/**
 * DuckDB values as plain JSON values, the way the forensics commands print them: timestamps as
 * ISO-8601 UTC strings, BIGINTs and DECIMALs as numbers while they are exact (strings beyond), structs
 * as objects, lists as arrays, MAPs as objects.
 */
import { DuckDBTypeId, createDuckDBValueConverter, JsonDuckDBValueConverter } from '@duckdb/node-api';
import type { DuckDBMapValue, DuckDBResultReader, DuckDBValue, DuckDBValueConverter } from '@duckdb/node-api';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** `micros` since the epoch as ISO-8601 UTC, with microseconds only when there are some. */
export function isoFromMicros(micros: bigint): string {
  const ms = micros / 1000n - (micros % 1000n < 0n ? 1n : 0n);
  const rest = micros - ms * 1000n;
  const base = new Date(Number(ms)).toISOString();
  return rest === 0n ? base : `${base.slice(0, -1)}${String(rest).padStart(3, '0')}Z`;
}

const toIso = (scale: bigint) => (value: DuckDBValue) => {
  const v = value as unknown as { micros?: bigint; millis?: bigint; seconds?: bigint; nanos?: bigint };
  if (v.micros !== undefined) return isoFromMicros(v.micros);
  if (v.millis !== undefined) return isoFromMicros(v.millis * 1000n);
  if (v.seconds !== undefined) return isoFromMicros(v.seconds * 1_000_000n);
  if (v.nanos !== undefined) return isoFromMicros(v.nanos / scale);
  return String(value);
};

const integer = (value: DuckDBValue): number | string => {
  const n = value as bigint;
  return n <= BigInt(Number.MAX_SAFE_INTEGER) && n >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(n) : String(n);
};

/** A DECIMAL as a number when a double holds it exactly (15 significant digits or fewer), else its text. */
const decimal = (value: DuckDBValue): number | string => {
  const text = String(value);
  const digits = text.replace(/[-+.]/g, '').replace(/^0+/, '').length;
  return digits <= 15 ? Number(text) : text;
};

const mapToObject: DuckDBValueConverter<JsonValue> = (value, type, converter) => {
  const out: Record<string, JsonValue> = {};
  const mapType = type as unknown as { keyType: Parameters<DuckDBValueConverter<JsonValue>>[1]; valueType: Parameters<DuckDBValueConverter<JsonValue>>[1] };
  for (const { key, value: v } of (value as DuckDBMapValue).entries) {
    const k = converter(key, mapType.keyType, converter);
    out[typeof k === 'string' ? k : JSON.stringify(k)] = converter(v, mapType.valueType, converter);
  }
  return out;
};

/** The converter: DuckDB's JSON one, with the changes above. */
export const jsonValueConverter: DuckDBValueConverter<JsonValue> = (() => {
  const base = JsonDuckDBValueConverter as DuckDBValueConverter<JsonValue>;
  const overrides: Partial<Record<DuckDBTypeId, DuckDBValueConverter<JsonValue>>> = {
    [DuckDBTypeId.BIGINT]: integer,
    [DuckDBTypeId.UBIGINT]: integer,
    [DuckDBTypeId.HUGEINT]: integer,
    [DuckDBTypeId.UHUGEINT]: integer,
    [DuckDBTypeId.TIMESTAMP]: toIso(1000n),
    [DuckDBTypeId.TIMESTAMP_TZ]: toIso(1000n),
    [DuckDBTypeId.TIMESTAMP_S]: toIso(1000n),
    [DuckDBTypeId.TIMESTAMP_MS]: toIso(1000n),
    [DuckDBTypeId.TIMESTAMP_NS]: toIso(1000n),
    [DuckDBTypeId.DECIMAL]: decimal,
    [DuckDBTypeId.MAP]: mapToObject,
  };
  const byId = {} as Record<DuckDBTypeId, DuckDBValueConverter<JsonValue> | undefined>;
  for (const id of Object.values(DuckDBTypeId)) {
    if (typeof id !== 'number') continue;
    byId[id] = overrides[id] ?? base;
  }
  return createDuckDBValueConverter<JsonValue>(byId);
})();

/** A result's column names and its rows as JSON values. */
export function resultRows(result: DuckDBResultReader): { columns: string[]; rows: JsonValue[][] } {
  return { columns: result.columnNames(), rows: result.convertRows(jsonValueConverter) };
}
