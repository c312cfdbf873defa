// examples/grafana/k8stream.json: parses, is exactly generate.mjs's output, takes its data
// source from a variable, and every PromQL expression uses only metric names (and labels) that
// k8stream exports: the issue 7 metric list below, plus prom-client's default process metrics
// with the k8stream_ prefix (asked from prom-client itself).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { REPO } from './support.fixture.js';

/** The metrics of the issue 7 contract: name → labels (histograms also have _bucket{le}, _sum, _count). */
const SPEC: Record<string, string[]> = {
  k8stream_build_info: ['version', 'node'],
  k8stream_events_received_total: ['source'],
  k8stream_events_filtered_total: ['source'],
  k8stream_events_invalid_total: ['source'],
  k8stream_events_emitted_total: ['source'],
  k8stream_events_unrouted_total: ['source'],
  k8stream_transform_calls_total: ['transform'],
  k8stream_transform_dropped_total: ['transform'],
  k8stream_transform_errors_total: ['transform', 'kind'],
  k8stream_transform_duration_seconds: ['transform'],
  k8stream_transform_breaker_open: ['transform'],
  k8stream_transform_breaker_trips_total: ['transform'],
  k8stream_transform_short_circuited_total: ['transform'],
  k8stream_sink_queue_events: ['sink', 'buffer'],
  k8stream_sink_queue_bytes: ['sink', 'buffer'],
  k8stream_sink_batches_sent_total: ['sink'],
  k8stream_sink_events_sent_total: ['sink'],
  k8stream_sink_bytes_sent_total: ['sink'],
  k8stream_sink_send_duration_seconds: ['sink'],
  k8stream_sink_retries_total: ['sink'],
  k8stream_sink_permanent_failures_total: ['sink'],
  k8stream_sink_deadlettered_total: ['sink'],
  k8stream_sink_dropped_total: ['sink'],
  k8stream_sink_lag_seconds: ['sink'],
  k8stream_watch_restarts_total: [],
  k8stream_watch_relists_total: [],
  k8stream_watch_gaps_total: [],
  k8stream_watch_bookmarks_total: [],
  k8stream_watch_errors_total: ['reason'],
  k8stream_source_throttled_total: [],
  k8stream_source_last_event_age_seconds: ['watch'],
  k8stream_source_consecutive_failures: ['watch'],
  k8stream_source_next_retry_timestamp_seconds: ['watch'],
  k8stream_watch_up: [],
  k8stream_kube_requests_total: ['verb', 'resource', 'code'],
  k8stream_enrich_cache_hits_total: [],
  k8stream_enrich_cache_misses_total: [],
  k8stream_leader: [],
  k8stream_resume_saves_total: [],
  k8stream_resume_save_errors_total: [],
  k8stream_heartbeats_total: ['result'],
  k8stream_ready: [],
};
const HISTOGRAMS = new Set(['k8stream_transform_duration_seconds', 'k8stream_sink_send_duration_seconds', 'k8stream_sink_lag_seconds']);
/** Labels Prometheus adds to every scraped series. */
const TARGET_LABELS = ['job', 'instance'];

/** PromQL words that are not metric names. */
const PROMQL_WORDS = new Set([
  ...['sum', 'min', 'max', 'avg', 'count', 'topk', 'bottomk', 'quantile', 'stddev', 'group'],
  ...['rate', 'irate', 'increase', 'delta', 'deriv', 'histogram_quantile', 'clamp_min', 'clamp_max', 'abs', 'absent', 'changes', 'resets', 'time', 'vector', 'scalar'],
  ...['avg_over_time', 'max_over_time', 'min_over_time', 'sum_over_time', 'last_over_time'],
  ...['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset'],
]);

async function allowedMetrics(): Promise<Map<string, string[]>> {
  const allowed = new Map<string, string[]>();
  for (const [name, labels] of Object.entries(SPEC)) {
    allowed.set(name, labels);
    if (HISTOGRAMS.has(name)) {
      allowed.set(`${name}_bucket`, [...labels, 'le']);
      allowed.set(`${name}_sum`, labels);
      allowed.set(`${name}_count`, labels);
    }
  }
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'k8stream_' });
  for (const m of await registry.getMetricsAsJSON()) {
    const labels = [...new Set(m.values.flatMap((v) => Object.keys(v.labels)))];
    allowed.set(m.name, labels);
    if (String(m.type) === 'histogram') for (const s of ['_bucket', '_sum', '_count']) allowed.set(`${m.name}${s}`, [...labels, 'le']);
  }
  return allowed;
}

/** Metric names and the label names an expression groups or matches by. */
function analyse(expr: string): { metrics: string[]; labels: string[] } {
  const labels: string[] = [];
  let rest = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{([^}]*)\}/g, (_m, inner: string) => {
      for (const l of inner.matchAll(/([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)/g)) labels.push(l[1]!);
      return '';
    })
    .replace(/\[[^\]]*\]/g, '')
    .replace(/(?<![A-Za-z0-9_:])\d+(?:\.\d+)?(?:e[+-]?\d+)?/gi, '');
  rest = rest.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g, (_m, _kw, inner: string) => {
    labels.push(
      ...inner
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    );
    return '';
  });
  const metrics = [...rest.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)].map((m) => m[0]).filter((w) => !PROMQL_WORDS.has(w));
  return { metrics, labels };
}

interface Target {
  expr: string;
  datasource: { type: string; uid: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { uid: string };
  targets?: Target[];
  gridPos: { h: number; w: number; x: number; y: number };
}

const text = readFileSync(join(REPO, 'examples/grafana/k8stream.json'), 'utf8');
const dashboard = JSON.parse(text) as {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: { name: string; type: string; query: unknown; datasource?: { uid: string } }[] };
};
const targets = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, ...t })));

describe('examples/grafana/k8stream.json', () => {
  it('is the output of generate.mjs', async () => {
    const { render } = await import('../../examples/grafana/generate.mjs');
    expect(text).toBe(render());
  });

  it('takes its Prometheus data source from a variable, in every panel and query', () => {
    const ds = dashboard.templating.list.find((v) => v.type === 'datasource')!;
    expect(ds).toMatchObject({ name: 'datasource', query: 'prometheus' });
    for (const p of dashboard.panels.filter((x) => x.type !== 'row')) expect(p.datasource?.uid, p.title).toBe('${datasource}');
    for (const t of targets) expect(t.datasource, t.panel).toEqual({ type: 'prometheus', uid: '${datasource}' });
    for (const v of dashboard.templating.list.filter((x) => x.type === 'query')) expect(v.datasource?.uid).toBe('${datasource}');
    expect(text).not.toMatch(/"uid":\s*"(?!\$\{datasource\}|k8stream")[^"]*"/); // no hard-wired data source uid
  });

  it('queries only metric names and labels k8stream exports', async () => {
    const allowed = await allowedMetrics();
    const exprs = [
      ...targets.map((t) => ({ where: t.panel, expr: t.expr })),
      ...dashboard.templating.list
        .filter((v) => v.type === 'query')
        .map((v) => ({ where: `$${v.name}`, expr: String((v.query as { query: string }).query).replace(/^label_values\((.*),\s*\w+\)$/, '$1') })),
    ];
    const problems: string[] = [];
    for (const { where, expr } of exprs) {
      const { metrics, labels } = analyse(expr);
      if (metrics.length === 0) problems.push(`${where}: no metric in ${expr}`);
      for (const m of metrics) if (!allowed.has(m)) problems.push(`${where}: unknown metric ${m}`);
      const known = new Set([...TARGET_LABELS, ...metrics.flatMap((m) => allowed.get(m) ?? [])]);
      for (const l of labels) if (!known.has(l)) problems.push(`${where}: label ${l} is not a label of ${metrics.join(', ')}`);
    }
    expect(problems).toEqual([]);
  });

  it('covers what the issue asks for', () => {
    const used = new Set(targets.flatMap((t) => analyse(t.expr).metrics));
    for (const m of [
      'k8stream_events_received_total',
      'k8stream_events_emitted_total', // in/out rates
      'k8stream_sink_queue_events',
      'k8stream_sink_send_duration_seconds_bucket',
      'k8stream_sink_lag_seconds_bucket',
      'k8stream_sink_retries_total',
      'k8stream_sink_deadlettered_total',
      'k8stream_watch_restarts_total',
      'k8stream_watch_relists_total',
      'k8stream_watch_gaps_total',
      'k8stream_kube_requests_total',
      'k8stream_enrich_cache_hits_total',
      'k8stream_enrich_cache_misses_total',
      'k8stream_leader',
      'k8stream_ready',
    ])
      expect(used, m).toContain(m);
    expect(targets.some((t) => /histogram_quantile\(0\.99, [\s\S]*?k8stream_sink_send_duration_seconds_bucket/.test(t.expr))).toBe(true);
    expect(targets.some((t) => /histogram_quantile\(0\.5, [\s\S]*?k8stream_sink_lag_seconds_bucket/.test(t.expr))).toBe(true);
    expect(targets.some((t) => /histogram_quantile\(0\.99, [\s\S]*?k8stream_sink_lag_seconds_bucket/.test(t.expr))).toBe(true);
    expect(targets.some((t) => /sum by \(code\) \(rate\(k8stream_kube_requests_total/.test(t.expr))).toBe(true);
  });

  it('has unique panel ids and a layout without overlaps inside 24 columns', () => {
    expect(new Set(dashboard.panels.map((p) => p.id)).size).toBe(dashboard.panels.length);
    const cells = new Set<string>();
    for (const p of dashboard.panels) {
      expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
      for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++) {
        for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
          expect(cells.has(`${x},${y}`), `${p.title} overlaps at ${x},${y}`).toBe(false);
          cells.add(`${x},${y}`);
        }
      }
    }
  });
});

it('the PromQL analysis finds metrics and labels (self-check)', () => {
  expect(analyse('histogram_quantile(0.99, sum by (le, sink) (rate(k8stream_sink_lag_seconds_bucket{job=~"$job", sink=~"a|b"}[$__rate_interval])))')).toEqual({
    metrics: ['histogram_quantile', 'k8stream_sink_lag_seconds_bucket'].filter((m) => !PROMQL_WORDS.has(m)),
    labels: ['job', 'sink', 'le', 'sink'],
  });
  expect(analyse('sum(rate(up[5m])) / clamp_min(sum(rate(foo_total[1m])), 1e-9)').metrics).toEqual(['up', 'foo_total']);
});
