/**
 * JSON Schema (draft 2020-12) of the `k8stream.event/v1` record, the document behind
 * `core/schema/event.v1.schema.json` (shipped with the package; a test keeps both equal).
 *
 * Versioning: adding an optional field keeps `v1`, so the schema allows unknown properties
 * (older readers keep validating newer records); removing or changing a field is a new
 * schema string (`k8stream.event/v2`) and a new file.
 */
import { RECORD_SCHEMA } from './types.js';

/** A JSON value, for schema documents. */
export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };

const str = (description: string) => ({ type: 'string', description });
const nullableTime = (description: string) => ({
  type: ['string', 'null'],
  format: 'date-time',
  description,
});
const stringMap = (description: string) => ({
  type: 'object',
  additionalProperties: { type: 'string' },
  description,
});
const objectRef = (description: string) => ({
  type: 'object',
  description,
  required: ['kind', 'name', 'namespace', 'uid', 'apiVersion', 'fieldPath'],
  properties: {
    kind: str('Kind, e.g. Pod or Node.'),
    name: str('Name.'),
    namespace: str('Namespace; empty for cluster-scoped objects.'),
    uid: str('uid of the object.'),
    apiVersion: str('apiVersion of the object.'),
    fieldPath: str('Part of the object, e.g. spec.containers{app}.'),
  },
});
const ownerRef = {
  type: 'object',
  required: ['kind', 'name', 'uid', 'apiVersion'],
  properties: {
    kind: str('Owner kind, e.g. ReplicaSet or Deployment.'),
    name: str('Owner name.'),
    uid: str('Owner uid.'),
    apiVersion: str('Owner apiVersion, e.g. apps/v1.'),
  },
};

/** The JSON Schema of one `k8stream.event/v1` record. */
export const EVENT_RECORD_JSON_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'urn:k8stream:schema:event:v1',
  title: 'k8stream event record v1',
  description:
    'One Kubernetes Event as every k8stream sink receives it: flat enough for Athena, BigQuery and DuckDB. ' +
    'Optional fields may be added within v1; a breaking change gets a new schema string.',
  type: 'object',
  required: [
    'schema',
    'id',
    'cluster',
    'uid',
    'resourceVersion',
    'firstTimestamp',
    'lastTimestamp',
    'eventTime',
    'count',
    'type',
    'reason',
    'message',
    'action',
    'namespace',
    'involvedObject',
    'source',
    'reportingController',
    'reportingInstance',
    'apiVersion',
    'enrichment',
  ],
  properties: {
    schema: { const: RECORD_SCHEMA, description: 'Record schema version.' },
    id: {
      type: 'string',
      minLength: 3,
      description: 'Deterministic id `<uid>:<resourceVersion>`: retries and replays of the same event version share it.',
    },
    cluster: str('Cluster name from the k8stream config.'),
    uid: { type: 'string', minLength: 1, description: 'metadata.uid of the Event object.' },
    resourceVersion: { type: 'string', minLength: 1, description: 'metadata.resourceVersion of the Event object.' },
    firstTimestamp: nullableTime('First occurrence (UTC, ISO-8601): firstTimestamp (core/v1) or deprecatedFirstTimestamp, else eventTime, else creationTimestamp.'),
    lastTimestamp: nullableTime(
      'Latest occurrence (UTC, ISO-8601): the latest of lastTimestamp (or deprecatedLastTimestamp), series.lastObservedTime, eventTime and firstTimestamp, else creationTimestamp.',
    ),
    eventTime: nullableTime('eventTime (MicroTime, truncated to milliseconds), set by newer reporters.'),
    count: { type: 'integer', minimum: 1, description: 'Occurrences: count, series.count or deprecatedCount (the largest), at least 1.' },
    type: str('Normal or Warning (any string the reporter sent).'),
    reason: str('Short machine-readable reason, e.g. BackOff or FailedScheduling.'),
    message: str('Human-readable message (core/v1 message or events.k8s.io note); may span lines.'),
    action: {
      enum: ['ADDED', 'MODIFIED', 'DELETED', 'SYNC'],
      description: 'Watch action that delivered this version; SYNC for the initial list.',
    },
    namespace: str('Namespace of the Event object (empty for cluster-scoped events without one).'),
    involvedObject: objectRef('The object the event is about (core/v1 involvedObject, events.k8s.io regarding).'),
    source: {
      type: 'object',
      description: 'Reporting component and host (core/v1 source, events.k8s.io/v1 deprecatedSource).',
      required: ['component', 'host'],
      properties: {
        component: str('Component, e.g. kubelet.'),
        host: str('Node name for kubelet events.'),
      },
    },
    reportingController: str('core/v1 reportingComponent or events.k8s.io/v1 reportingController.'),
    reportingInstance: str('Reporting instance id.'),
    apiVersion: str('API the event came from, as it declared it: v1 (core/v1), events.k8s.io/v1 or events.k8s.io/v1beta1.'),
    eventAction: str(
      "The Event's own action: what was taken or failed, e.g. Binding or Scheduling; empty when absent. (`action` is the watch verb.) Added within v1: older records lack it.",
    ),
    related: {
      anyOf: [objectRef('The second object.'), { type: 'null' }],
      description: "The Event's related object (a second object the event is about, e.g. the node a pod was bound to), or null. Added within v1: older records lack it.",
    },
    series: {
      anyOf: [
        {
          type: 'object',
          required: ['count', 'lastObservedTime'],
          properties: {
            count: { type: 'integer', description: 'series.count as sent (0 when absent).' },
            lastObservedTime: nullableTime('series.lastObservedTime (UTC, ISO-8601).'),
          },
        },
        { type: 'null' },
      ],
      description: "The Event's series (an event that recurred), or null. Added within v1: older records lack it.",
    },
    enrichment: {
      type: 'object',
      description: 'Context looked up by k8stream; a failed lookup is listed in errors and the event is still delivered.',
      required: ['labels', 'annotations', 'owners', 'workload', 'node', 'pod', 'services', 'errors'],
      properties: {
        labels: stringMap('Labels of the involved object.'),
        annotations: stringMap('Annotations of the involved object.'),
        owners: {
          type: 'array',
          items: ownerRef,
          description: 'Owner chain from the direct owner up to the top workload.',
        },
        workload: {
          anyOf: [ownerRef, { type: 'null' }],
          description: 'Top workload (Deployment, StatefulSet, DaemonSet, Job, CronJob), if any.',
        },
        node: {
          anyOf: [
            {
              type: 'object',
              required: ['name', 'addresses'],
              properties: {
                name: str('Node name.'),
                addresses: {
                  type: 'array',
                  items: {
                    type: 'object',
                    required: ['type', 'address'],
                    properties: {
                      type: str('InternalIP, ExternalIP, Hostname, …'),
                      address: str('The address.'),
                    },
                  },
                },
              },
            },
            { type: 'null' },
          ],
          description: 'The node the object runs on (or the node itself).',
        },
        pod: {
          anyOf: [
            {
              type: 'object',
              required: ['ip', 'hostIP', 'phase', 'startTime'],
              properties: {
                ip: str('Pod IP.'),
                hostIP: str('Host IP.'),
                phase: str('Pod phase.'),
                startTime: nullableTime('Pod start time.'),
              },
            },
            { type: 'null' },
          ],
          description: 'Pod status for pod events.',
        },
        services: {
          type: 'array',
          items: {
            type: 'object',
            required: ['name', 'namespace'],
            properties: { name: str('Service name.'), namespace: str('Service namespace.') },
          },
          description: 'Services whose selectors match the pod.',
        },
        errors: {
          type: 'array',
          items: {
            type: 'object',
            required: ['lookup', 'message'],
            properties: { lookup: str('Which lookup failed.'), message: str('Why.') },
          },
          description: 'Lookups that failed.',
        },
      },
    },
  },
} as const satisfies JsonValue;

/** File name of the shipped schema inside the core package's `schema/` directory. */
export const EVENT_RECORD_SCHEMA_FILE = 'event.v1.schema.json';
