/**
 * The far end of k8stream's HTTP sink for the reliability suite: an HTTP server that decodes
 * every batch (NDJSON or a JSON array; gzip, zstd or none, as `core/src/dispatch/encode.ts`
 * writes them), counts each record id it accepted, and misbehaves on demand.
 *
 * A batch counts as stored once its whole body arrived and the receiver decided to answer 2xx —
 * also when the client is gone before the answer reaches it (k8stream killed mid-upload), as a
 * real collector would have committed it. Batches answered with an error, or whose connection
 * was reset before the body ended, store nothing.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { gunzipSync, zstdDecompressSync } from 'node:zlib';

/** What the receiver does with a request. */
export type ReceiverFault =
  /** Answer `status` (503 by default: "down") without storing. */
  | { type: 'status'; status?: number; retryAfterSeconds?: number }
  /** Reset the TCP connection after the first body chunk, before the body ends. */
  | { type: 'reset' }
  /** Store the batch, but answer only after `ms` (a slow collector). */
  | { type: 'slow'; ms: number };

/** A rule: the fault, and how many requests it applies to (`Infinity`: until cleared). */
interface Rule {
  fault: ReceiverFault;
  remaining: number;
}

export interface ReceiverStats {
  /** Requests whose headers arrived. */
  requests: number;
  /** Requests answered 2xx (or stored before the client vanished). */
  accepted: number;
  /** Requests answered with an error status by a fault. */
  rejected: number;
  /** Connections reset by a fault. */
  resets: number;
}

export interface Receiver {
  /** The sink URL, e.g. `http://127.0.0.1:41234/ingest`. */
  url: string;
  /** Every stored record id with how many times it was stored. */
  ids: Map<string, number>;
  /** Records (NDJSON lines, array elements) stored, copies included, with or without an id. */
  readonly records: number;
  /** Stored records without a string `id`. */
  readonly withoutId: number;
  /**
   * What an object store would hold, where each batch is one object keyed by its batch id
   * (`x-k8stream-batch-id`): every record id with its copies, a batch stored again under the
   * same id overwriting its earlier copy.
   */
  archiveIds(): Map<string, number>;
  stats: ReceiverStats;
  /** Requests that arrived and are not answered yet. */
  readonly inFlight: number;
  /** Ids stored more than once. */
  duplicates(): string[];
  /**
   * Resolves when every id of `wanted` was stored at least once — all but `mayMiss` of them when
   * given (what at-most-once may lose) — and rejects after `timeoutMs` naming how many are missing.
   */
  waitForIds(wanted: Iterable<string>, options?: { timeoutMs?: number; mayMiss?: number }): Promise<void>;
  /** Resolves when a request is in flight (at once if one is): the moment to kill the client "mid-upload". */
  waitForInFlight(options?: { timeoutMs?: number }): Promise<void>;
  /** Resolves on the next stored batch (the moment "right after a batch"). */
  waitForBatch(options?: { timeoutMs?: number }): Promise<void>;
  /** Resolves once no request has arrived or been in flight for `quietMs`; rejects after `timeoutMs`. */
  waitForQuiet(quietMs: number, options?: { timeoutMs?: number }): Promise<void>;
  /** Apply `fault` to the next `times` requests (default: every request until `clearFaults`). Rules apply in order. */
  fault(fault: ReceiverFault, times?: number): void;
  clearFaults(): void;
  /** Stop listening and cut every connection: the client sees "connection refused". */
  down(): Promise<void>;
  /** Listen again on the same port. */
  up(): Promise<void>;
  close(): Promise<void>;
}

/** Decodes one batch body into its records (see `encodeBatch` in core/src/dispatch/encode.ts). */
export function decodeBatch(body: Buffer, contentEncoding: string | undefined, contentType: string | undefined): unknown[] {
  const raw = contentEncoding === 'gzip' ? gunzipSync(body) : contentEncoding === 'zstd' ? zstdDecompressSync(body) : body;
  const text = raw.toString('utf8');
  if ((contentType ?? '').startsWith('application/json')) return JSON.parse(text) as unknown[];
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as unknown);
}

type Waiter = { check: () => boolean; resolve: () => void };

/** Starts a receiver on 127.0.0.1 (a free port unless `port` is given). */
export async function startReceiver(options: { port?: number } = {}): Promise<Receiver> {
  const ids = new Map<string, number>();
  let records = 0;
  let withoutId = 0;
  const recordId = (r: unknown): string => String((r as { id?: unknown } | null)?.id);
  /** Record ids by batch id, the latest copy of each batch. */
  const objects = new Map<string, string[]>();
  const stats: ReceiverStats = { requests: 0, accepted: 0, rejected: 0, resets: 0 };
  const rules: Rule[] = [];
  const sockets = new Set<Socket>();
  const waiters = new Set<Waiter>();
  let inFlight = 0;
  let lastActivity = Date.now();
  let batchSerial = 0;

  /** Re-checks every waiter; called after anything changes. */
  const notify = () => {
    for (const w of [...waiters]) {
      if (w.check()) {
        waiters.delete(w);
        w.resolve();
      }
    }
  };
  /** A promise resolved when `check()` holds, rejected after `timeoutMs` with `describe()`. */
  const waitUntil = (check: () => boolean, timeoutMs: number, describe: () => string): Promise<void> =>
    new Promise((resolve, reject) => {
      if (check()) return resolve();
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        reject(new Error(`receiver: timed out after ${timeoutMs} ms: ${describe()}`));
      }, timeoutMs);
      const waiter: Waiter = {
        check,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      waiters.add(waiter);
    });

  const takeFault = (): ReceiverFault | undefined => {
    const rule = rules[0];
    if (!rule) return undefined;
    rule.remaining -= 1;
    if (rule.remaining <= 0) rules.shift();
    return rule.fault;
  };

  const store = (batch: unknown[], batchId: string | undefined) => {
    if (batchId !== undefined) objects.set(batchId, batch.map(recordId));
    for (const r of batch) {
      records += 1;
      const id = (r as { id?: unknown } | null)?.id;
      if (typeof id === 'string') ids.set(id, (ids.get(id) ?? 0) + 1);
      else withoutId += 1;
    }
    stats.accepted += 1;
    batchSerial += 1;
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    stats.requests += 1;
    inFlight += 1;
    lastActivity = Date.now();
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      inFlight -= 1;
      lastActivity = Date.now();
      notify();
    };
    res.on('close', finish);
    notify();
    const fault = takeFault();
    if (fault?.type === 'reset') {
      req.once('data', () => {
        stats.resets += 1;
        req.socket.resetAndDestroy();
        finish();
      });
      req.once('end', () => {
        // An empty body: nothing to cut in the middle of, reset anyway.
        stats.resets += 1;
        req.socket.resetAndDestroy();
        finish();
      });
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (fault?.type === 'status') {
        stats.rejected += 1;
        const headers: Record<string, string> = {};
        if (fault.retryAfterSeconds !== undefined) headers['retry-after'] = String(fault.retryAfterSeconds);
        res.writeHead(fault.status ?? 503, headers).end();
        return;
      }
      let batch: unknown[];
      try {
        batch = decodeBatch(Buffer.concat(chunks), req.headers['content-encoding'], req.headers['content-type']);
      } catch (err) {
        res.writeHead(400).end(String(err));
        return;
      }
      const batchId = req.headers['x-k8stream-batch-id'];
      store(batch, typeof batchId === 'string' ? batchId : undefined);
      notify();
      if (fault?.type === 'slow') setTimeout(() => res.writeHead(200).end(), fault.ms);
      else res.writeHead(200).end();
    });
  };

  let server: Server = createServer(handle);
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve((server.address() as { port: number }).port);
      });
    });
  const track = (s: Server) =>
    s.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
  track(server);
  const port = await listen(options.port ?? 0);
  let listening = true;

  const close = async () => {
    if (!listening) return;
    listening = false;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of sockets) s.destroy();
    await closed;
  };

  return {
    url: `http://127.0.0.1:${port}/ingest`,
    ids,
    get records() {
      return records;
    },
    get withoutId() {
      return withoutId;
    },
    archiveIds() {
      const held = new Map<string, number>();
      for (const recordIds of objects.values()) for (const id of recordIds) held.set(id, (held.get(id) ?? 0) + 1);
      return held;
    },
    stats,
    get inFlight() {
      return inFlight;
    },
    duplicates: () => [...ids].filter(([, n]) => n > 1).map(([id]) => id),
    waitForIds(wanted, { timeoutMs = 30_000, mayMiss = 0 } = {}) {
      const want = [...wanted];
      let missing = want;
      return waitUntil(
        () => {
          missing = missing.filter((id) => !ids.has(id));
          return missing.length <= mayMiss;
        },
        timeoutMs,
        () => `${missing.length} of ${want.length} ids never arrived${mayMiss > 0 ? ` (${mayMiss} may)` : ''} (first: ${missing.slice(0, 3).join(', ')})`,
      );
    },
    waitForInFlight: ({ timeoutMs = 30_000 } = {}) =>
      waitUntil(
        () => inFlight > 0,
        timeoutMs,
        () => 'no request arrived',
      ),
    waitForBatch({ timeoutMs = 30_000 } = {}) {
      const after = batchSerial;
      return waitUntil(
        () => batchSerial > after,
        timeoutMs,
        () => 'no batch was stored',
      );
    },
    waitForQuiet(quietMs, { timeoutMs = 30_000 } = {}) {
      return new Promise((resolve, reject) => {
        const deadline = Date.now() + timeoutMs;
        const tick = () => {
          const quietFor = Date.now() - lastActivity;
          if (inFlight === 0 && quietFor >= quietMs) return resolve();
          if (Date.now() >= deadline) return reject(new Error(`receiver: never quiet for ${quietMs} ms within ${timeoutMs} ms`));
          setTimeout(tick, Math.max(10, Math.min(quietMs - quietFor, deadline - Date.now())));
        };
        tick();
      });
    },
    fault(fault, times = Infinity) {
      rules.push({ fault, remaining: times });
    },
    clearFaults() {
      rules.length = 0;
    },
    down: close,
    async up() {
      if (listening) return;
      server = createServer(handle);
      track(server);
      await listen(port);
      listening = true;
    },
    close,
  };
}
