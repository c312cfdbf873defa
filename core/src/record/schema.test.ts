import { readFile, readdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { toRecord } from './map.js';
import { EVENT_RECORD_JSON_SCHEMA, EVENT_RECORD_SCHEMA_FILE } from './schema.js';
import type { JsonValue } from './schema.js';

const schemaFile = fileURLToPath(new URL(`../../schema/${EVENT_RECORD_SCHEMA_FILE}`, import.meta.url));
const demoFile = fileURLToPath(new URL('../../../examples/demo/events.json', import.meta.url));
const corpusDir = fileURLToPath(new URL('../../../test/fixtures/events-corpus/', import.meta.url));

type Schema = { readonly [key: string]: JsonValue };

/**
 * The subset of JSON Schema 2020-12 the record schema uses: type (string or list), const,
 * enum, required, properties, additionalProperties (schema), items, anyOf, minimum,
 * minLength, format date-time. `strict` also rejects properties an object schema does not declare,
 * so a field added to the record but not to the schema is caught.
 */
function check(schema: Schema, value: unknown, path: string, strict: boolean, out: string[]): void {
  const type = schema['type'];
  if (type !== undefined) {
    const types = (Array.isArray(type) ? type : [type]) as string[];
    if (!types.some((t) => isType(value, t))) {
      out.push(`${path}: expected ${types.join('|')}, got ${JSON.stringify(value)}`);
      return;
    }
  }
  if ('const' in schema && value !== schema['const']) out.push(`${path}: expected ${JSON.stringify(schema['const'])}`);
  if (Array.isArray(schema['enum']) && !(schema['enum'] as unknown[]).includes(value)) out.push(`${path}: not in enum`);
  if (typeof schema['minimum'] === 'number' && typeof value === 'number' && value < schema['minimum']) out.push(`${path}: below minimum`);
  if (typeof schema['minLength'] === 'number' && typeof value === 'string' && value.length < schema['minLength']) {
    out.push(`${path}: shorter than ${schema['minLength']}`);
  }
  if (schema['format'] === 'date-time' && typeof value === 'string' && !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(value)) {
    out.push(`${path}: not a date-time`);
  }
  if (Array.isArray(schema['anyOf'])) {
    const branches = schema['anyOf'] as Schema[];
    if (!branches.some((b) => errorsOf(b, value, path, strict).length === 0)) out.push(`${path}: matches no anyOf branch`);
  }
  const describesObject = 'properties' in schema || 'additionalProperties' in schema || 'required' in schema;
  if (describesObject && isType(value, 'object')) {
    const obj = value as Record<string, unknown>;
    for (const key of (schema['required'] as string[] | undefined) ?? []) if (!(key in obj)) out.push(`${path}.${key}: required`);
    const props = (schema['properties'] as Record<string, Schema> | undefined) ?? {};
    const extra = schema['additionalProperties'] as Schema | undefined;
    for (const [key, v] of Object.entries(obj)) {
      const sub = props[key] ?? extra;
      if (sub) check(sub, v, `${path}.${key}`, strict, out);
      else if (strict) out.push(`${path}.${key}: not declared in the schema`);
    }
  }
  if (Array.isArray(value) && schema['items']) {
    value.forEach((v, i) => check(schema['items'] as Schema, v, `${path}[${i}]`, strict, out));
  }
}

function errorsOf(schema: Schema, value: unknown, path = '$', strict = true): string[] {
  const out: string[] = [];
  check(schema, value, path, strict, out);
  return out;
}

function isType(value: unknown, type: string): boolean {
  switch (type) {
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    case 'array':
      return Array.isArray(value);
    case 'integer':
      return Number.isInteger(value);
    case 'null':
      return value === null;
    default:
      return typeof value === type;
  }
}

describe('event record JSON Schema', () => {
  it('is the shipped core/schema/event.v1.schema.json (UPDATE_SCHEMA=1 rewrites the file)', async () => {
    const expected = JSON.stringify(EVENT_RECORD_JSON_SCHEMA, null, 2) + '\n';
    if (process.env['UPDATE_SCHEMA'] === '1') await writeFile(schemaFile, expected);
    expect(await readFile(schemaFile, 'utf8')).toBe(expected);
  });

  it('is draft 2020-12 and names the v1 schema string', () => {
    expect(EVENT_RECORD_JSON_SCHEMA.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(EVENT_RECORD_JSON_SCHEMA.properties.schema.const).toBe('k8stream.event/v1');
  });

  it('validates every record made from the demo fixtures (strictly: no undeclared fields)', async () => {
    const list = JSON.parse(await readFile(demoFile, 'utf8')) as { items: unknown[] };
    expect(list.items.length).toBeGreaterThanOrEqual(300);
    const problems: string[] = [];
    for (const raw of list.items) {
      const rec = toRecord(raw, { cluster: 'demo', action: 'ADDED' });
      problems.push(...errorsOf(EVENT_RECORD_JSON_SCHEMA, rec, rec.id));
    }
    expect(problems).toEqual([]);
  });

  it('validates every record made from the events corpus: events API, related, series, odd text and times', async () => {
    const problems: string[] = [];
    let n = 0;
    for (const file of (await readdir(corpusDir)).filter((f) => f.endsWith('.json'))) {
      const list = JSON.parse(await readFile(corpusDir + file, 'utf8')) as { apiVersion: string; items: Record<string, unknown>[] };
      for (const item of list.items) {
        const rec = toRecord({ apiVersion: list.apiVersion, ...item }, { cluster: 'corpus', action: 'SYNC' });
        problems.push(...errorsOf(EVENT_RECORD_JSON_SCHEMA, rec, `${file} ${rec.id}`));
        n++;
      }
    }
    expect(n).toBeGreaterThanOrEqual(25);
    expect(problems).toEqual([]);
  });

  it('rejects a related or series of the wrong shape', () => {
    const rec = toRecord({ metadata: { uid: 'u', resourceVersion: '1' } }, { cluster: 'c', action: 'SYNC' });
    expect(errorsOf(EVENT_RECORD_JSON_SCHEMA, { ...rec, related: { kind: 'Pod' }, series: { count: 1.5, lastObservedTime: 'later' }, eventAction: null })).toEqual([
      '$.eventAction: expected string, got null',
      '$.related: matches no anyOf branch',
      '$.series: matches no anyOf branch',
    ]);
  });

  it('validates a fully enriched record', () => {
    const rec = toRecord({ metadata: { uid: 'u', resourceVersion: '1' } }, { cluster: 'c', action: 'SYNC' });
    rec.enrichment = {
      labels: { app: 'cart' },
      annotations: { 'k8s.io/x': 'y' },
      owners: [{ kind: 'ReplicaSet', name: 'cart-5f7b', uid: 'r1', apiVersion: 'apps/v1' }],
      workload: { kind: 'Deployment', name: 'cart', uid: 'd1', apiVersion: 'apps/v1' },
      node: { name: 'node-1', addresses: [{ type: 'InternalIP', address: '10.0.1.23' }] },
      pod: { ip: '10.0.2.7', hostIP: '10.0.1.23', phase: 'Running', startTime: '2026-11-02T09:00:00.000Z' },
      services: [{ name: 'cart', namespace: 'shop' }],
      errors: [{ lookup: 'services', message: 'forbidden' }],
    };
    expect(errorsOf(EVENT_RECORD_JSON_SCHEMA, rec)).toEqual([]);
  });

  it('rejects broken records (the checker above is not vacuous)', () => {
    const rec = toRecord({ metadata: { uid: 'u', resourceVersion: '1' } }, { cluster: 'c', action: 'SYNC' }) as unknown as Record<string, unknown>;
    const broken = { ...rec, count: 0, action: 'UPDATED', lastTimestamp: 'yesterday', extra: 1 };
    delete (broken as Record<string, unknown>)['reason'];
    expect(errorsOf(EVENT_RECORD_JSON_SCHEMA, broken)).toEqual([
      '$.reason: required',
      '$.lastTimestamp: not a date-time',
      '$.count: below minimum',
      '$.action: not in enum',
      '$.extra: not declared in the schema',
    ]);
  });
});
