// An in-process V8 sampling profile of the main thread (node:inspector), summarised two ways:
// self time per pipeline stage (by the module each sampled function lives in) and the top
// functions by self time. Worker threads (the transform pool) and libuv's pool (zlib, fs) are
// not in it: their cost shows as "off-main-thread CPU" (process CPU minus this thread's CPU).
import { Session } from 'node:inspector/promises';

/** Stage of a profile node, from its script URL and function name. Order matters: first match wins. */
const STAGES = [
  ['gc', (url, fn) => fn === '(garbage collector)'],
  ['idle', (url, fn) => fn === '(idle)'],
  ['transform', (url) => /\/core\/dist\/transform\//.test(url)],
  ['encode/send', (url) => /\/core\/dist\/dispatch\/|\/plugins\/sink-|\/test\/bench\/bench-sink|node:zlib|node:internal\/(fs|zlib)/.test(url)],
  ['pipeline (map+filter+enrich)', (url) => /\/core\/dist\/(pipeline|filter|enrich|record)/.test(url)],
  [
    'source (parse)',
    (url) => /\/core\/dist\/(source|kube)\/|@kubernetes\/client-node|undici|node:internal\/(streams|http|net|stream_base|deps\/undici)|node:(http|net|stream|readline)/.test(url),
  ],
];

/** The stage name for one function; "other" when nothing matches. */
export function stageOf(url, functionName) {
  for (const [name, test] of STAGES) if (test(url ?? '', functionName ?? '')) return name;
  return 'other';
}

/**
 * Self time (µs) per node of a `Profiler.Profile`: samples × their time deltas, attributed to
 * the sampled node.
 */
export function selfTimes(profile) {
  const self = new Map();
  const { samples = [], timeDeltas = [] } = profile;
  for (let i = 0; i < samples.length; i++) {
    // timeDeltas[i] is the time before sample i; the next delta is the time sample i covers.
    const dt = timeDeltas[i + 1] ?? 0;
    self.set(samples[i], (self.get(samples[i]) ?? 0) + dt);
  }
  return self;
}

/**
 * Summarises a profile: µs per stage, and the top `top` functions (name, location, stage, µs).
 * `events` turns totals into µs/event.
 */
export function summariseProfile(profile, { events = 1, top = 15 } = {}) {
  const self = selfTimes(profile);
  const parent = new Map();
  for (const node of profile.nodes) for (const c of node.children ?? []) parent.set(c, node.id);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const stageCache = new Map();
  /** A node's stage; builtins and Node internals that match nothing take their caller's stage. */
  const resolveStage = (id) => {
    if (stageCache.has(id)) return stageCache.get(id);
    const { url, functionName } = byId.get(id).callFrame;
    let stage = stageOf(url, functionName);
    if (stage === 'other' && !/^file:/.test(url ?? '') && parent.has(id) && !functionName.startsWith('(')) stage = resolveStage(parent.get(id));
    stageCache.set(id, stage);
    return stage;
  };
  const byStage = {};
  const byFunction = new Map();
  for (const node of profile.nodes) {
    const us = self.get(node.id) ?? 0;
    if (us === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const stage = resolveStage(node.id);
    byStage[stage] = (byStage[stage] ?? 0) + us;
    const short = url ? url.replace(/^file:\/\/.*?\/(core|plugins|test|transforms|node_modules)\//, '$1/') : '';
    const key = `${functionName || '(anonymous)'} ${short}${short ? `:${lineNumber + 1}` : ''}`;
    const f = byFunction.get(key) ?? { fn: key, stage, us: 0 };
    f.us += us;
    byFunction.set(key, f);
  }
  const total = Object.values(byStage).reduce((a, b) => a + b, 0);
  delete byStage.idle; // not CPU
  const usPerEventByStage = Object.fromEntries(Object.entries(byStage).map(([k, v]) => [k, +(v / events).toFixed(2)]));
  const topFunctions = [...byFunction.values()]
    .filter((f) => f.stage !== 'idle')
    .sort((a, b) => b.us - a.us)
    .slice(0, top)
    .map((f) => ({ fn: f.fn, stage: f.stage, ms: +(f.us / 1000).toFixed(1), pct: +((f.us / total) * 100).toFixed(1) }));
  return { usPerEventByStage, topFunctions };
}

/** Starts sampling the main thread every `intervalUs`; `stop()` resolves with the profile. */
export async function startProfile(intervalUs = 500) {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: intervalUs });
  await session.post('Profiler.start');
  return {
    async stop() {
      const { profile } = await session.post('Profiler.stop');
      await session.post('Profiler.disable');
      session.disconnect();
      return profile;
    },
  };
}
