// Unit tests of cgroup.mjs's parsing and detection, with fixtures (no real cgroups needed), and of
// the Prometheus text helpers the footprint scenarios poll k8stream's metrics with.
import { describe, expect, it } from 'vitest';
import { cpuMax, detectCgroupVersion, oomKills, parseBytes, parseKeyValues, parseProcStat, parseStatusBytes } from './cgroup.mjs';
import { bucketPercentile, histogramBuckets, idleRss, metricValue } from './stats.mjs';
import { evaluate } from './targets.mjs';

// cgroup v1 memory.oom_control after one kill (kernel ≥ 4.13), and before 4.13 (no oom_kill line).
const OOM_CONTROL_V1 = 'oom_kill_disable 0\nunder_oom 0\noom_kill 1\n';
const OOM_CONTROL_OLD = 'oom_kill_disable 0\nunder_oom 0\n';
// cgroup v2 memory.events.
const MEMORY_EVENTS_V2 = 'low 0\nhigh 0\nmax 412\noom 3\noom_kill 2\noom_group_kill 0\n';
// /proc/<pid>/stat of a process whose name holds spaces and parentheses: utime 250, stime 37 ticks.
const PROC_STAT =
  '4242 (node (k8s) x) S 4200 4242 4200 0 -1 4194560 51262 0 0 0 250 37 0 0 20 0 11 0 98765 1234567890 30000 18446744073709551615 1 1 0 0 0 0 0 4096 134234626 0 0 0 17 1 0 0 0 0 0';
const PROC_STATUS = 'Name:\tnode\nState:\tS (sleeping)\nVmPeak:\t 1234567 kB\nVmHWM:\t  300000 kB\nVmRSS:\t  123456 kB\nThreads:\t11\n';

describe('cgroup files', () => {
  it('reads oom_kill from v1 memory.oom_control and v2 memory.events', () => {
    expect(oomKills(OOM_CONTROL_V1)).toBe(1);
    expect(oomKills(MEMORY_EVENTS_V2)).toBe(2);
    expect(oomKills(OOM_CONTROL_OLD)).toBeNull();
    expect(parseKeyValues(MEMORY_EVENTS_V2)).toMatchObject({ max: 412, oom: 3, oom_kill: 2 });
  });

  it('reads byte counts; "max" is no number', () => {
    expect(parseBytes('134217728\n')).toBe(134217728);
    expect(parseBytes('max\n')).toBeNull();
  });

  it('turns millicores into cpu.max', () => {
    expect(cpuMax(250)).toBe('25000 100000');
    expect(cpuMax(1000)).toBe('100000 100000');
  });

  it('detects v2 by cgroup.controllers at the root, v1 by a memory hierarchy, else none', () => {
    const fs = (paths: string[]) => (p: string) => paths.includes(p);
    expect(detectCgroupVersion('/cg', fs(['/cg/cgroup.controllers', '/cg/memory/memory.limit_in_bytes']))).toBe('v2');
    expect(detectCgroupVersion('/cg', fs(['/cg/memory/memory.limit_in_bytes', '/cg/unified/cgroup.controllers']))).toBe('v1');
    expect(detectCgroupVersion('/cg', fs([]))).toBeNull();
  });
});

describe('/proc files', () => {
  it('counts stat fields after the last parenthesis', () => {
    const s = parseProcStat(PROC_STAT);
    expect(s.comm).toBe('node (k8s) x');
    expect(s.state).toBe('S');
    expect([s.utimeTicks, s.stimeTicks]).toEqual([250, 37]);
    expect(s.cpuSeconds).toBeCloseTo(2.87);
  });

  it('reads VmHWM and VmRSS in bytes', () => {
    expect(parseStatusBytes(PROC_STATUS, 'VmHWM')).toBe(300000 * 1024);
    expect(parseStatusBytes(PROC_STATUS, 'VmRSS')).toBe(123456 * 1024);
    expect(parseStatusBytes(PROC_STATUS, 'VmSwap')).toBeNull();
  });
});

describe('metrics text', () => {
  const scrape = (sent: number, lag: number[]) =>
    [
      '# TYPE k8stream_sink_events_sent_total counter',
      `k8stream_sink_events_sent_total{sink="a"} ${sent}`,
      'k8stream_sink_events_sent_total{sink="b"} 7',
      ...['0.5', '1', '2', '+Inf'].map((le, i) => `k8stream_sink_lag_seconds_bucket{sink="a",le="${le}"} ${lag[i]}`),
      'k8stream_sink_lag_seconds_bucket{sink="b",le="+Inf"} 999',
    ].join('\n');

  it('reads a counter by sink, 0 when absent', () => {
    expect(metricValue(scrape(100_000, [0, 0, 0, 0]), 'k8stream_sink_events_sent_total', 'a')).toBe(100_000);
    expect(metricValue(scrape(1, [0, 0, 0, 0]), 'k8stream_sink_events_sent_total', 'c')).toBe(0);
  });

  it('takes a percentile of what a histogram counted between two scrapes', () => {
    const before = histogramBuckets(scrape(0, [500, 500, 500, 500]), 'k8stream_sink_lag_seconds', 'a');
    expect(before.map((b) => b.le)).toEqual([0.5, 1, 2, Infinity]);
    // Since then: 900 under 0.5 s, 95 more under 1 s, 5 more under 2 s.
    const after = histogramBuckets(scrape(0, [1400, 1495, 1500, 1500]), 'k8stream_sink_lag_seconds', 'a');
    expect(bucketPercentile(before, after, 50)).toBe(0.5);
    expect(bucketPercentile(before, after, 99)).toBe(1);
    expect(bucketPercentile(before, after, 100)).toBe(2);
    expect(bucketPercentile(after, after, 99)).toBeNull();
  });
});

describe('scenario I', () => {
  it('reads an idle window: median of the last samples, max of all; nulls when empty', () => {
    // A start-up spike (120) is outside the last 10 and does not move the median; it is the max.
    const window = [120, 95, 94, 93.96, 94.04, 94, 93.9, 94.1, 94, 94, 94.2, 93.8];
    expect(idleRss(window)).toEqual({ medianMb: 94, maxMb: 120, samples: 12 });
    expect(idleRss([90, 92, 91, 93], 4)).toEqual({ medianMb: 91.5, maxMb: 93, samples: 4 }); // even: mean of the two middle
    expect(idleRss([])).toEqual({ medianMb: null, maxMb: null, samples: 0 });
    expect(window[0]).toBe(120); // the caller's array is not sorted in place
  });

  it('passes ≤ 70 / ≤ 90 MB and misses a row whose sink did not ack everything', () => {
    const rows = evaluate({
      I: {
        events: 100,
        rows: [
          { acked: 100, medianMb: 69.5 },
          { acked: 100, medianMb: 91 },
          { acked: 40, medianMb: 50 },
        ],
      },
    }).filter((r) => r.label.startsWith('I '));
    expect(rows.map((r) => [r.measured, r.status])).toEqual([
      [69.5, 'PASS'],
      [91, 'MISS'],
      [null, 'MISS'],
    ]);
  });
});
