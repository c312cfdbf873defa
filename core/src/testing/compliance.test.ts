import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { sinkComplianceSuite } from './index.js';
import { memorySink, readStore, stores } from './fixtures/memory-sink.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

// A correct sink passes every check.
sinkComplianceSuite({
  plugin: memorySink({ failAs: 'permanent' }),
  validConfig: { store: 'good' },
  invalidConfigs: [
    { config: {}, path: 'store', message: 'non-empty' },
    { config: { store: 'x', fail: 'yes' }, path: 'fail' },
    { config: 'nope', path: '' },
  ],
  setup: () => {
    stores.delete('good');
    return { store: 'good' };
  },
  readBack: (_batch, env) => readStore(env.store),
  failures: [{ name: 'the destination rejects the batch', config: { store: 'good', fail: true }, expect: 'permanent' }],
});

describe('sinkComplianceSuite catches broken sinks', () => {
  it('fails exactly the checks each flaw breaks', async () => {
    const out = await mkdtemp(path.join(os.tmpdir(), 'k8stream-suite-'));
    try {
      const report = path.join(out, 'report.json');
      const vitest = path.resolve(here, '../../../node_modules/vitest/vitest.mjs');
      await promisify(execFile)(
        process.execPath,
        [vitest, 'run', '--root', path.join(here, 'fixtures'), '--no-cache', '--no-fsModuleCache', '--reporter=json', `--outputFile=${report}`],
        {
          cwd: path.join(here, 'fixtures'),
        },
      ).catch((err: unknown) => err); // the run fails on purpose
      const json = JSON.parse(await readFile(report, 'utf8')) as {
        testResults: { assertionResults: { ancestorTitles: string[]; title: string; status: string }[] }[];
      };
      const failed = json.testResults
        .flatMap((f) => f.assertionResults)
        .filter((a) => a.status === 'failed')
        .map((a) => `${a.ancestorTitles.join(' > ')} > ${a.title}`)
        .sort();
      expect(failed).toEqual(
        [
          'duplicating > redelivering the same batch is idempotent',
          'duplicating > redelivery by a new instance (after a restart) is idempotent',
          'lenient > validate rejects invalid config #1 {} with an issue at "store"',
          'lossy > send accepts batches in every encoding',
          'lossy > send delivers a large batch',
          'lossy > send delivers every record of an encoded batch (resolving is the ack)',
          'lossy > redelivering the same batch is idempotent',
          'lossy > redelivery by a new instance (after a restart) is idempotent',
          'misclassifying > classifies a failed send as permanent: rejected by the destination',
          'reopening > send after close rejects with SINK_CLOSED naming the sink; a second close resolves',
        ].sort(),
      );
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});
