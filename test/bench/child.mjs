// Runs one scenario in this (fresh) process and sends its result to the parent over IPC:
//   node test/bench/child.mjs <A|B|C|D|E|F|R> '<options as JSON>'
import { setupProcess } from '../../core/dist/cli/process-setup.js';

// What the binary does first (core/src/cli/main.ts: lean client-node), so that the
// scenario measures what the binary runs; before anything loads @kubernetes/client-node, hence
// the dynamic imports below.
setupProcess();
const { watchScenario, initialSync, steady } = await import('./live.mjs');
const { replayToFile, pressure } = await import('./replay.mjs');

const SCENARIOS = {
  R: (o) => replayToFile(o),
  A: (o) => watchScenario({ id: 'A', title: 'watch → filter → enrich (warm) → file, gzip', transforms: 'none', ...o }),
  B: (o) => watchScenario({ id: 'B', title: 'A + redact transform (worker pool)', transforms: 'one', ...o }),
  C: (o) => watchScenario({ id: 'C', title: 'A + 3 transforms (redact, route-tag, filter)', transforms: 'three', ...o }),
  D: (o) => initialSync(o),
  E: (o) => steady(o),
  F: (o) => pressure(o),
};

const [name, json = '{}'] = process.argv.slice(2);
const scenario = SCENARIOS[name];
if (!scenario) throw new Error(`unknown scenario ${name}; one of ${Object.keys(SCENARIOS).join(', ')}`);
try {
  const result = await scenario(JSON.parse(json));
  process.send({ result }, () => process.exit(0));
} catch (err) {
  process.send({ error: err?.stack ?? String(err) }, () => process.exit(1));
}
