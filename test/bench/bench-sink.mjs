// A bench-only sink plugin (loaded by path): the real file sink (`@k8stream/sink-file`) with two
// additions, configured next to the file sink's own keys:
//   probe:   name of a probe (see `probe()`) that counts acked records (`batch.count`) and, while
//            its `timing` is set, records per record Date.now() − the record's `eventTime` (the
//            producer's ms stamp) once the file sink's `send` resolved (the ack). Timing reads
//            `batch.records`, which decodes the body: a cost a file sink does not have, so the
//            throughput windows leave it off;
//   delayMs: wait this long before each send (a deliberately slow sink).
// The pipeline runs in the bench process, so the probe is shared through globalThis.
import fileSink from '@k8stream/sink-file';

const PROBES = Symbol.for('k8stream.bench.probes');
globalThis[PROBES] ??= new Map();

/** The named probe (created on first use): `{ acked, batches, timing, latenciesMs, firstAckAt, lastAckAt }`. */
export function probe(name) {
  let p = globalThis[PROBES].get(name);
  if (p === undefined) {
    p = { acked: 0, batches: 0, timing: false, latenciesMs: [], firstAckAt: null, lastAckAt: null };
    globalThis[PROBES].set(name, p);
  }
  return p;
}

/** Forgets a probe. */
export function dropProbe(name) {
  globalThis[PROBES].delete(name);
}

const delay = (ms, signal) =>
  new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), reject(signal.reason)), { once: true });
  });

export default {
  ...fileSink,
  name: 'bench-file',
  validate(raw) {
    const { probe: probeName = null, delayMs = 0, ...rest } = raw ?? {};
    return { file: fileSink.validate(rest), probe: probeName, delayMs: Number(delayMs) };
  },
  async create(config, ctx) {
    const inner = await fileSink.create(config.file, ctx);
    const p = config.probe === null ? null : probe(config.probe);
    return {
      ...inner,
      async send(batch, sendCtx) {
        if (config.delayMs > 0) await delay(config.delayMs, sendCtx.signal);
        await inner.send(batch, sendCtx);
        if (p === null) return;
        const now = Date.now();
        if (p.timing) {
          for (const r of batch.records) {
            const stamp = typeof r.eventTime === 'string' ? Date.parse(r.eventTime) : NaN;
            if (Number.isFinite(stamp)) p.latenciesMs.push(now - stamp);
          }
        }
        p.acked += batch.count;
        p.batches++;
        p.firstAckAt ??= now;
        p.lastAckAt = now;
      },
    };
  },
};
