// Writes k8stream.json, the Grafana dashboard for k8stream's Prometheus metrics, next to this
// file: `node examples/grafana/generate.mjs`. Edit the panels here, not in the JSON;
// test/deploy/grafana.test.ts checks that the JSON is this script's output and that every query
// uses only metric names k8stream exports.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const DS = { type: 'prometheus', uid: '${datasource}' };
/** Label matchers every query carries: the scrape job and the instances picked above. */
const SEL = 'job=~"$job", instance=~"$instance"';
const SINK = `${SEL}, sink=~"$sink"`;
const RI = '$__rate_interval';

let nextId = 1;
let y = 0;

function row(title) {
  const panel = { id: nextId++, type: 'row', title, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y }, panels: [] };
  y += 1;
  return panel;
}

/** Lays `panels` ([builder, width]) out left to right, wrapping at 24 columns. */
function line(height, ...panels) {
  let x = 0;
  const out = [];
  for (const [make, w] of panels) {
    if (x + w > 24) {
      x = 0;
      y += height;
    }
    out.push(make({ h: height, w, x, y }));
    x += w;
  }
  y += height;
  return out;
}

function targets(queries) {
  return queries.map(([expr, legendFormat], i) => ({ datasource: DS, expr, legendFormat, refId: String.fromCharCode(65 + i), range: true }));
}

function timeseries(title, description, unit, queries, extra = {}) {
  return (gridPos) => ({
    id: nextId++,
    type: 'timeseries',
    title,
    description,
    datasource: DS,
    gridPos,
    fieldConfig: {
      defaults: {
        unit,
        min: 0,
        custom: { drawStyle: 'line', lineWidth: 1, fillOpacity: 10, showPoints: 'never', ...(extra.stack ? { stacking: { mode: 'normal', group: 'A' } } : {}) },
      },
      overrides: [],
    },
    options: { legend: { displayMode: 'table', placement: 'bottom', calcs: ['lastNotNull', 'max'] }, tooltip: { mode: 'multi', sort: 'desc' } },
    targets: targets(queries),
  });
}

function stat(title, description, expr, { unit = 'none', mappings = [], thresholds = null, legend = '' } = {}) {
  return (gridPos) => ({
    id: nextId++,
    type: 'stat',
    title,
    description,
    datasource: DS,
    gridPos,
    fieldConfig: {
      defaults: {
        unit,
        mappings,
        thresholds: thresholds ?? { mode: 'absolute', steps: [{ color: 'green', value: null }] },
      },
      overrides: [],
    },
    options: { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: 'background', graphMode: 'none', textMode: 'auto' },
    targets: targets([[expr, legend]]),
  });
}

const upDown = (up, down) => [{ type: 'value', options: { 0: { text: down, color: 'red', index: 0 }, 1: { text: up, color: 'green', index: 1 } } }];
const redBelowOne = {
  mode: 'absolute',
  steps: [
    { color: 'red', value: null },
    { color: 'green', value: 1 },
  ],
};
const redAboveZero = {
  mode: 'absolute',
  steps: [
    { color: 'green', value: null },
    { color: 'red', value: 1 },
  ],
};

const quantile = (q, metric, by, sel) => `histogram_quantile(${q}, sum by (le, ${by}) (rate(${metric}_bucket{${sel}}[${RI}])))`;

const panels = [
  row('Overview'),
  ...line(
    4,
    [
      stat('Ready', '/readyz: 1 when the source is synced and no watch or sink has been failing too long (k8stream_ready).', `min(k8stream_ready{${SEL}})`, {
        mappings: upDown('ready', 'not ready'),
        thresholds: redBelowOne,
      }),
      4,
    ],
    [
      stat('Leader', 'Replicas leading (k8stream_leader; absent without leader election). Expect exactly 1.', `sum(k8stream_leader{${SEL}})`, {
        thresholds: {
          mode: 'absolute',
          steps: [
            { color: 'red', value: null },
            { color: 'green', value: 1 },
            { color: 'red', value: 2 },
          ],
        },
      }),
      4,
    ],
    [stat('Watches up', '1 when every watch is open (k8stream_watch_up).', `min(k8stream_watch_up{${SEL}})`, { mappings: upDown('up', 'down'), thresholds: redBelowOne }), 4],
    [stat('Events in', 'Events received per second, all sources.', `sum(rate(k8stream_events_received_total{${SEL}}[${RI}]))`, { unit: 'eps' }), 4],
    [
      stat('Dead-lettered (1h)', 'Events written to the dead-letter sink in the last hour.', `sum(increase(k8stream_sink_deadlettered_total{${SEL}}[1h]))`, {
        thresholds: redAboveZero,
      }),
      4,
    ],
    [stat('Version', 'k8stream_build_info', `count by (version) (k8stream_build_info{${SEL}})`, { legend: '{{version}}' }), 4],
  ),

  row('Events'),
  ...line(
    8,
    [
      timeseries('Events in and out', 'Received from the source, emitted after transforms, and lost on the way (filtered, invalid, unrouted).', 'eps', [
        [`sum by (source) (rate(k8stream_events_received_total{${SEL}}[${RI}]))`, 'received {{source}}'],
        [`sum by (source) (rate(k8stream_events_emitted_total{${SEL}}[${RI}]))`, 'emitted {{source}}'],
        [`sum by (source) (rate(k8stream_events_filtered_total{${SEL}}[${RI}]))`, 'filtered {{source}}'],
        [`sum by (source) (rate(k8stream_events_invalid_total{${SEL}}[${RI}]))`, 'invalid {{source}}'],
        [`sum by (source) (rate(k8stream_events_unrouted_total{${SEL}}[${RI}]))`, 'unrouted {{source}}'],
      ]),
      12,
    ],
    [timeseries('Events sent per sink', 'Events acknowledged by each sink.', 'eps', [[`sum by (sink) (rate(k8stream_sink_events_sent_total{${SINK}}[${RI}]))`, '{{sink}}']]), 12],
  ),

  row('Sinks'),
  ...line(
    8,
    [
      timeseries('Queue depth (events)', 'Events waiting for each sink, in memory and on disk.', 'short', [
        [`sum by (sink, buffer) (k8stream_sink_queue_events{${SINK}})`, '{{sink}} {{buffer}}'],
      ]),
      8,
    ],
    [
      timeseries('Queue size (bytes)', 'Bytes waiting for each sink, in memory and on disk.', 'bytes', [
        [`sum by (sink, buffer) (k8stream_sink_queue_bytes{${SINK}})`, '{{sink}} {{buffer}}'],
      ]),
      8,
    ],
    [timeseries('Bytes sent', 'Encoded bytes acknowledged by each sink.', 'Bps', [[`sum by (sink) (rate(k8stream_sink_bytes_sent_total{${SINK}}[${RI}]))`, '{{sink}}']]), 8],
  ),
  ...line(
    8,
    [
      timeseries('Send duration p99', 'One send (a batch) until the sink acknowledged it, 99th percentile.', 's', [
        [quantile(0.99, 'k8stream_sink_send_duration_seconds', 'sink', SINK), '{{sink}} p99'],
      ]),
      8,
    ],
    [
      timeseries('Lag p50 / p99', 'Now minus the event timestamp, when the sink acknowledged the event.', 's', [
        [quantile(0.5, 'k8stream_sink_lag_seconds', 'sink', SINK), '{{sink}} p50'],
        [quantile(0.99, 'k8stream_sink_lag_seconds', 'sink', SINK), '{{sink}} p99'],
      ]),
      8,
    ],
    [timeseries('Batches sent', 'Batches acknowledged per second.', 'ops', [[`sum by (sink) (rate(k8stream_sink_batches_sent_total{${SINK}}[${RI}]))`, '{{sink}}']]), 8],
  ),
  ...line(
    8,
    [
      timeseries('Retries and failures', 'Retried sends and batches the sink rejected for good.', 'ops', [
        [`sum by (sink) (rate(k8stream_sink_retries_total{${SINK}}[${RI}]))`, 'retries {{sink}}'],
        [`sum by (sink) (rate(k8stream_sink_permanent_failures_total{${SINK}}[${RI}]))`, 'permanent failures {{sink}}'],
      ]),
      12,
    ],
    [
      timeseries('Dead-lettered and dropped', 'Events sent to the dead-letter sink, and events dropped by a full disk queue (overflow: drop-oldest).', 'short', [
        [`sum by (sink) (increase(k8stream_sink_deadlettered_total{${SINK}}[${RI}]))`, 'dead-lettered {{sink}}'],
        [`sum by (sink) (increase(k8stream_sink_dropped_total{${SINK}}[${RI}]))`, 'dropped {{sink}}'],
      ]),
      12,
    ],
  ),

  row('Kubernetes source'),
  ...line(
    8,
    [
      timeseries('Watch restarts, relists, gaps', 'A gap means events may be missing (a WatchGap marker record names the range).', 'short', [
        [`sum(increase(k8stream_watch_restarts_total{${SEL}}[${RI}]))`, 'restarts'],
        [`sum(increase(k8stream_watch_relists_total{${SEL}}[${RI}]))`, 'relists'],
        [`sum(increase(k8stream_watch_gaps_total{${SEL}}[${RI}]))`, 'gaps'],
        [`sum(increase(k8stream_watch_bookmarks_total{${SEL}}[${RI}]))`, 'bookmarks'],
      ]),
      12,
    ],
    [
      timeseries(
        'Kube API requests by code',
        'Requests to the API server (source, enrichment, leader election) by HTTP status.',
        'reqps',
        [[`sum by (code) (rate(k8stream_kube_requests_total{${SEL}}[${RI}]))`, '{{code}}']],
        { stack: true },
      ),
      12,
    ],
  ),
  ...line(
    8,
    [
      timeseries(
        'Archive staleness',
        'Seconds since the last event or bookmark arrived, per watch (the namespace, or * for the cluster-wide one). A watch that keeps growing here is not delivering: the archive is that old.',
        's',
        [[`max by (watch) (k8stream_source_last_event_age_seconds{${SEL}})`, '{{watch}}']],
      ),
      8,
    ],
    [
      timeseries('Watch errors by reason', 'Failed list/watch attempts: throttled (429), expired (410), server_error, reset, stall, empty…', 'short', [
        [`sum by (reason) (increase(k8stream_watch_errors_total{${SEL}}[${RI}]))`, '{{reason}}'],
      ]),
      8,
    ],
    [
      timeseries('Retrying', 'Failed attempts since the last healthy list+watch cycle, per watch, and seconds until the next retry.', 'short', [
        [`max by (watch) (k8stream_source_consecutive_failures{${SEL}})`, 'failures {{watch}}'],
        [`clamp_min(max by (watch) (k8stream_source_next_retry_timestamp_seconds{${SEL}}) - time(), 0)`, 'next retry in (s) {{watch}}'],
      ]),
      8,
    ],
  ),
  ...line(
    8,
    [
      timeseries('Kube API requests by verb and resource', 'Which calls k8stream makes.', 'reqps', [
        [`sum by (verb, resource) (rate(k8stream_kube_requests_total{${SEL}}[${RI}]))`, '{{verb}} {{resource}}'],
      ]),
      12,
    ],
    [
      timeseries('Enrichment cache hit ratio', 'Lookups answered from the cache.', 'percentunit', [
        [
          `sum(rate(k8stream_enrich_cache_hits_total{${SEL}}[${RI}])) / clamp_min(sum(rate(k8stream_enrich_cache_hits_total{${SEL}}[${RI}])) + sum(rate(k8stream_enrich_cache_misses_total{${SEL}}[${RI}])), 1e-9)`,
          'hit ratio',
        ],
      ]),
      12,
    ],
  ),

  row('Transforms'),
  ...line(
    8,
    [
      timeseries('Transform calls, drops, errors', 'Per transform; errors by kind (trap, timeout, error, invalid_output).', 'ops', [
        [`sum by (transform) (rate(k8stream_transform_calls_total{${SEL}}[${RI}]))`, 'calls {{transform}}'],
        [`sum by (transform) (rate(k8stream_transform_dropped_total{${SEL}}[${RI}]))`, 'dropped {{transform}}'],
        [`sum by (transform, kind) (rate(k8stream_transform_errors_total{${SEL}}[${RI}]))`, 'errors {{transform}} {{kind}}'],
      ]),
      12,
    ],
    [
      timeseries('Transform duration p99', 'One call of the WebAssembly transform.', 's', [
        [quantile(0.99, 'k8stream_transform_duration_seconds', 'transform', SEL), '{{transform}} p99'],
      ]),
      12,
    ],
  ),
  ...line(
    8,
    [
      timeseries('Transform circuit breakers', '1 while a transform is open or half-open: its events take their onError path without calling it.', 'short', [
        [`max by (transform) (k8stream_transform_breaker_open{${SEL}})`, 'open {{transform}}'],
      ]),
      12,
    ],
    [
      timeseries('Breaker trips and short-circuited events', 'Trips per interval, and events that took the onError path because the breaker was open.', 'ops', [
        [`sum by (transform) (increase(k8stream_transform_breaker_trips_total{${SEL}}[${RI}]))`, 'trips {{transform}}'],
        [`sum by (transform) (rate(k8stream_transform_short_circuited_total{${SEL}}[${RI}]))`, 'short-circuited {{transform}}'],
      ]),
      12,
    ],
  ),

  row('Process'),
  ...line(
    8,
    [timeseries('CPU', 'CPU seconds per second.', 'percentunit', [[`sum by (instance) (rate(k8stream_process_cpu_seconds_total{${SEL}}[${RI}]))`, '{{instance}}']]), 6],
    [
      timeseries('Memory', 'Resident set size and V8 heap in use.', 'bytes', [
        [`sum by (instance) (k8stream_process_resident_memory_bytes{${SEL}})`, 'rss {{instance}}'],
        [`sum by (instance) (k8stream_nodejs_heap_size_used_bytes{${SEL}})`, 'heap {{instance}}'],
      ]),
      6,
    ],
    [timeseries('Event loop lag p99', 'Node.js event loop delay.', 's', [[`max by (instance) (k8stream_nodejs_eventloop_lag_p99_seconds{${SEL}})`, '{{instance}}']]), 6],
    [
      timeseries('Resume saves and heartbeats', 'Resume-point saves (and failures) and heartbeat pings by result.', 'ops', [
        [`sum(rate(k8stream_resume_saves_total{${SEL}}[${RI}]))`, 'resume saves'],
        [`sum(rate(k8stream_resume_save_errors_total{${SEL}}[${RI}]))`, 'resume save errors'],
        [`sum by (result) (rate(k8stream_heartbeats_total{${SEL}}[${RI}]))`, 'heartbeats {{result}}'],
      ]),
      6,
    ],
  ),
];

function variable(name, label, query, { multi = true } = {}) {
  return {
    name,
    label,
    type: 'query',
    datasource: DS,
    query: { query, refId: `${name}-var` },
    definition: query,
    refresh: 2,
    includeAll: true,
    allValue: '.*',
    multi,
    sort: 1,
    current: { selected: true, text: ['All'], value: ['$__all'] },
    options: [],
    hide: 0,
  };
}

const dashboard = {
  title: 'k8stream',
  uid: 'k8stream',
  description: 'k8stream: Kubernetes events streamed to durable storage. Source, sinks, transforms, health.',
  tags: ['k8stream', 'kubernetes', 'events'],
  editable: true,
  graphTooltip: 1,
  schemaVersion: 39,
  version: 1,
  time: { from: 'now-6h', to: 'now' },
  refresh: '30s',
  timezone: '',
  annotations: { list: [] },
  links: [],
  templating: {
    list: [
      { name: 'datasource', label: 'Data source', type: 'datasource', query: 'prometheus', current: {}, hide: 0, refresh: 1, regex: '', options: [] },
      variable('job', 'Job', 'label_values(k8stream_build_info, job)'),
      variable('instance', 'Instance', 'label_values(k8stream_build_info{job=~"$job"}, instance)'),
      variable('sink', 'Sink', 'label_values(k8stream_sink_events_sent_total{job=~"$job", instance=~"$instance"}, sink)'),
    ],
  },
  panels,
};

export function render() {
  return `${JSON.stringify(dashboard, null, 2)}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(new URL('./k8stream.json', import.meta.url), render());
}
