import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { k8streamrcJsonSchema } from './definition.js';
import { K8STREAMRC_SCHEMA_PATH, renderK8streamrcSchema } from './schema-file.js';

describe('published JSON Schema', () => {
  it('core/schema/k8streamrc.schema.json is in sync with the definition (regenerate: npm run docs)', async () => {
    const committed = await readFile(K8STREAMRC_SCHEMA_PATH, 'utf8');
    expect(committed).toBe(renderK8streamrcSchema());
  });

  it('describes the public keys, defaults included, and rejects unknown ones', () => {
    const schema = k8streamrcJsonSchema() as {
      $schema: string;
      additionalProperties: boolean;
      properties: Record<string, { description?: string; default?: unknown; items?: { required?: string[] } }>;
      $defs: Record<string, unknown>;
    };
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties)).toEqual([
      '$schema',
      '$import',
      'cluster',
      'source',
      'enrich',
      'transforms',
      'sinks',
      'deadLetter',
      'delivery',
      'state',
      'leaderElection',
      'server',
      'health',
      'heartbeat',
      'shutdown',
      'log',
    ]);
    expect(schema.properties.cluster!.default).toBe('default');
    expect(schema.properties.delivery!.default).toBe('at-least-once');
    expect(schema.properties.enrich!.default).toEqual({
      objects: true,
      owners: true,
      nodes: true,
      services: true,
      cacheTtlMs: 60_000,
      cacheMaxEntries: 10_000,
      qps: 20,
      burst: 40,
      serviceChanges: false,
    });
    expect(schema.properties.sinks!.items!.required).toEqual(['use']);
    expect(schema.properties.transforms!.items!.required).toEqual(['use']);
    for (const [key, property] of Object.entries(schema.properties)) {
      expect(property.description, `${key} has a description`).toMatch(/\S/);
    }
    expect(Object.keys(schema.$defs)).toEqual(['interpolated']);
  });
});
