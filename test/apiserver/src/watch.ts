/**
 * One watch stream: chunked newline-delimited JSON `{"type":…,"object":…}` lines. Replays the
 * history after a resourceVersion (or synthesises ADDED for the current state), then streams
 * live changes, with optional bookmarks, a server timeout, and in-stream faults. Lines queued
 * in one tick go out as one chunk; each object's JSON comes from the store (serialised once).
 */
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { ResourceType } from './resources.js';
import type { KubeObject, Predicate } from './selectors.js';
import { status } from './status.js';
import type { Change, ChangeType, Store, StoredObject } from './store.js';
import { apiVersionOf } from './resources.js';

/** Event types on the wire. */
export type WatchEventType = ChangeType | 'BOOKMARK' | 'ERROR';

/**
 * A fault that acts on an open watch stream after `afterEvents` data events. `silent` sends
 * nothing (no events, no bookmarks) until `silentMs` passes or {@link WatchSession.heal} is
 * called, then catches up and streams again; `stall` stays silent for good.
 */
export interface StreamFault {
  kind: 'closeStream' | 'reset' | 'error410' | 'stall' | 'silent';
  afterEvents: number;
  /** `silent` only: how long the silence lasts (default: until healed, or the client gives up). */
  silentMs?: number;
}

/** Turns an object into the JSON sent as `object` (e.g. a Table row); default: stored JSON. */
export type ObjectEncoder = (type: WatchEventType, obj: KubeObject, json: string) => string;

/** How a watch starts. */
export type WatchStart =
  /** Synthetic ADDED for every current object, then live (resourceVersion unset or "0"). */
  | { kind: 'state' }
  /** Like `state`, then a BOOKMARK annotated `k8s.io/initial-events-end` (sendInitialEvents). */
  | { kind: 'initialEvents' }
  /** Every retained change after `rv`, then live; 410 in-stream if `rv` was compacted. */
  | { kind: 'from'; rv: number };

/** Watch options, resolved from the request by the server. */
export interface WatchSessionOptions {
  store: Store;
  type: ResourceType;
  namespace?: string;
  predicate?: Predicate;
  start: WatchStart;
  /** Send BOOKMARK events every `bookmarkIntervalMs`. */
  bookmarks: boolean;
  bookmarkIntervalMs: number;
  /** Close the stream cleanly after this long. */
  timeoutMs: number;
  fault?: StreamFault;
  encode?: ObjectEncoder;
  /** Called once per data event written (stats). */
  onEvent?: () => void;
  /** Called once when the stream is over, whatever the reason. */
  onEnd?: (reason: WatchEndReason) => void;
}

/** Why a watch stream ended. */
export type WatchEndReason = 'timeout' | 'client' | 'fault' | 'expired' | 'server';

/** Destroys a socket with a TCP RST; TLS sockets (no raw TCP handle) are destroyed plainly. */
export function resetSocket(socket: Socket): void {
  if (socket.destroyed) return;
  try {
    socket.resetAndDestroy();
  } catch {
    socket.destroy();
  }
}

/** A running watch stream. */
export class WatchSession {
  private readonly o: WatchSessionOptions;
  private readonly res: ServerResponse;
  private queue: string[] = [];
  private flushScheduled = false;
  private waitingDrain = false;
  private ended = false;
  private stalled = false;
  /** Silent (a `silent` fault): resumes on heal() or after its duration. */
  private silenced = false;
  private sent = 0;
  private fault: StreamFault | undefined;
  private unsubscribe: (() => void) | undefined;
  private timers: NodeJS.Timeout[] = [];
  private deadline: NodeJS.Timeout | undefined;
  private deadlineAt = Infinity;
  private silenceTimer: NodeJS.Timeout | undefined;
  private minRv = 0;
  private lastRv = 0;
  /** The initial events have started (a stream silent from its first byte has not). */
  private begun = false;
  /** Synthetic ADDED still to send (a stream gone silent in the middle of its initial state). */
  private initial: StoredObject[] = [];
  private initialEnd = false;

  constructor(res: ServerResponse, options: WatchSessionOptions) {
    this.res = res;
    this.o = options;
    this.fault = options.fault;
  }

  /** True once the stream is over. */
  get isEnded(): boolean {
    return this.ended;
  }

  /** Sends the headers and the initial events, then follows live changes. */
  start(): void {
    const { res, o } = this;
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
    res.flushHeaders();
    res.on('close', () => this.finish('client'));
    res.on('drain', () => {
      this.waitingDrain = false;
      this.flush();
    });
    if (Number.isFinite(o.timeoutMs) && o.timeoutMs > 0) this.deadlineAt = Date.now() + o.timeoutMs;
    if (this.checkFault()) return;
    this.begin();
  }

  /** The initial events (history after the resourceVersion, or the current state), then live. */
  private begin(): void {
    const o = this.o;
    const store = o.store;
    this.begun = true;
    if (o.start.kind === 'from') {
      const rv = o.start.rv;
      if (rv < store.compactedRevision) {
        this.enqueueError(410, `too old resource version: ${rv} (${store.compactedRevision})`);
        this.endAfterFlush('expired');
        return;
      }
      this.minRv = rv;
      for (const c of store.changesSince(o.type, rv)) {
        this.onChange(c);
        if (this.ended || this.stalled) return;
      }
    } else {
      this.minRv = store.resourceVersion;
      this.initial = store.snapshot(o.type, this.minRv).filter((s) => (o.namespace === undefined || s.namespace === o.namespace) && this.matches(s));
      if (!this.sendInitial()) return;
    }
    this.follow();
  }

  /** Sends the synthetic ADDED left of the initial state; false if a fault stopped the stream meanwhile. */
  private sendInitial(): boolean {
    while (this.initial.length > 0) {
      this.emit('ADDED', this.initial.shift()!);
      if (this.ended || this.stalled) return false;
    }
    if (this.o.start.kind === 'initialEvents' && !this.initialEnd) {
      this.initialEnd = true;
      this.bookmark(true);
    }
    return true;
  }

  /** Follows live changes, sends bookmarks, and arms the server timeout (what silence suspends). */
  private follow(): void {
    const o = this.o;
    this.unsubscribe = o.store.subscribe(o.type, (c) => this.onChange(c));
    if (o.bookmarks && o.bookmarkIntervalMs > 0) {
      const t = setInterval(() => this.bookmark(false), o.bookmarkIntervalMs);
      this.timers.push(t);
    }
    if (Number.isFinite(this.deadlineAt)) {
      this.deadline = setTimeout(() => this.endAfterFlush('timeout'), Math.max(0, this.deadlineAt - Date.now()));
    }
  }

  /** Ends the stream cleanly (server shutdown). */
  close(): void {
    this.endAfterFlush('server');
  }

  /** Applies a stream fault now, whatever the event count (a fault arriving while the stream is open). */
  inject(fault: StreamFault): void {
    if (this.ended || this.stalled) return;
    this.act(fault);
  }

  /**
   * The trouble is over: a fault not yet triggered is dropped, and a silent stream catches up
   * (every change it held back, or an in-stream 410 if they were compacted) and streams again.
   */
  heal(): void {
    this.fault = undefined;
    if (this.silenced) this.resume();
  }

  private silence(ms: number | undefined): void {
    this.stalled = true;
    this.silenced = true;
    this.flush();
    this.stopFollowing();
    if (ms !== undefined && Number.isFinite(ms)) this.silenceTimer = setTimeout(() => this.resume(), ms);
  }

  private resume(): void {
    if (this.ended || !this.silenced) return;
    clearTimeout(this.silenceTimer);
    this.silenced = false;
    this.stalled = false;
    if (!this.begun) {
      this.begin();
      return;
    }
    if (!this.sendInitial()) return;
    const { store, type } = this.o;
    const from = Math.max(this.minRv, this.lastRv);
    if (from < store.compactedRevision) {
      this.enqueueError(410, `too old resource version: ${from} (${store.compactedRevision})`);
      this.endAfterFlush('expired');
      return;
    }
    for (const c of store.changesSince(type, from)) {
      this.onChange(c);
      if (this.ended || this.stalled) return;
    }
    this.follow();
  }

  private matches(s: StoredObject): boolean {
    return !this.o.predicate || this.o.predicate(this.o.store.view(s, this.o.type).obj);
  }

  private onChange(c: Change): void {
    if (this.ended || this.stalled || c.rv <= this.minRv || c.rv <= this.lastRv) return;
    this.lastRv = c.rv; // a change is delivered once, even when history replay and a listener both see it
    const ns = this.o.namespace;
    if (ns !== undefined && c.cur.namespace !== ns) return;
    if (!this.o.predicate) {
      this.emit(c.type, c.cur);
      return;
    }
    const now = this.matches(c.cur);
    if (c.type === 'MODIFIED') {
      const before = c.prev !== undefined && this.matches(c.prev);
      if (now && before) this.emit('MODIFIED', c.cur);
      else if (now) this.emit('ADDED', c.cur);
      else if (before) this.emit('DELETED', c.cur);
    } else if (now) this.emit(c.type, c.cur);
  }

  private emit(type: ChangeType, s: StoredObject): void {
    const v = this.o.store.view(s, this.o.type);
    const obj = this.o.encode ? this.o.encode(type, v.obj, v.json) : v.json;
    this.queue.push(`{"type":"${type}","object":${obj}}\n`);
    this.sent++;
    this.o.onEvent?.();
    this.schedule();
    this.checkFault();
  }

  private bookmark(initialEnd: boolean): void {
    if (this.ended || this.stalled) return;
    const t = this.o.type;
    const metadata: Record<string, unknown> = { resourceVersion: String(this.o.store.resourceVersion) };
    if (initialEnd) metadata['annotations'] = { 'k8s.io/initial-events-end': 'true' };
    const obj = { kind: t.kind, apiVersion: apiVersionOf(t), metadata };
    this.queue.push(`{"type":"BOOKMARK","object":${JSON.stringify(obj)}}\n`);
    this.schedule();
  }

  private enqueueError(code: number, message: string): void {
    const s = status(code, code === 410 ? 'Expired' : 'InternalError', message);
    this.queue.push(`{"type":"ERROR","object":${JSON.stringify(s)}}\n`);
    this.schedule();
  }

  /** Applies the stream fault when its event count is reached; true if the stream stopped. */
  private checkFault(): boolean {
    const f = this.fault;
    if (!f || this.sent !== f.afterEvents || this.ended || this.stalled) return false;
    this.fault = undefined;
    this.act(f);
    return true;
  }

  private act(f: StreamFault): void {
    switch (f.kind) {
      case 'closeStream':
        this.endAfterFlush('fault');
        return;
      case 'error410':
        this.enqueueError(410, `too old resource version: ${this.minRv} (${this.o.store.resourceVersion})`);
        this.endAfterFlush('fault');
        return;
      case 'stall':
        this.stalled = true;
        this.flush();
        this.stopFollowing();
        return;
      case 'silent':
        this.silence(f.silentMs);
        return;
      case 'reset': {
        this.ended = true;
        this.stopFollowing();
        const data = this.queue.join('');
        this.queue = [];
        const socket = this.res.socket;
        const kill = (): void => {
          if (socket) resetSocket(socket);
          this.o.onEnd?.('fault');
        };
        if (data !== '' && socket && !socket.destroyed) this.res.write(data, kill);
        else kill();
        return;
      }
    }
  }

  private schedule(): void {
    if (this.flushScheduled || this.ended) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    if (this.waitingDrain || this.queue.length === 0 || this.res.destroyed) return;
    const data = this.queue.length === 1 ? this.queue[0]! : this.queue.join('');
    this.queue = [];
    if (!this.res.write(data)) this.waitingDrain = true;
  }

  private stopFollowing(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
    clearTimeout(this.deadline);
    this.deadline = undefined;
  }

  private endAfterFlush(reason: WatchEndReason): void {
    if (this.ended) return;
    this.ended = true;
    this.stopFollowing();
    clearTimeout(this.silenceTimer);
    const data = this.queue.join('');
    this.queue = [];
    if (!this.res.destroyed) {
      if (data !== '') this.res.write(data);
      this.res.end();
    }
    this.o.onEnd?.(reason);
  }

  private finish(reason: WatchEndReason): void {
    if (this.ended) return;
    this.ended = true;
    this.stopFollowing();
    clearTimeout(this.silenceTimer);
    this.queue = [];
    this.o.onEnd?.(reason);
  }
}
