import { sinkComplianceSuite } from '@k8stream/core/testing';
import { createStdoutSink } from './index.js';
import type { OutputStream } from './index.js';
import { CaptureStream } from './capture.fixture.js';

/** Each test gets a fresh capture; the sink's stream forwards to the current one. */
let capture = new CaptureStream();
const stream: OutputStream = {
  write: (chunk, cb) => capture.write(chunk, cb),
  on: (event, listener) => capture.on(event, listener),
  off: (event, listener) => capture.off(event, listener),
};

sinkComplianceSuite({
  plugin: createStdoutSink({ stream, chunkSize: 4096 }),
  validConfig: {},
  invalidConfigs: [
    { config: { pretty: 'very' }, path: 'pretty', message: 'expected a boolean' },
    { config: { prety: true }, path: 'prety', message: 'did you mean "pretty"?' },
    { config: 'yes', path: '' },
  ],
  setup: () => {
    capture = new CaptureStream({ highWaterMark: 8 * 1024 });
    return { capture };
  },
  readBack: async (_batch, env) => env.capture.lines(),
  // A new process cannot know what an earlier one printed; redeliveries within a process are skipped.
  idempotentAcrossRestarts: false,
  failures: [
    { name: 'the reader closed the pipe (EPIPE)', arrange: (env) => env.capture.failWith('EPIPE', 'broken pipe'), expect: 'permanent' },
    { name: 'a passing write error (EAGAIN)', arrange: (env) => env.capture.failWith('EAGAIN', 'resource temporarily unavailable'), expect: 'transient' },
  ],
});
