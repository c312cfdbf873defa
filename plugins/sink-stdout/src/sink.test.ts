import { describe, expect, it } from 'vitest';
import { makeTestBatch, sampleRecords, testSendContext, testSinkContext } from '@k8stream/core/testing';
import sink, { createStdoutSink } from './index.js';
import { CaptureStream } from './capture.fixture.js';

describe('stdout sink', () => {
  it('writes each record as exactly one JSON line, whatever the batch encoding', async () => {
    const capture = new CaptureStream();
    const def = createStdoutSink({ stream: capture });
    const instance = await def.create(def.validate(undefined), testSinkContext());
    const records = sampleRecords(3);
    await instance.send(await makeTestBatch(records, { format: 'json', compression: 'zstd' }), testSendContext());
    expect(capture.text()).toBe(records.map((r) => `${JSON.stringify(r)}\n`).join(''));
  });

  it('escapes U+2028/U+2029, so a record carrying one is still one line for line readers', async () => {
    const capture = new CaptureStream();
    const def = createStdoutSink({ stream: capture });
    const instance = await def.create(def.validate(undefined), testSinkContext());
    const records = [sampleRecords(1)[0]!, ...sampleRecords(1, 1).map((r) => ({ ...r, message: 'a\u2028b\u2029c' }))];
    await instance.send(await makeTestBatch(records), testSendContext());
    expect(capture.text()).not.toMatch(/[\u2028\u2029]/);
    expect(
      capture
        .text()
        .split('\n')
        .slice(0, -1)
        .map((l) => JSON.parse(l) as unknown),
    ).toEqual(records);
  });

  it('indents records with pretty: true', async () => {
    const capture = new CaptureStream();
    const def = createStdoutSink({ stream: capture });
    expect(def.validate({ pretty: true })).toEqual({ pretty: true });
    const instance = await def.create(def.validate({ pretty: true }), testSinkContext());
    const records = sampleRecords(2);
    await instance.send(await makeTestBatch(records), testSendContext());
    expect(capture.text()).toBe(records.map((r) => `${JSON.stringify(r, null, 2)}\n`).join(''));
  });

  it('waits for drain: the stream buffer stays bounded and every record arrives in order', async () => {
    const highWaterMark = 4096;
    const chunkSize = 1024;
    const capture = new CaptureStream({ highWaterMark });
    const def = createStdoutSink({ stream: capture, chunkSize });
    const instance = await def.create(def.validate({}), testSinkContext());
    const records = sampleRecords(500);
    const longestLine = Math.max(...records.map((r) => JSON.stringify(r).length + 1));
    await instance.send(await makeTestBatch(records), testSendContext());
    expect(capture.lines()).toEqual(records);
    expect(capture.drains).toBeGreaterThan(0);
    // One chunk (at most chunkSize plus one line) may go in after the buffer reached its mark, never more.
    expect(capture.maxBuffered).toBeLessThanOrEqual(highWaterMark + chunkSize + longestLine);
  });

  it('an abort while waiting for drain rejects with the reason (a transient failure)', async () => {
    const capture = new CaptureStream({ highWaterMark: 64 });
    const def = createStdoutSink({ stream: capture, chunkSize: 64 });
    const instance = await def.create(def.validate({}), testSinkContext());
    const controller = new AbortController();
    const sending = instance.send(await makeTestBatch(sampleRecords(50)), testSendContext({ signal: controller.signal }));
    controller.abort(new Error('send timed out'));
    await expect(sending).rejects.toThrow('send timed out');
  });

  it('skips a batch it already wrote (redelivery after a timeout)', async () => {
    const capture = new CaptureStream();
    const def = createStdoutSink({ stream: capture });
    const instance = await def.create(def.validate({}), testSinkContext());
    const batch = await makeTestBatch(sampleRecords(4));
    await instance.send(batch, testSendContext());
    await instance.send(batch, testSendContext({ attempt: 2 }));
    expect(capture.lines()).toEqual(batch.records);
  });

  it('after a stream error, later sends fail permanently instead of crashing the process', async () => {
    const capture = new CaptureStream();
    const def = createStdoutSink({ stream: capture });
    const instance = await def.create(def.validate({}), testSinkContext({ name: 'console' }));
    capture.failWith('EPIPE', 'broken pipe');
    await expect(instance.send(await makeTestBatch(sampleRecords(2)), testSendContext())).rejects.toMatchObject({
      code: 'SINK_PERMANENT',
      message: 'stdout sink "console": output closed (EPIPE: broken pipe)',
    });
    await expect(instance.send(await makeTestBatch(sampleRecords(2, 10)), testSendContext())).rejects.toMatchObject({
      code: 'SINK_PERMANENT',
      message: 'stdout sink "console": output failed earlier (EPIPE: broken pipe)',
    });
  });

  it('writes to process.stdout by default and describes itself', async () => {
    const instance = await sink.create(sink.validate(null), testSinkContext());
    expect(instance.describe?.()).toBe('stdout');
    await instance.close?.();
    await expect(instance.send(await makeTestBatch(sampleRecords(1)), testSendContext())).rejects.toMatchObject({ code: 'SINK_CLOSED' });
  });
});
