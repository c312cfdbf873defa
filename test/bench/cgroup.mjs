// Memory/CPU limits for the footprint scenarios (G, H): runs a command inside a cgroup, as a
// Kubernetes node enforces a container's limits, and reads back what the kernel saw (OOM kills,
// peak usage). cgroup v1 (memory + cpu hierarchies, as on these machines) and v2 (unified, when
// <root>/cgroup.controllers exists). Groups are /sys/fs/cgroup/{memory,cpu}/k8stream-bench-<pid>-<n>
// (v2: /sys/fs/cgroup/k8stream-bench-<pid>-<n>); every group is removed again, also when the bench
// fails or exits early. The parsers are pure functions, tested with fixtures (cgroup.test.ts).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const CGROUP_ROOT = '/sys/fs/cgroup';
export const MiB = 1024 * 1024;

// ---- parsers (pure) ----

/** `key value` lines (memory.oom_control, memory.events, memory.stat, cpu.stat) → { key: number }. */
export function parseKeyValues(text) {
  const out = {};
  for (const line of text.split('\n')) {
    const m = /^(\S+)\s+(-?\d+)\s*$/.exec(line.trim());
    if (m) out[m[1]] = Number(m[2]);
  }
  return out;
}

/**
 * OOM kills counted by the group: `oom_kill N` in v1 memory.oom_control (kernel ≥ 4.13) or v2
 * memory.events. Null when the file has no such line (an older kernel: use the exit signal).
 */
export function oomKills(text) {
  const v = parseKeyValues(text).oom_kill;
  return v === undefined ? null : v;
}

/** A byte count file (memory.max_usage_in_bytes, memory.peak); null for `max` or anything else. */
export function parseBytes(text) {
  const t = text.trim();
  return /^\d+$/.test(t) ? Number(t) : null;
}

/**
 * /proc/<pid>/stat → { comm, state, utimeTicks, stimeTicks, cpuSeconds }. The command name is in
 * parentheses and may itself contain spaces and parentheses, so fields are counted after the last `)`.
 */
export function parseProcStat(text, ticksPerSecond = 100) {
  const close = text.lastIndexOf(')');
  const comm = text.slice(text.indexOf('(') + 1, close);
  const fields = text
    .slice(close + 2)
    .trim()
    .split(/\s+/); // fields[0] is field 3 (state)
  const utimeTicks = Number(fields[11]); // field 14
  const stimeTicks = Number(fields[12]); // field 15
  return { comm, state: fields[0], utimeTicks, stimeTicks, cpuSeconds: (utimeTicks + stimeTicks) / ticksPerSecond };
}

/** A `Key:   N kB` line of /proc/<pid>/status (VmHWM, VmRSS) in bytes; null when absent. */
export function parseStatusBytes(text, key) {
  const m = new RegExp(`^${key}:\\s+(\\d+)\\s+kB`, 'm').exec(text);
  return m ? Number(m[1]) * 1024 : null;
}

/** v2 `cpu.max` for `millicores` (250 → "25000 100000"). */
export function cpuMax(millicores, periodUs = 100_000) {
  return `${Math.round((millicores / 1000) * periodUs)} ${periodUs}`;
}

/**
 * Which cgroup layout `root` has: 'v2' (unified: cgroup.controllers at the root), 'v1' (a memory
 * hierarchy with memory.limit_in_bytes), or null. `exists` is injectable for tests.
 * @param {string} [root]
 * @param {(path: string) => boolean} [exists]
 * @returns {'v1' | 'v2' | null}
 */
export function detectCgroupVersion(root = CGROUP_ROOT, exists = existsSync) {
  if (exists(join(root, 'cgroup.controllers'))) return 'v2';
  if (exists(join(root, 'memory', 'memory.limit_in_bytes'))) return 'v1';
  return null;
}

// ---- groups (real cgroups; root only) ----

const live = new Set();
let seq = 0;
let hooked = false;

function removeDir(dir) {
  // A group can be removed once its last process is gone; the kernel may need a moment after exit.
  for (let i = 0; i < 50; i++) {
    try {
      rmdirSync(dir);
      return true;
    } catch (err) {
      if (err.code === 'ENOENT') return true;
      if (err.code !== 'EBUSY') return false;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  }
  return false;
}

function hookExit() {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    for (const g of live) g.remove();
  });
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.once(sig, () => {
      for (const g of live) g.kill();
      for (const g of live) g.remove();
      process.exit(130);
    });
  }
}

/**
 * Creates a group with `memoryBytes` (null: no limit) and `millicores` (null: no quota).
 * Returns { version, name, dirs, procsFiles, oomKills(), peakBytes(), limits, spawn(cmd, args, opts), kill(), remove() }.
 * Throws when the cgroup filesystem is not there or not writable.
 * @param {{ memoryBytes?: number | null, millicores?: number | null }} [limits]
 * @param {{ root?: string }} [options]
 */
export function createGroup({ memoryBytes = null, millicores = null } = {}, { root = CGROUP_ROOT } = {}) {
  const version = detectCgroupVersion(root);
  if (version === null) throw new Error(`no cgroup v1 memory hierarchy or cgroup v2 at ${root}`);
  const name = `k8stream-bench-${process.pid}-${++seq}`;
  const dirs = [];
  const children = new Set();
  let readOom;
  let readPeak;
  try {
    if (version === 'v2') {
      // Enable the controllers for children of the root (harmless when already on).
      try {
        writeFileSync(join(root, 'cgroup.subtree_control'), '+memory +cpu');
      } catch {
        // Already enabled, or not allowed: the writes below say which.
      }
      const dir = join(root, name);
      mkdirSync(dir);
      dirs.push(dir);
      if (memoryBytes !== null) {
        writeFileSync(join(dir, 'memory.max'), String(memoryBytes));
        try {
          writeFileSync(join(dir, 'memory.swap.max'), '0');
        } catch {
          // No swap accounting: fine when there is no swap.
        }
      }
      if (millicores !== null) writeFileSync(join(dir, 'cpu.max'), cpuMax(millicores));
      readOom = () => oomKills(readFileSync(join(dir, 'memory.events'), 'utf8'));
      readPeak = () => (existsSync(join(dir, 'memory.peak')) ? parseBytes(readFileSync(join(dir, 'memory.peak'), 'utf8')) : null);
    } else {
      const mem = join(root, 'memory', name);
      mkdirSync(mem);
      dirs.push(mem);
      if (memoryBytes !== null) writeFileSync(join(mem, 'memory.limit_in_bytes'), String(memoryBytes));
      try {
        writeFileSync(join(mem, 'memory.swappiness'), '0');
      } catch {
        // Not settable everywhere; without swap it does not matter.
      }
      if (millicores !== null) {
        const cpu = join(root, 'cpu', name);
        mkdirSync(cpu);
        dirs.push(cpu);
        writeFileSync(join(cpu, 'cpu.cfs_period_us'), '100000');
        writeFileSync(join(cpu, 'cpu.cfs_quota_us'), String(Math.round(millicores * 100)));
      }
      readOom = () => oomKills(readFileSync(join(mem, 'memory.oom_control'), 'utf8'));
      readPeak = () => parseBytes(readFileSync(join(mem, 'memory.max_usage_in_bytes'), 'utf8'));
    }
  } catch (err) {
    for (const d of dirs.reverse()) removeDir(d);
    throw err;
  }
  const procsFiles = dirs.map((d) => join(d, 'cgroup.procs'));
  const group = {
    version,
    name,
    dirs,
    procsFiles,
    limits: { memoryBytes, millicores },
    oomKills: () => readOom(),
    peakBytes: () => readPeak(),
    /**
     * Spawns `cmd args` inside the group from its first instruction: a shell writes its own pid
     * into every cgroup.procs, then execs the command (same pid), so no allocation escapes the limit.
     */
    spawn(cmd, args, opts = {}) {
      const script = 'for f in $K8STREAM_BENCH_CGROUP_PROCS; do echo $$ > "$f" || exit 97; done; exec "$0" "$@"';
      const child = spawn('/bin/sh', ['-c', script, cmd, ...args], {
        ...opts,
        env: { ...(opts.env ?? process.env), K8STREAM_BENCH_CGROUP_PROCS: procsFiles.join(' ') },
      });
      children.add(child);
      child.once('exit', () => children.delete(child));
      return child;
    },
    kill() {
      for (const c of children) c.kill('SIGKILL');
    },
    /** Removes the group's directories (after its processes ended); true when all are gone. */
    remove() {
      let ok = true;
      for (const d of [...dirs].reverse()) ok = removeDir(d) && ok;
      if (ok) live.delete(group);
      return ok;
    },
  };
  live.add(group);
  hookExit();
  return group;
}

/**
 * Whether limited runs are possible here: creates and removes a probe group with a limit.
 * Returns { ok: true, version } or { ok: false, reason }.
 */
export function probeCgroups(root = CGROUP_ROOT) {
  if (process.platform !== 'linux') return { ok: false, reason: `cgroups need Linux (this is ${process.platform})` };
  try {
    const g = createGroup({ memoryBytes: 512 * MiB, millicores: 1000 }, { root });
    g.remove();
    return { ok: true, version: g.version };
  } catch (err) {
    return { ok: false, reason: `${err.code ?? ''} ${err.message}`.trim() };
  }
}
