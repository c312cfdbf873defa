/**
 * `meta.k8s.io/v1 Table` output (what kubectl asks for with
 * `Accept: application/json;as=Table;v=v1;g=meta.k8s.io`), with the real server's columns for
 * events, pods, nodes, leases and deployments, and Name/Age for everything else.
 */
import type { ResourceType } from './resources.js';
import type { KubeObject } from './selectors.js';

/** One column definition. */
export interface TableColumn {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

/** What `includeObject` asked for on each row. */
export type IncludeObject = 'None' | 'Metadata' | 'Object';

type Getter = (o: KubeObject, now: number) => string | number;

function col(name: string, type = 'string', priority = 0, format = ''): TableColumn {
  return { name, type, format, description: `${name} column`, priority };
}

function get(o: unknown, path: string): unknown {
  let cur = o;
  for (const p of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}

function str(o: unknown, path: string): string {
  const v = get(o, path);
  return typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);
}

/** Kubernetes' `duration.HumanDuration`: `45s`, `5m3s`, `3h12m`, `2d4h`, `3y`. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) return hours % 24 === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const days = Math.floor(hours / 24) % 365;
    return days === 0 ? `${Math.floor(hours / 24 / 365)}y` : `${Math.floor(hours / 24 / 365)}y${days}d`;
  }
  return `${Math.floor(hours / 24 / 365)}y`;
}

function since(ts: string, now: number): string {
  if (ts === '') return '<unknown>';
  const t = Date.parse(ts);
  return Number.isNaN(t) ? '<unknown>' : humanDuration(now - t);
}

const age: Getter = (o, now) => since(str(o, 'metadata.creationTimestamp'), now);
const name: Getter = (o) => str(o, 'metadata.name');

function eventLastSeen(o: KubeObject, now: number, v1: boolean): string {
  const last = str(o, v1 ? 'deprecatedLastTimestamp' : 'lastTimestamp') || str(o, 'eventTime');
  const seriesCount = get(o, 'series.count');
  if (typeof seriesCount === 'number') {
    const first = str(o, v1 ? 'deprecatedFirstTimestamp' : 'firstTimestamp') || str(o, 'eventTime');
    return `${since(str(o, 'series.lastObservedTime'), now)} (x${seriesCount} over ${since(first, now)})`;
  }
  return since(last, now);
}

function eventColumns(v1: boolean): [TableColumn, Getter][] {
  const io = v1 ? 'regarding' : 'involvedObject';
  return [
    [col('Last Seen'), (o, now) => eventLastSeen(o, now, v1)],
    [col('Type'), (o) => str(o, 'type')],
    [col('Reason'), (o) => str(o, 'reason')],
    [col('Object'), (o) => `${str(o, `${io}.kind`).toLowerCase()}/${str(o, `${io}.name`)}`],
    [col('Subobject', 'string', 1), (o) => str(o, `${io}.fieldPath`)],
    [
      col('Source', 'string', 1),
      (o) => {
        const src = v1 ? 'deprecatedSource' : 'source';
        const c = str(o, `${src}.component`) || str(o, v1 ? 'reportingController' : 'reportingComponent');
        const h = str(o, `${src}.host`);
        return h === '' ? c : `${c}, ${h}`;
      },
    ],
    [col('Message'), (o) => str(o, v1 ? 'note' : 'message')],
    [col('First Seen', 'string', 1), (o, now) => since(str(o, v1 ? 'deprecatedFirstTimestamp' : 'firstTimestamp') || str(o, 'eventTime'), now)],
    [col('Count', 'string', 1), (o) => String(get(o, v1 ? 'deprecatedCount' : 'count') ?? get(o, 'series.count') ?? 1)],
    [col('Name', 'string', 1), name],
  ];
}

function podReady(o: KubeObject): string {
  const statuses = get(o, 'status.containerStatuses');
  const containers = get(o, 'spec.containers');
  const total = Array.isArray(containers) ? containers.length : 0;
  const ready = Array.isArray(statuses) ? statuses.filter((s) => (s as { ready?: boolean }).ready === true).length : 0;
  return `${ready}/${total}`;
}

function podRestarts(o: KubeObject): number {
  const statuses = get(o, 'status.containerStatuses');
  if (!Array.isArray(statuses)) return 0;
  return statuses.reduce((n: number, s) => n + Number((s as { restartCount?: number }).restartCount ?? 0), 0);
}

function nodeStatus(o: KubeObject): string {
  const conds = get(o, 'status.conditions');
  const ready = Array.isArray(conds) ? conds.find((c) => (c as { type?: string }).type === 'Ready') : undefined;
  const s = ready === undefined ? 'Unknown' : (ready as { status?: string }).status === 'True' ? 'Ready' : 'NotReady';
  return get(o, 'spec.unschedulable') === true ? `${s},SchedulingDisabled` : s;
}

function columnsFor(t: ResourceType): [TableColumn, Getter][] {
  const nameCol: [TableColumn, Getter] = [col('Name', 'string', 0, 'name'), name];
  const ageCol: [TableColumn, Getter] = [col('Age'), age];
  if (t.plural === 'events') return eventColumns(t.group === 'events.k8s.io');
  switch (t.plural) {
    case 'pods':
      return [
        nameCol,
        [col('Ready'), podReady],
        [col('Status'), (o) => str(o, 'status.reason') || str(o, 'status.phase')],
        [col('Restarts', 'string'), (o) => String(podRestarts(o))],
        ageCol,
        [col('IP', 'string', 1), (o) => str(o, 'status.podIP') || '<none>'],
        [col('Node', 'string', 1), (o) => str(o, 'spec.nodeName') || '<none>'],
      ];
    case 'nodes':
      return [nameCol, [col('Status'), nodeStatus], [col('Roles'), () => '<none>'], ageCol, [col('Version'), (o) => str(o, 'status.nodeInfo.kubeletVersion')]];
    case 'leases':
      return [nameCol, [col('Holder'), (o) => str(o, 'spec.holderIdentity')], ageCol];
    case 'deployments':
      return [
        nameCol,
        [col('Ready'), (o) => `${Number(get(o, 'status.readyReplicas') ?? 0)}/${Number(get(o, 'spec.replicas') ?? 0)}`],
        [col('Up-to-date', 'integer'), (o) => Number(get(o, 'status.updatedReplicas') ?? 0)],
        [col('Available', 'integer'), (o) => Number(get(o, 'status.availableReplicas') ?? 0)],
        ageCol,
      ];
    default:
      return [nameCol, ageCol];
  }
}

function rowObject(o: KubeObject, include: IncludeObject): unknown {
  if (include === 'None') return undefined;
  if (include === 'Object') return o;
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata ?? {} };
}

/** A Table for `objects` (a list page, a single get, or one watch event). */
export function buildTable(
  t: ResourceType,
  objects: readonly KubeObject[],
  opts: { apiVersion?: string; include?: IncludeObject; withColumns?: boolean; metadata?: Record<string, unknown>; now?: number } = {},
): Record<string, unknown> {
  const cols = columnsFor(t);
  const now = opts.now ?? Date.now();
  const include = opts.include ?? 'Metadata';
  const rows = objects.map((o) => {
    const row: Record<string, unknown> = { cells: cols.map(([, g]) => g(o, now)) };
    const obj = rowObject(o, include);
    if (obj !== undefined) row['object'] = obj;
    return row;
  });
  return {
    kind: 'Table',
    apiVersion: opts.apiVersion ?? 'meta.k8s.io/v1',
    metadata: opts.metadata ?? {},
    columnDefinitions: opts.withColumns === false ? null : cols.map(([c]) => c),
    rows,
  };
}

/** What the Accept header asks for. */
export type Negotiated = { kind: 'json' } | { kind: 'table'; apiVersion: string } | { kind: 'none' };

/** Picks the first supported entry of an Accept header: a Table (v1/v1beta1) or plain JSON. */
export function negotiate(accept: string | undefined): Negotiated {
  if (accept === undefined || accept.trim() === '') return { kind: 'json' };
  for (const entry of accept.split(',')) {
    const [typePart, ...paramParts] = entry.split(';').map((s) => s.trim());
    const params = new Map<string, string>();
    for (const p of paramParts) {
      const i = p.indexOf('=');
      if (i > 0) params.set(p.slice(0, i).trim(), p.slice(i + 1).trim());
    }
    const type = (typePart ?? '').toLowerCase();
    if (type !== 'application/json' && type !== '*/*' && type !== 'application/*') continue;
    const as = params.get('as');
    if (as === undefined) return { kind: 'json' };
    if (as === 'Table' && params.get('g') === 'meta.k8s.io') {
      const v = params.get('v');
      if (v === 'v1' || v === 'v1beta1') return { kind: 'table', apiVersion: `meta.k8s.io/${v}` };
    }
  }
  return { kind: 'none' };
}
