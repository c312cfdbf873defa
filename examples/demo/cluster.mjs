// `npm start`: k8stream on a simulated cluster, no real cluster or credentials needed.
//
// Starts the Kubernetes API-server double (HTTPS with its own CA, a bearer token), fills it with
// a simulated cluster and some event history, then runs the real `k8stream run` against it
// with examples/demo/.k8streamrc while the cluster keeps producing events. Stops by itself once
// everything the cluster produced is archived (or runs until Ctrl-C with --follow).
//
//   node examples/demo/cluster.mjs [--follow] [--events N] [--rate N] [k8stream options...]
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startApiServer, createClusterSimulation } from '@k8stream/apiserver-double';
import { runCli } from '../../core/dist/cli/commands.js';

const here = dirname(fileURLToPath(import.meta.url));
const { values, tokens } = parseArgs({
  args: process.argv.slice(2),
  strict: false,
  tokens: true,
  options: { follow: { type: 'boolean' }, events: { type: 'string' }, rate: { type: 'string' } },
});
const follow = values.follow === true;
const live = Number(values.events ?? 700);
const rate = Number(values.rate ?? 400);
const passThrough = tokens
  .filter((t) => t.kind === 'option' && !['follow', 'events', 'rate'].includes(t.name))
  .map((t) => t.rawName + (t.value !== undefined ? `=${t.value}` : ''));

const tmp = await mkdtemp(join(tmpdir(), 'k8stream-demo-'));
const server = await startApiServer({ https: true, token: randomBytes(16).toString('hex') });
const sim = createClusterSimulation(server.store, { seed: 7 });
sim.emit(300); // history: the initial list finds each event's latest version
const history = server.store.count('events');
const kubeconfig = await server.writeKubeconfig(tmp);
process.stderr.write(`demo: simulated cluster at ${server.url} — ${sim.pods.length} pods in ${sim.namespaces.length} namespaces, ${history} events so far\n`);

const stop = new AbortController();
// Live events start once k8stream has listed: its watch resumes from the list, so every later write is seen.
const producing = server.stats
  .waitFor((s) => s.count({ verb: 'list', resource: 'events', code: 200 }) >= 1)
  .then(() => sim.run({ rate, signal: stop.signal, ...(follow ? {} : { count: live }) }))
  .catch(() => 0);
let received = 0;
let caughtUp = () => {};
const allReceived = new Promise((resolve) => (caughtUp = resolve));
const onProgress = (c) => {
  received = c.received;
  if (!follow && received >= history + live) caughtUp();
};
const onSignal = () => stop.abort();
process.once('SIGINT', onSignal);
process.once('SIGTERM', onSignal);
if (!follow) {
  // Stop once the cluster is done and k8stream has received every event it produced.
  void Promise.all([producing, allReceived]).then(() => stop.abort());
}

const code = await runCli(['run', '--config', join(here, '.k8streamrc'), ...passThrough], {
  stdout: process.stdout,
  stderr: process.stderr,
  env: { ...process.env, K8STREAM_KUBECONFIG: kubeconfig },
  cwd: process.cwd(),
  signal: stop.signal,
  onProgress,
});
stop.abort();
await producing;
process.stderr.write(
  `demo: the cluster held ${history} events and produced ${follow ? sim.produced.length - 300 : live} more; k8stream received ${received} of them (events; the summary above also counts bookmarks)\n`,
);
await server.close();
await rm(tmp, { recursive: true, force: true });
process.exitCode = code;
