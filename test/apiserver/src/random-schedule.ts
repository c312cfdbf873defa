/**
 * A random fault storm from a seed: what a troubled API server does to list+watch clients —
 * 429 with Retry-After, 500/503 on lists and watches, 503 on list continuation pages, 410 as
 * HTTP (on watches and on continuation pages, as for an expired continue token) and as an
 * in-stream ERROR, empty 200s, connection resets (before an answer, after some
 * events, or on the open stream), clean closes, silent streams and restarts (the open watch cut,
 * then 503s and 429s for the reconnects) — arriving at random times,
 * sometimes several at once. The same options always give the same schedule.
 */
import { Rng } from './rng.js';
import type { ScheduledFault } from './storm.js';

export interface RandomScheduleOptions {
  seed: number;
  /** How long the storm lasts; faults arrive in [0, durationMs) and the server is healthy from then on. */
  durationMs: number;
  /** Mean time between arrivals. @default 150 */
  meanGapMs?: number;
  /** Largest `Retry-After` of a 429, in whole seconds (each is 1…this). @default 2 */
  maxRetryAfterSeconds?: number;
  /** Longest timed silence; some silences last until the storm ends instead. @default 1000 */
  maxSilentMs?: number;
  /** Resource every fault matches. @default "events" */
  resource?: string;
}

export interface RandomSchedule {
  seed: number;
  entries: ScheduledFault[];
  /** When the storm ends (= `durationMs`): pass it to `faults.schedule` as `healthyAtMs`. */
  healthyAtMs: number;
}

type Entry = Omit<ScheduledFault, 'atMs' | 'resource'>;
type Make = (rng: Rng, o: Required<RandomScheduleOptions>) => Entry | Entry[];

const either = (rng: Rng): { verb?: 'list' | 'watch' } => {
  const v = rng.pick(['any', 'list', 'watch'] as const);
  return v === 'any' ? {} : { verb: v };
};

const throttled = (rng: Rng, o: Required<RandomScheduleOptions>): Entry => ({
  ...either(rng),
  fault: { type: 'http', status: 429, retryAfterSeconds: rng.int(1, o.maxRetryAfterSeconds) },
});

/** The kinds of trouble, with their weights. */
const KINDS: [number, Make][] = [
  [3, throttled],
  [2, (rng) => ({ ...either(rng), fault: { type: 'http', status: 500 } })],
  [2, (rng) => ({ ...either(rng), fault: { type: 'http', status: 503 } })],
  [1, () => ({ verb: 'list', page: 'continue', fault: { type: 'http', status: 503 } })],
  [1, () => ({ verb: 'watch', fault: { type: 'http', status: 410 } })],
  // An expired continue token: HTTP 410 on a continuation page.
  [1, () => ({ verb: 'list', page: 'continue', fault: { type: 'error410' } })],
  [2, (rng) => ({ verb: 'watch', live: rng.next() < 0.5, fault: { type: 'error410', afterEvents: rng.int(0, 5) } })],
  [2, () => ({ verb: 'watch', fault: { type: 'empty200' } })],
  [1, (rng) => ({ verb: 'list', fault: { type: 'empty200' }, ...(rng.next() < 0.5 ? { page: 'continue' as const } : {}) })],
  [1, () => ({ fault: { type: 'reset' } })],
  [2, (rng) => ({ verb: 'watch', live: rng.next() < 0.5, fault: { type: 'reset', afterEvents: rng.int(1, 10) } })],
  [1, (rng) => ({ verb: 'watch', live: true, fault: { type: 'closeStream', afterEvents: rng.int(0, 10) } })],
  [
    2,
    (rng, o) => ({
      verb: 'watch',
      live: rng.next() < 0.5,
      fault: rng.next() < 0.2 ? { type: 'silent', afterEvents: rng.int(0, 5) } : { type: 'silent', afterEvents: rng.int(0, 5), ms: rng.int(100, o.maxSilentMs) },
    }),
  ],
  // A restart: the open watch is cut, and the reconnects meet an overloaded server.
  [
    2,
    (rng, o) => [
      { verb: 'watch', live: true, fault: { type: 'reset' } },
      ...Array.from({ length: rng.int(1, 3) }, (): Entry => (rng.next() < 0.5 ? { fault: { type: 'http', status: 503 } } : throttled(rng, o))),
    ],
  ],
];

/** A storm for `seed` (see the module comment). */
export function randomFaultSchedule(options: RandomScheduleOptions): RandomSchedule {
  const o: Required<RandomScheduleOptions> = { meanGapMs: 150, maxRetryAfterSeconds: 2, maxSilentMs: 1000, resource: 'events', ...options };
  const rng = new Rng(o.seed * 2654435761 + 1);
  const weights = KINDS.map(([w]) => w);
  const entries: ScheduledFault[] = [];
  for (let t = rng.int(0, o.meanGapMs); t < o.durationMs; t += rng.int(1, 2 * o.meanGapMs)) {
    // Now and then a burst: several faults arrive together and are pending at once.
    const n = rng.next() < 0.15 ? rng.int(2, 4) : 1;
    for (let i = 0; i < n; i++) {
      const made = KINDS[rng.weighted(weights)]![1](rng, o);
      for (const e of Array.isArray(made) ? made : [made]) entries.push({ atMs: t, resource: o.resource, ...e });
    }
  }
  return { seed: o.seed, entries, healthyAtMs: o.durationMs };
}

/** A short label of a scheduled fault (`429 list`, `reset watch +3 live`, `503 list continue`…), for reports. */
export function faultLabel(e: Pick<ScheduledFault, 'fault' | 'verb' | 'live' | 'page'>): string {
  const f = e.fault;
  const what = f.type === 'http' ? String(f.status) : f.type;
  const verb = e.verb === undefined ? 'any' : Array.isArray(e.verb) ? e.verb.join('|') : String(e.verb);
  const after = 'afterEvents' in f && f.afterEvents !== undefined ? ` +${f.afterEvents}` : '';
  return `${what} ${verb}${after}${e.page !== undefined ? ` ${e.page}` : ''}${e.live === true ? ' live' : ''}`;
}
