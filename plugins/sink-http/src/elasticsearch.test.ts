import { describe, expect, it } from 'vitest';
import { makeTestBatch, sampleRecord } from '@k8stream/core/testing';
import { buildBulkBody } from './elasticsearch.js';

describe('Elasticsearch _bulk body', () => {
  it('escapes U+2028/U+2029: a record carrying one stays one NDJSON line', async () => {
    const record = sampleRecord(1, { message: 'a\u2028b\u2029c' });
    const body = buildBulkBody(await makeTestBatch([record]), 'k8s-events');
    expect(body).not.toMatch(/[\u2028\u2029]/);
    const lines = body.split('\n');
    expect(lines).toHaveLength(3); // action, document, and the empty string after the last \n
    expect(JSON.parse(lines[1]!)).toEqual(record);
  });
});
