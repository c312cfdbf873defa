/**
 * The OTLP/HTTP logs body (`body: otlp`): k8stream records as OpenTelemetry LogRecords, grouped
 * into one ResourceLogs per distinct resource (cluster, namespace, object, workload, node).
 *
 * The mapping is pure and dependency-free; the protobuf wire encoding is done by
 * `@opentelemetry/otlp-transformer` (the OpenTelemetry JS SDK's own serializer of the official
 * `opentelemetry-proto` messages), loaded by {@link loadOtlpEncoder} only when a sink with
 * `body: otlp` is created. OTLP/JSON is built here by the protobuf JSON mapping the OTLP
 * specification fixes: lowerCamelCase field names, enums as integers, 64-bit integers as decimal
 * strings (the serializer's JSON form writes them as numbers).
 */
import type { Batch } from '@k8stream/core';

/** An attribute value: what the README's mapping table uses. */
export type OtlpValue = string | number | boolean | readonly string[];

/** Attributes in insertion order (the order they are written). */
export type OtlpAttributes = Record<string, OtlpValue>;

/** One LogRecord, before encoding. Times are nanoseconds since the epoch (0 = unknown). */
export interface OtlpLogRecord {
  timeUnixNano: bigint;
  observedTimeUnixNano: bigint;
  severityNumber: number;
  severityText: string;
  body: string;
  eventName: string;
  attributes: OtlpAttributes;
}

/** One ResourceLogs: a resource and its records (one scope, `k8stream`). */
export interface OtlpResourceLogs {
  resource: OtlpAttributes;
  records: OtlpLogRecord[];
}

/** The scope every record is reported under. */
export interface OtlpScope {
  name: string;
  version: string;
}

/** SeverityNumber values of the OTel logs data model used here. */
export const SEVERITY = { UNSPECIFIED: 0, INFO: 9, WARN: 13 } as const;

/** LogRecord.event_name of every event record. */
export const EVENT_NAME = 'k8s.event';

/** Kinds with their own `k8s.<kind>.name` / `k8s.<kind>.uid` resource attributes in the semantic conventions. */
const KIND_PREFIX: Readonly<Record<string, string>> = {
  Pod: 'k8s.pod',
  Node: 'k8s.node',
  Deployment: 'k8s.deployment',
  ReplicaSet: 'k8s.replicaset',
  StatefulSet: 'k8s.statefulset',
  DaemonSet: 'k8s.daemonset',
  Job: 'k8s.job',
  CronJob: 'k8s.cronjob',
};

type Obj = Record<string, unknown>;

function obj(value: unknown): Obj | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Obj) : undefined;
}

function str(o: Obj | undefined, key: string): string {
  const v = o?.[key];
  return typeof v === 'string' ? v : '';
}

function setStr(attrs: OtlpAttributes, key: string, value: string): void {
  if (value !== '') attrs[key] = value;
}

/**
 * An ISO-8601 timestamp as nanoseconds since the epoch, keeping every fractional digit
 * (`eventTime` is a MicroTime); `undefined` when absent or unreadable.
 */
export function isoToUnixNano(text: string): bigint | undefined {
  if (text === '') return undefined;
  const m = /^(.*T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})$/i.exec(text);
  if (m === null) return undefined;
  const ms = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(ms)) return undefined;
  const fraction = (m[2] ?? '').slice(0, 9).padEnd(9, '0');
  return BigInt(ms) * 1_000_000n + BigInt(fraction);
}

/** The time of the occurrence a record stands for: series.lastObservedTime, lastTimestamp, eventTime, firstTimestamp; 0 if none. */
export function occurrenceTime(record: Obj): bigint {
  const series = obj(record.series);
  for (const text of [str(series, 'lastObservedTime'), str(record, 'lastTimestamp'), str(record, 'eventTime'), str(record, 'firstTimestamp')]) {
    const ns = isoToUnixNano(text);
    if (ns !== undefined) return ns;
  }
  return 0n;
}

/** Severity from the event type: Normal → INFO, Warning → WARN, anything else UNSPECIFIED. */
export function severityOf(type: string): number {
  return type === 'Normal' ? SEVERITY.INFO : type === 'Warning' ? SEVERITY.WARN : SEVERITY.UNSPECIFIED;
}

/** Sets `k8s.<kind>.name`/`.uid` for a kind the conventions name, unless already set. */
function setObject(resource: OtlpAttributes, kind: string, name: string, uid: string): void {
  const prefix = KIND_PREFIX[kind];
  if (prefix === undefined || name === '' || resource[`${prefix}.name`] !== undefined) return;
  resource[`${prefix}.name`] = name;
  setStr(resource, `${prefix}.uid`, uid);
}

/** `k8s.<kind>.label.<key>` for the conventions' kinds, `k8s.object.label.<key>` for the others. */
function labelPrefix(kind: string): string {
  return KIND_PREFIX[kind] ?? (kind === 'Namespace' ? 'k8s.namespace' : 'k8s.object');
}

/** The resource of an event record: who the event is about, as the OTel k8s conventions name it. */
export function resourceOf(record: Obj, batchCluster: string): OtlpAttributes {
  const resource: OtlpAttributes = { 'k8s.cluster.name': str(record, 'cluster') || batchCluster };
  const involved = obj(record.involvedObject);
  const kind = str(involved, 'kind');
  const name = str(involved, 'name');
  const namespace = str(involved, 'namespace') || str(record, 'namespace') || (kind === 'Namespace' ? name : '');
  setStr(resource, 'k8s.namespace.name', namespace);
  setStr(resource, 'k8s.object.kind', kind);
  setStr(resource, 'k8s.object.name', name);
  setStr(resource, 'k8s.object.uid', str(involved, 'uid'));
  setStr(resource, 'k8s.object.api_version', str(involved, 'apiVersion'));
  setObject(resource, kind, name, str(involved, 'uid'));
  const enrichment = obj(record.enrichment);
  const workload = obj(enrichment?.workload);
  if (workload !== undefined) setObject(resource, str(workload, 'kind'), str(workload, 'name'), str(workload, 'uid'));
  const owners = enrichment?.owners;
  if (Array.isArray(owners)) {
    for (const owner of owners) {
      const o = obj(owner);
      setObject(resource, str(o, 'kind'), str(o, 'name'), str(o, 'uid'));
    }
  }
  const node = str(obj(enrichment?.node), 'name');
  if (node !== '' && resource['k8s.node.name'] === undefined) resource['k8s.node.name'] = node;
  const prefix = labelPrefix(kind);
  for (const [key, value] of Object.entries(obj(enrichment?.labels) ?? {})) if (typeof value === 'string') resource[`${prefix}.label.${key}`] = value;
  for (const [key, value] of Object.entries(obj(enrichment?.annotations) ?? {})) if (typeof value === 'string') resource[`${prefix}.annotation.${key}`] = value;
  return resource;
}

function strings(list: unknown, render: (o: Obj) => string): string[] {
  if (!Array.isArray(list)) return [];
  const out: string[] = [];
  for (const item of list) {
    const o = obj(item);
    if (o !== undefined) out.push(render(o));
  }
  return out;
}

/** The record's other fields as LogRecord attributes (README, "OTLP mapping"). Empty strings and nulls are left out. */
export function attributesOf(record: Obj): OtlpAttributes {
  const a: OtlpAttributes = {};
  setStr(a, 'k8stream.record.id', str(record, 'id'));
  setStr(a, 'k8stream.schema', str(record, 'schema'));
  setStr(a, 'k8stream.watch.action', str(record, 'action'));
  setStr(a, 'k8s.event.uid', str(record, 'uid'));
  setStr(a, 'k8s.event.resource_version', str(record, 'resourceVersion'));
  setStr(a, 'k8s.event.api_version', str(record, 'apiVersion'));
  setStr(a, 'k8s.event.type', str(record, 'type'));
  setStr(a, 'k8s.event.reason', str(record, 'reason'));
  setStr(a, 'k8s.event.action', str(record, 'eventAction'));
  if (typeof record.count === 'number' && Number.isInteger(record.count)) a['k8s.event.count'] = record.count;
  setStr(a, 'k8s.event.first_timestamp', str(record, 'firstTimestamp'));
  setStr(a, 'k8s.event.last_timestamp', str(record, 'lastTimestamp'));
  setStr(a, 'k8s.event.event_time', str(record, 'eventTime'));
  const involved = obj(record.involvedObject);
  setStr(a, 'k8s.object.fieldpath', str(involved, 'fieldPath'));
  const source = obj(record.source);
  setStr(a, 'k8s.event.source.component', str(source, 'component'));
  setStr(a, 'k8s.event.source.host', str(source, 'host'));
  setStr(a, 'k8s.event.reporting_controller', str(record, 'reportingController'));
  setStr(a, 'k8s.event.reporting_instance', str(record, 'reportingInstance'));
  const related = obj(record.related);
  if (related !== undefined) {
    for (const [field, key] of [
      ['kind', 'kind'],
      ['name', 'name'],
      ['namespace', 'namespace'],
      ['uid', 'uid'],
      ['apiVersion', 'api_version'],
      ['fieldPath', 'fieldpath'],
    ] as const) {
      setStr(a, `k8s.event.related.${key}`, str(related, field));
    }
  }
  const series = obj(record.series);
  if (series !== undefined) {
    if (typeof series.count === 'number' && Number.isInteger(series.count)) a['k8s.event.series.count'] = series.count;
    setStr(a, 'k8s.event.series.last_observed_time', str(series, 'lastObservedTime'));
  }
  const enrichment = obj(record.enrichment);
  const owners = strings(enrichment?.owners, (o) => `${str(o, 'kind')}/${str(o, 'name')}`);
  if (owners.length > 0) a['k8stream.owners'] = owners;
  const workload = obj(enrichment?.workload);
  if (workload !== undefined) setStr(a, 'k8stream.workload', `${str(workload, 'kind')}/${str(workload, 'name')}`);
  const node = obj(enrichment?.node);
  const addresses = strings(node?.addresses, (o) => `${str(o, 'type')}=${str(o, 'address')}`);
  if (addresses.length > 0) a['k8stream.node.addresses'] = addresses;
  const pod = obj(enrichment?.pod);
  if (pod !== undefined) {
    setStr(a, 'k8stream.pod.ip', str(pod, 'ip'));
    setStr(a, 'k8stream.pod.host_ip', str(pod, 'hostIP'));
    setStr(a, 'k8stream.pod.phase', str(pod, 'phase'));
    setStr(a, 'k8stream.pod.start_time', str(pod, 'startTime'));
  }
  const services = strings(enrichment?.services, (o) => `${str(o, 'namespace')}/${str(o, 'name')}`);
  if (services.length > 0) a['k8stream.services'] = services;
  const errors = strings(enrichment?.errors, (o) => `${str(o, 'lookup')}: ${str(o, 'message')}`);
  if (errors.length > 0) a['k8stream.enrichment.errors'] = errors;
  return a;
}

/**
 * Groups a batch into ResourceLogs, in order of first appearance; records keep their batch
 * order within a group. `observedTimeUnixNano` is the batch's creation time (when k8stream
 * closed the batch: the latest time it saw the events; the same on every retry of the batch).
 * A record that is not a `k8stream.event/v1` object (a dead-letter record) becomes one LogRecord
 * with its JSON as the body, under the cluster's resource.
 */
export function buildOtlpLogs(batch: Batch<unknown>): OtlpResourceLogs[] {
  const groups = new Map<string, OtlpResourceLogs>();
  const observed = BigInt(batch.createdAt) * 1_000_000n;
  for (const raw of batch.records) {
    const record = obj(raw) ?? {};
    const isEvent = str(record, 'schema') === 'k8stream.event/v1';
    const resource = isEvent ? resourceOf(record, batch.cluster) : { 'k8s.cluster.name': str(record, 'cluster') || batch.cluster };
    const type = str(record, 'type');
    const log: OtlpLogRecord = isEvent
      ? {
          timeUnixNano: occurrenceTime(record),
          observedTimeUnixNano: observed,
          severityNumber: severityOf(type),
          severityText: type,
          body: str(record, 'message'),
          eventName: EVENT_NAME,
          attributes: attributesOf(record),
        }
      : {
          timeUnixNano: isoToUnixNano(str(record, 'time')) ?? 0n,
          observedTimeUnixNano: observed,
          severityNumber: SEVERITY.UNSPECIFIED,
          severityText: '',
          body: JSON.stringify(raw) ?? '',
          eventName: '',
          attributes: {
            ...(str(record, 'schema') !== '' ? { 'k8stream.schema': str(record, 'schema') } : {}),
            ...(str(record, 'id') !== '' ? { 'k8stream.record.id': str(record, 'id') } : {}),
          },
        };
    const key = JSON.stringify(resource);
    let group = groups.get(key);
    if (group === undefined) {
      group = { resource, records: [] };
      groups.set(key, group);
    }
    group.records.push(log);
  }
  return [...groups.values()];
}

// ---- OTLP/JSON ----------------------------------------------------------------------------

function jsonValue(value: OtlpValue): unknown {
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  if (typeof value === 'number') return Number.isInteger(value) ? { intValue: String(value) } : { doubleValue: value };
  return { arrayValue: { values: value.map((v) => ({ stringValue: v })) } };
}

function jsonAttributes(attrs: OtlpAttributes): unknown[] {
  return Object.entries(attrs).map(([key, value]) => ({ key, value: jsonValue(value) }));
}

/** The ExportLogsServiceRequest in OTLP/JSON (an object ready for `JSON.stringify`). */
export function otlpJsonRequest(groups: readonly OtlpResourceLogs[], scope: OtlpScope): unknown {
  return {
    resourceLogs: groups.map((g) => ({
      resource: { attributes: jsonAttributes(g.resource) },
      scopeLogs: [
        {
          scope: { name: scope.name, version: scope.version },
          logRecords: g.records.map((r) => ({
            timeUnixNano: r.timeUnixNano.toString(),
            observedTimeUnixNano: r.observedTimeUnixNano.toString(),
            ...(r.severityNumber !== SEVERITY.UNSPECIFIED ? { severityNumber: r.severityNumber } : {}),
            ...(r.severityText !== '' ? { severityText: r.severityText } : {}),
            body: { stringValue: r.body },
            attributes: jsonAttributes(r.attributes),
            ...(r.eventName !== '' ? { eventName: r.eventName } : {}),
          })),
        },
      ],
    })),
  };
}

// ---- protobuf (through @opentelemetry/otlp-transformer) ------------------------------------

/** Encodes ResourceLogs as an `ExportLogsServiceRequest` protobuf message. */
export type OtlpProtobufEncoder = (groups: readonly OtlpResourceLogs[], scope: OtlpScope) => Uint8Array;

/** Reads an `ExportLogsServiceResponse` protobuf message. */
export type OtlpResponseDecoder = (bytes: Uint8Array) => { rejected: number; message: string } | undefined;

export interface OtlpCodec {
  encode: OtlpProtobufEncoder;
  decodeResponse: OtlpResponseDecoder;
}

const NS_PER_S = 1_000_000_000n;

function hrTime(ns: bigint): [number, number] {
  return [Number(ns / NS_PER_S), Number(ns % NS_PER_S)];
}

/**
 * Loads the protobuf serializer (about 12 MB RSS and 60-170 ms on first load: only sinks with
 * `body: otlp` pay it). The serializer takes the OpenTelemetry SDK's `ReadableLogRecord` shape
 * and groups records by resource object identity, so each group shares one resource object.
 */
export async function loadOtlpEncoder(): Promise<OtlpCodec> {
  const { ProtobufLogsSerializer } = await import('@opentelemetry/otlp-transformer');
  type Records = Parameters<typeof ProtobufLogsSerializer.serializeRequest>[0];
  return {
    encode(groups, scope) {
      const instrumentationScope = { name: scope.name, version: scope.version };
      const records: unknown[] = [];
      for (const group of groups) {
        const resource = { attributes: group.resource };
        for (const r of group.records) {
          records.push({
            resource,
            instrumentationScope,
            hrTime: hrTime(r.timeUnixNano),
            hrTimeObserved: hrTime(r.observedTimeUnixNano),
            severityNumber: r.severityNumber,
            ...(r.severityText !== '' ? { severityText: r.severityText } : {}),
            body: r.body,
            attributes: r.attributes,
            droppedAttributesCount: 0,
            ...(r.eventName !== '' ? { eventName: r.eventName } : {}),
          });
        }
      }
      const bytes = ProtobufLogsSerializer.serializeRequest(records as Records);
      if (bytes === undefined) throw new Error('the OTLP serializer returned nothing');
      return bytes;
    },
    decodeResponse(bytes) {
      const partial = ProtobufLogsSerializer.deserializeResponse(bytes).partialSuccess;
      if (partial === undefined) return undefined;
      return { rejected: Number(partial.rejectedLogRecords ?? 0), message: partial.errorMessage ?? '' };
    },
  };
}

/** `partial_success` of an OTLP/JSON response body; undefined when absent or not JSON. */
export function jsonPartialSuccess(text: string): { rejected: number; message: string } | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  const partial = obj(obj(parsed)?.partialSuccess ?? obj(parsed)?.partial_success);
  if (partial === undefined) return undefined;
  const rejected = Number(partial.rejectedLogRecords ?? partial.rejected_log_records ?? 0);
  const message = partial.errorMessage ?? partial.error_message;
  return { rejected: Number.isFinite(rejected) ? rejected : 0, message: typeof message === 'string' ? message : '' };
}

/**
 * The `message` of a `google.rpc.Status` error body (OTLP/HTTP failures): from JSON, or from
 * protobuf (field 2, a string; fields 1 and 3 skipped). Undefined when it is neither.
 */
export function statusMessage(bytes: Uint8Array, contentType: string): string | undefined {
  if (contentType.includes('json')) {
    try {
      const message = obj(JSON.parse(new TextDecoder().decode(bytes)))?.message;
      return typeof message === 'string' ? message : undefined;
    } catch {
      return undefined;
    }
  }
  if (!contentType.includes('protobuf')) return undefined;
  let pos = 0;
  const varint = (): number => {
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (pos >= bytes.length) throw new RangeError('truncated');
      const b = bytes[pos++]!;
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
    }
    throw new RangeError('varint too long');
  };
  try {
    let message: string | undefined;
    while (pos < bytes.length) {
      const tag = varint();
      const wire = tag & 7;
      if (wire === 0) varint();
      else if (wire === 2) {
        const len = varint();
        if (pos + len > bytes.length) return undefined;
        if (tag >>> 3 === 2) message = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(pos, pos + len));
        pos += len;
      } else return undefined;
    }
    return message;
  } catch {
    return undefined;
  }
}
