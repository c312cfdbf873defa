/** `body: otlp` unit concerns: lazy loading of the serializer, the endpoint URL, non-event records, timestamps. */
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { makeTestBatch } from '@k8stream/core/testing';
import { buildOtlpLogs, isoToUnixNano, otlpJsonRequest } from './otlp.js';
import { classifyResponse, otlpLogsUrl } from './sink.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/**
 * In a fresh Node process: creates a sink with `body` and prints whether any module of
 * `@opentelemetry/otlp-transformer` was resolved (a resolve hook records every resolution). The
 * sources run as TypeScript (Node strips the types).
 */
async function loadsTransformer(body: 'batch' | 'loki' | 'otlp'): Promise<boolean> {
  const script = `
    import { registerHooks } from 'node:module';
    const seen = [];
    registerHooks({
      resolve(specifier, context, next) {
        let r;
        try {
          r = next(specifier, context);
        } catch (err) {
          // The sources import their siblings as ./x.js (TypeScript's convention): use ./x.ts.
          if (err?.code !== 'ERR_MODULE_NOT_FOUND' || !specifier.startsWith('.')) throw err;
          r = next(specifier.replace(/\\.js$/, '.ts'), context);
        }
        seen.push(r.url);
        return r;
      },
    });
    const { createHttpSink } = await import(${JSON.stringify(path.join(here, 'sink.ts'))});
    const plugin = createHttpSink({ env: {} });
    const sink = await plugin.create(plugin.validate({ url: 'http://127.0.0.1:9/x', body: ${JSON.stringify(body)} }), { name: 't', cluster: 'c', configDir: '.', logger: undefined });
    await sink.close();
    console.log(JSON.stringify(seen.some((u) => u.includes('/@opentelemetry/otlp-transformer/'))));
  `;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { cwd: here });
  return JSON.parse(stdout.trim().split('\n').pop()!) as boolean;
}

describe('lazy loading', () => {
  it('loads @opentelemetry/otlp-transformer only for a sink with body: otlp', async () => {
    expect(await loadsTransformer('batch')).toBe(false);
    expect(await loadsTransformer('loki')).toBe(false);
    expect(await loadsTransformer('otlp')).toBe(true);
  }, 30_000);
});

describe('otlpLogsUrl', () => {
  it.each([
    ['http://collector:4318', 'http://collector:4318/v1/logs'],
    ['http://collector:4318/', 'http://collector:4318/v1/logs'],
    ['https://gw.example/otlp', 'https://gw.example/otlp/v1/logs'],
    ['https://gw.example/otlp/', 'https://gw.example/otlp/v1/logs'],
    ['http://collector:4318/v1/logs', 'http://collector:4318/v1/logs'],
    ['http://collector:4318/v1/logs?tenant=a', 'http://collector:4318/v1/logs?tenant=a'],
    ['http://collector:4318/prefix?tenant=a', 'http://collector:4318/prefix/v1/logs?tenant=a'],
  ])('%s → %s', (url, expected) => {
    expect(otlpLogsUrl(url).toString()).toBe(expected);
  });
});

describe('isoToUnixNano', () => {
  it('keeps every fractional digit and reads offsets', () => {
    expect(isoToUnixNano('1970-01-01T00:00:01Z')).toBe(1_000_000_000n);
    expect(isoToUnixNano('1970-01-01T00:00:01.5Z')).toBe(1_500_000_000n);
    expect(isoToUnixNano('1970-01-01T00:00:01.123456789Z')).toBe(1_123_456_789n);
    expect(isoToUnixNano('1970-01-01T01:00:01.000001+01:00')).toBe(1_000_001_000n);
    expect(isoToUnixNano('')).toBeUndefined();
    expect(isoToUnixNano('yesterday')).toBeUndefined();
  });
});

describe('records that are not events', () => {
  it('become one LogRecord each with the JSON as body, under the cluster resource (a dead-letter batch)', async () => {
    const dead = {
      schema: 'k8stream.deadletter/v1',
      id: 'd-1',
      time: '2026-11-27T12:00:00.250Z',
      stage: 'sink',
      component: 's3',
      error: { code: 'X', message: 'm' },
      record: { a: 1 },
    };
    const batch = await makeTestBatch([dead, 'not an object'], undefined, { cluster: 'c1', createdAt: 1_000 });
    const groups = buildOtlpLogs(batch);
    expect(groups).toHaveLength(1);
    expect(groups[0]!.resource).toEqual({ 'k8s.cluster.name': 'c1' });
    expect(groups[0]!.records).toEqual([
      {
        timeUnixNano: 1_795_780_800_250_000_000n,
        observedTimeUnixNano: 1_000_000_000n,
        severityNumber: 0,
        severityText: '',
        body: JSON.stringify(dead),
        eventName: '',
        attributes: { 'k8stream.schema': 'k8stream.deadletter/v1', 'k8stream.record.id': 'd-1' },
      },
      { timeUnixNano: 0n, observedTimeUnixNano: 1_000_000_000n, severityNumber: 0, severityText: '', body: '"not an object"', eventName: '', attributes: {} },
    ]);
    const json = otlpJsonRequest(groups, { name: 'k8stream', version: '1' }) as { resourceLogs: { scopeLogs: { logRecords: Record<string, unknown>[] }[] }[] };
    expect(json.resourceLogs[0]!.scopeLogs[0]!.logRecords[1]).toEqual({
      timeUnixNano: '0',
      observedTimeUnixNano: '1000000000',
      body: { stringValue: '"not an object"' },
      attributes: [],
    });
  });
});

describe('OTLP error bodies', () => {
  const context = { where: 'POST http://c/v1/logs', sink: 'otel', body: 'otlp' as const, secrets: ['tok3n'], now: 0 };
  const error = (contentType: string, bytes: Uint8Array): string => {
    try {
      classifyResponse({ status: 400, headers: { 'content-type': contentType }, text: Buffer.from(bytes).toString('utf8'), bytes }, context);
    } catch (err) {
      return (err as Error).message;
    }
    throw new Error('classifyResponse did not throw');
  };

  it('leaves out a protobuf body that is not a Status instead of printing binary', () => {
    expect(error('application/x-protobuf', new Uint8Array([0xff, 0xff, 0xff, 0x0f, 0x7a]))).toBe('POST http://c/v1/logs answered 400');
  });

  it('shows a plain-text body as is, redacted', () => {
    expect(error('text/plain', new TextEncoder().encode('bad tok3n'))).toBe('POST http://c/v1/logs answered 400: bad [REDACTED]');
  });
});
