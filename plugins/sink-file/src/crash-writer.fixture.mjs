// Child process for the crash test: sends a batch through the built file sink with a file system
// that writes the first chunk of the temp file, tells the parent, and then stalls forever, so the
// parent can SIGKILL it in the middle of the write.
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { createFileSink, nodeFs } from '../dist/index.js';

const [configDir, batchFile] = process.argv.slice(2);
const raw = JSON.parse(await readFile(batchFile, 'utf8'));
const batch = { ...raw, body: new Uint8Array(Buffer.from(raw.body, 'base64')) };

let writes = 0;
const stalling = {
  ...nodeFs,
  async open(file, flags, mode) {
    const handle = await nodeFs.open(file, flags, mode);
    if (flags !== 'wx' || path.basename(file).startsWith('.k8stream-probe-')) return handle;
    return {
      write: async (buffer, offset, length, position) => {
        if (writes++ === 0) return handle.write(buffer, offset, length, position);
        process.send({ partial: file });
        setInterval(() => {}, 60_000); // stay alive, stalled mid-write, until the parent kills us
        return new Promise(() => {});
      },
      sync: () => handle.sync(),
      chmod: (m) => handle.chmod(m),
      close: () => handle.close(),
    };
  },
};

const logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => logger };
const sink = createFileSink({ fs: stalling });
const instance = await sink.create(sink.validate({ dir: 'out' }), { name: 'archive', cluster: 'test-cluster', configDir, logger });
await instance.send(batch, { signal: new AbortController().signal, attempt: 1, logger });
