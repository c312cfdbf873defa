/**
 * Readiness, decided from what the runtime already knows:
 * - `starting` (config loaded, sinks/source being set up) and `stopping` (flushing): not ready;
 * - `standby` (leader election, another replica leads): ready, reported with `leader: false` —
 *   a standby is healthy and able to take over, so a rollout should not wait on it;
 * - `running`: ready when the source has synced (a live source: its initial list was delivered
 *   and its watch opened after it, once) and no watch has been failing for longer than
 *   `watchFailingMs` (failing lasts from a failure until a watch opens again, not merely until
 *   a re-list succeeds), and no sink has been failing every send for longer than
 *   `sinkFailingMs` (a sink retrying within that budget is still ready).
 */

export type OpsPhase = 'starting' | 'standby' | 'running' | 'stopping';

/** Tracks, per sink, since when every send attempt failed (null once one succeeds). */
export class SinkHealth {
  private readonly failing = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  /** A send attempt of `sink` succeeded. */
  ok(sink: string): void {
    this.failing.delete(sink);
  }

  /** A send attempt of `sink` failed (transient or permanent). */
  failed(sink: string): void {
    if (!this.failing.has(sink)) this.failing.set(sink, this.now());
  }

  /** Start of the current run of failures of `sink`, or null while it is healthy. */
  failingSince(sink: string): number | null {
    return this.failing.get(sink) ?? null;
  }
}

/** What readiness is decided from (a snapshot). */
export interface ReadinessInput {
  phase: OpsPhase;
  /** null without leader election. */
  leader: boolean | null;
  source:
    | { type: 'replay' }
    | {
        type: 'kubernetes';
        synced: boolean;
        /** Every watch has opened after its initial list (once). */
        established: boolean;
        watching: boolean;
        failingSince: number | null;
        lastError: string | null;
      }
    | null;
  sinks: { name: string; failingSince: number | null }[];
}

export interface ReadinessThresholds {
  watchFailingMs: number;
  sinkFailingMs: number;
}

/** The `/readyz` answer body. */
export interface Readiness {
  ready: boolean;
  phase: OpsPhase;
  leader: boolean | null;
  /** Why not ready (empty when ready). */
  reasons: string[];
  source: { type: 'replay' } | { type: 'kubernetes'; synced: boolean; established: boolean; watching: boolean; failingForMs: number | null; lastError: string | null } | null;
  sinks: { name: string; failingForMs: number | null; ok: boolean }[];
}

/** Pure: the readiness verdict at `now`. */
export function evaluateReadiness(input: ReadinessInput, limits: ReadinessThresholds, now: number): Readiness {
  const reasons: string[] = [];
  const since = (t: number | null): number | null => (t === null ? null : Math.max(0, now - t));
  const sinks = input.sinks.map((s) => {
    const failingForMs = since(s.failingSince);
    const ok = failingForMs === null || failingForMs <= limits.sinkFailingMs;
    return { name: s.name, failingForMs, ok };
  });
  let source: Readiness['source'] = null;
  if (input.source?.type === 'kubernetes') {
    const s = input.source;
    source = { type: 'kubernetes', synced: s.synced, established: s.established, watching: s.watching, failingForMs: since(s.failingSince), lastError: s.lastError };
  } else if (input.source !== null) {
    source = { type: 'replay' };
  }

  if (input.phase === 'starting') reasons.push('starting');
  else if (input.phase === 'stopping') reasons.push('stopping');
  else if (input.phase === 'running') {
    if (source === null) reasons.push('source not started');
    else if (source.type === 'kubernetes') {
      if (!source.synced) reasons.push('source not synced');
      else if (!source.established) reasons.push('watch not open yet');
      if (source.failingForMs !== null && source.failingForMs > limits.watchFailingMs) {
        reasons.push(`watch failing for ${source.failingForMs} ms (limit ${limits.watchFailingMs} ms)`);
      }
    }
    for (const s of sinks) {
      if (!s.ok) reasons.push(`sink ${s.name} failing for ${s.failingForMs} ms (limit ${limits.sinkFailingMs} ms)`);
    }
  }
  return { ready: reasons.length === 0, phase: input.phase, leader: input.leader, reasons, source, sinks };
}
