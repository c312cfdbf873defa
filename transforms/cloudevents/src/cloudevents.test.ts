// Builds dist/cloudevents.wasm (when stale) and calls it through the Extism JS SDK.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, openTransform, sampleRecord } from '@k8stream/transform-kit/testing';
import type { TransformHandle } from '@k8stream/transform-kit/testing';

const PKG = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
let wasm: string;
const open: TransformHandle[] = [];

beforeAll(async () => {
  wasm = await ensureBuilt(PKG);
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((h) => h.close()));
});

async function cloudevents(config: Record<string, unknown> = {}): Promise<TransformHandle> {
  const h = await openTransform(wasm, config);
  open.push(h);
  return h;
}

describe('CloudEvents 1.0 envelope', () => {
  it('wraps the record with the default attributes, in a fixed order', async () => {
    const h = await cloudevents();
    const rec = sampleRecord();
    const out = await h.callRaw(rec);
    expect(out).toBe(
      JSON.stringify({
        specversion: '1.0',
        id: rec.id,
        source: 'k8s://prod-eu-1/shop',
        type: 'io.k8s.event.BackOff',
        subject: 'Pod/web-7d9f8c6b5-x2x4q',
        time: '2026-01-02T03:09:05.000Z',
        datacontenttype: 'application/json',
        dataschema: 'urn:k8stream:schema:event:v1',
        schema: 'k8stream.cloudevent/v1',
        data: rec,
      }),
    );
  });

  it('embeds the record byte for byte, unknown fields and formatting included', async () => {
    const h = await cloudevents();
    const text = JSON.stringify({ ...sampleRecord({ message: 'é 😀\n"x"\u0001' }), future: { a: 1 } }, null, 2);
    const out = await h.callRaw(`  ${text}\n`);
    expect(out.endsWith(`,"data":${text}}`)).toBe(true);
    expect(JSON.parse(out).data).toEqual(JSON.parse(text));
  });

  it('falls back for cluster-scoped objects, missing reasons and missing timestamps', async () => {
    const h = await cloudevents();
    const rec = sampleRecord({
      namespace: '',
      reason: '',
      firstTimestamp: null,
      lastTimestamp: null,
      eventTime: null,
      involvedObject: { kind: 'Node', name: 'node-2', namespace: '', uid: 'n2', apiVersion: 'v1', fieldPath: '' },
    });
    const out = JSON.parse(await h.callRaw(rec));
    expect(out).toEqual({
      specversion: '1.0',
      id: rec.id,
      source: 'k8s://prod-eu-1',
      type: 'io.k8s.event.Unknown',
      subject: 'Node/node-2',
      datacontenttype: 'application/json',
      dataschema: 'urn:k8stream:schema:event:v1',
      schema: 'k8stream.cloudevent/v1',
      data: rec,
    });
  });

  it('uses eventTime when lastTimestamp is missing', async () => {
    const h = await cloudevents();
    const rec = sampleRecord({ lastTimestamp: null, eventTime: '2026-01-02T03:04:05.678Z' });
    expect(JSON.parse(await h.callRaw(rec)).time).toBe('2026-01-02T03:04:05.678Z');
  });

  it('takes templates, a type prefix and a dataschema from config', async () => {
    const h = await cloudevents({
      source: '/clusters/{cluster}/namespaces/{namespace}',
      subject: '{type}:{kind}:{name}:{uid}',
      typePrefix: 'com.example.k8s.',
      dataschema: 'https://example.com/schemas/event.v1.json',
    });
    const rec = sampleRecord();
    const out = JSON.parse(await h.callRaw(rec));
    expect(out).toMatchObject({
      source: '/clusters/prod-eu-1/namespaces/shop',
      subject: 'Warning:Pod:web-7d9f8c6b5-x2x4q:pod-uid-42',
      type: 'com.example.k8s.BackOff',
      dataschema: 'https://example.com/schemas/event.v1.json',
    });
    const noSchema = await cloudevents({ dataschema: 'none' });
    expect(JSON.parse(await noSchema.callRaw(rec))).not.toHaveProperty('dataschema');
  });

  it('escapes attribute values', async () => {
    const h = await cloudevents();
    const rec = sampleRecord({ cluster: 'c"1\\', reason: 'Bäd\nReason' });
    const out = JSON.parse(await h.callRaw(rec));
    expect(out.source).toBe('k8s://c"1\\/shop');
    expect(out.type).toBe('io.k8s.event.Bäd\nReason');
  });
});

describe('errors', () => {
  it.each([
    [{ source: 'k8s://{cluster}/{ns}' }, 'invalid transform config: config "source": unknown placeholder {ns} (known: {cluster} {namespace} {kind} {name} {reason} {type} {uid})'],
    [{ subject: '{kind' }, 'invalid transform config: config "subject": unclosed { in template'],
  ])('bad config %j fails every call', async (config, message) => {
    const h = await cloudevents(config);
    await expect(h.callRaw(sampleRecord())).rejects.toThrow(`Plugin-originated error: ${message}`);
  });

  it('input that is not a record fails the call', async () => {
    const h = await cloudevents();
    await expect(h.callRaw('[]')).rejects.toThrow('Plugin-originated error: input is not a JSON object (expected one k8stream.event/v1 record)');
    await expect(h.callRaw(sampleRecord({ schema: 'other/v9' }))).rejects.toThrow('Plugin-originated error: input record has schema "other/v9", expected "k8stream.event/v1"');
  });
});
