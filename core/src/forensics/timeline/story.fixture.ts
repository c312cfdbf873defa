/**
 * Test fixture: a small incident as archived records, with a known story. Namespace `shop`,
 * Service `shop/web` in front of Deployment `shop/web`:
 *
 *   10:00  a rollout: ScalingReplicaSet on the Deployment, SuccessfulCreate ×2 on the new
 *          ReplicaSet web-7f9, its pods a (web-7f9-zzzzz, node-1) and b (web-7f9-bbbbb, node-2) Scheduled/Pulled/Created/Started
 *   10:01  both crash-loop: BackOff, one Event per pod updated with a growing count (a: 1 → 4,
 *          the last after the watch gap; b: 1 → 2), then b Unhealthy (one record, count 3)
 *   10:03  node-2 NotReady (two Events, counts 1 and 2), and on pod b
 *   10:04  the Service loses its endpoints (Endpoints, EndpointSlice web-abcde, the Service)
 *   10:05  the old ReplicaSet web-6d4 (no pod left in the window) scaled down
 *   10:06  a WatchGap marker; the latest record before it is node-3's (unrelated) at 10:05:30
 *
 * Around it, what a timeline of `shop/web` must leave out: Service `shop/cart` with its
 * Deployment, ReplicaSet and pod on node-3; node-3's own event; Deployment `staging/web`;
 * EndpointSlice `web-api-x1y2z` of Service `shop/web-api`; a pod of `web-api` on node-1.
 */
import type { Enrichment, EventRecord } from '../../record/types.js';
import { record } from './events-table.fixture.js';

export const DAY = '2026-12-08';
export const at = (hms: string) => `${DAY}T${hms}Z`;
export const WINDOW = { fromMs: Date.parse(at('09:00:00')), toMs: Date.parse(at('11:00:00')) };

const web = { kind: 'Deployment', name: 'web', uid: 'd-web', apiVersion: 'apps/v1' };
const rsNew = { kind: 'ReplicaSet', name: 'web-7f9', uid: 'rs-7f9', apiVersion: 'apps/v1' };
const cart = { kind: 'Deployment', name: 'cart', uid: 'd-cart', apiVersion: 'apps/v1' };
const rsCart = { kind: 'ReplicaSet', name: 'cart-5b8', uid: 'rs-cart', apiVersion: 'apps/v1' };
const webApi = { kind: 'Deployment', name: 'web-api', uid: 'd-web-api', apiVersion: 'apps/v1' };
const rsWebApi = { kind: 'ReplicaSet', name: 'web-api-1a2', uid: 'rs-web-api', apiVersion: 'apps/v1' };

export const POD_A = 'web-7f9-zzzzz';
export const POD_B = 'web-7f9-bbbbb';

const node = (name: string) => ({ name, addresses: [{ type: 'InternalIP', address: '10.0.0.1' }] });
/** Enrichment of a record about a web pod on `nodeName` (what the enricher adds). */
const webPod = (nodeName: string): Partial<Enrichment> => ({ owners: [rsNew, web], workload: web, node: node(nodeName), services: [{ name: 'web', namespace: 'shop' }] });
const cartPod: Partial<Enrichment> = { owners: [rsCart, cart], workload: cart, node: node('node-3'), services: [{ name: 'cart', namespace: 'shop' }] };
const webApiPod: Partial<Enrichment> = { owners: [rsWebApi, webApi], workload: webApi, node: node('node-1'), services: [{ name: 'web-api', namespace: 'shop' }] };
const shop = (kind: string, name: string) => ({ kind, name, namespace: 'shop' });

export function incident(): EventRecord[] {
  const podA = shop('Pod', POD_A);
  const podB = shop('Pod', POD_B);
  const backOffA = (rv: number, hms: string) =>
    record({
      uid: 'bo-a',
      rv,
      at: at(hms),
      first: at('10:01:00'),
      type: 'Warning',
      reason: 'BackOff',
      message: `Back-off restarting failed container web in pod ${POD_A}`,
      count: rv,
      object: podA,
      host: 'node-1',
      enrichment: webPod('node-1'),
    });
  return [
    // the rollout
    record({ uid: 'e1', at: at('10:00:00'), reason: 'ScalingReplicaSet', message: 'Scaled up replica set web-7f9 to 2', object: shop('Deployment', 'web') }),
    record({
      uid: 'e2',
      at: at('10:00:01'),
      reason: 'SuccessfulCreate',
      message: `Created pod: ${POD_A}`,
      object: shop('ReplicaSet', 'web-7f9'),
      enrichment: { owners: [web], workload: web },
    }),
    record({
      uid: 'e3',
      at: at('10:00:01'),
      reason: 'SuccessfulCreate',
      message: `Created pod: ${POD_B}`,
      object: shop('ReplicaSet', 'web-7f9'),
      enrichment: { owners: [web], workload: web },
    }),
    record({ uid: 'a1', at: at('10:00:02'), reason: 'Scheduled', message: `Successfully assigned shop/${POD_A} to node-1`, object: podA, enrichment: webPod('node-1') }),
    record({ uid: 'b1', at: at('10:00:03'), reason: 'Scheduled', message: `Successfully assigned shop/${POD_B} to node-2`, object: podB, enrichment: webPod('node-2') }),
    record({ uid: 'a2', at: at('10:00:05'), reason: 'Pulled', object: podA, host: 'node-1', enrichment: webPod('node-1') }),
    record({ uid: 'a3', at: at('10:00:06'), reason: 'Created', object: podA, host: 'node-1', enrichment: webPod('node-1') }),
    record({ uid: 'a4', at: at('10:00:07'), reason: 'Started', object: podA, host: 'node-1', enrichment: webPod('node-1') }),
    // b's kubelet records lack enrichment (lookups failed): still b's, by name; its node from source.host
    record({ uid: 'b2', at: at('10:00:08'), reason: 'Pulled', object: podB, host: 'node-2' }),
    record({ uid: 'b3', at: at('10:00:09'), reason: 'Created', object: podB, host: 'node-2' }),
    record({ uid: 'b4', at: at('10:00:10'), reason: 'Started', object: podB, host: 'node-2' }),
    // the crash loops
    backOffA(1, '10:01:00'),
    record({
      uid: 'bo-b',
      rv: 1,
      at: at('10:01:10'),
      type: 'Warning',
      reason: 'BackOff',
      message: `Back-off restarting failed container web in pod ${POD_B}`,
      object: podB,
      host: 'node-2',
      enrichment: webPod('node-2'),
    }),
    backOffA(2, '10:01:30'),
    record({
      uid: 'bo-b',
      rv: 2,
      count: 2,
      at: at('10:02:00'),
      first: at('10:01:10'),
      type: 'Warning',
      reason: 'BackOff',
      message: `Back-off restarting failed container web in pod ${POD_B}`,
      object: podB,
      host: 'node-2',
      enrichment: webPod('node-2'),
    }),
    backOffA(3, '10:02:30'),
    record({
      uid: 'b5',
      count: 3,
      at: at('10:02:40'),
      first: at('10:02:20'),
      type: 'Warning',
      reason: 'Unhealthy',
      message: 'Readiness probe failed: HTTP probe failed with statuscode: 503',
      object: podB,
      host: 'node-2',
      enrichment: webPod('node-2'),
    }),
    // node-2 goes NotReady
    record({ uid: 'nn1', at: at('10:03:00'), reason: 'NodeNotReady', message: 'Node node-2 status is now: NodeNotReady', object: { kind: 'Node', name: 'node-2' } }),
    record({ uid: 'b6', at: at('10:03:05'), type: 'Warning', reason: 'NodeNotReady', message: 'Node is not ready', object: podB, enrichment: webPod('node-2') }),
    record({
      uid: 'nn2',
      count: 2,
      at: at('10:03:20'),
      first: at('10:03:10'),
      reason: 'NodeNotReady',
      message: 'Node node-2 status is now: NodeNotReady',
      object: { kind: 'Node', name: 'node-2' },
    }),
    // the service loses its endpoints
    record({ uid: 's1', at: at('10:04:00'), type: 'Warning', reason: 'FailedToUpdateEndpoint', message: 'Failed to update endpoint shop/web', object: shop('Endpoints', 'web') }),
    record({ uid: 's2', at: at('10:04:02'), type: 'Warning', reason: 'FailedToUpdateEndpointSlices', message: 'no ready endpoints', object: shop('EndpointSlice', 'web-abcde') }),
    record({
      uid: 's3',
      at: at('10:04:03'),
      type: 'Warning',
      reason: 'FailedToUpdateEndpointSlices',
      message: 'Error updating Endpoint Slices for Service shop/web',
      object: shop('Service', 'web'),
    }),
    // the old ReplicaSet scaled down
    record({ uid: 'e4', at: at('10:05:00'), reason: 'ScalingReplicaSet', message: 'Scaled down replica set web-6d4 to 0 from 1', object: shop('Deployment', 'web') }),
    record({
      uid: 'e5',
      at: at('10:05:01'),
      reason: 'SuccessfulDelete',
      message: 'Deleted pod: web-6d4-zzzzz',
      object: shop('ReplicaSet', 'web-6d4'),
      enrichment: { owners: [web], workload: web },
    }),
    // the watch gap
    record({
      uid: 'k8stream-gap-100-200',
      at: at('10:06:00'),
      type: 'Warning',
      reason: 'WatchGap',
      message: 'the watch could not resume from resourceVersion 100',
      object: { kind: 'K8stream', name: 'test' },
    }),
    backOffA(4, '10:07:00'),
    // unrelated: cart, node-3, staging/web, web-api
    record({
      uid: 'c1',
      at: at('10:00:30'),
      type: 'Warning',
      reason: 'Unhealthy',
      message: 'Liveness probe failed',
      object: shop('Pod', 'cart-5b8-q2w3e'),
      host: 'node-3',
      enrichment: cartPod,
    }),
    record({
      uid: 'c2',
      at: at('10:02:10'),
      reason: 'SuccessfulCreate',
      message: 'Created pod: cart-5b8-q2w3e',
      object: shop('ReplicaSet', 'cart-5b8'),
      enrichment: { owners: [cart], workload: cart },
    }),
    record({ uid: 'c3', at: at('10:04:10'), type: 'Warning', reason: 'FailedToUpdateEndpoint', message: 'Failed to update endpoint shop/cart', object: shop('Endpoints', 'cart') }),
    record({ uid: 'n3', at: at('10:05:30'), reason: 'NodeHasDiskPressure', message: 'Node node-3 status is now: NodeHasDiskPressure', object: { kind: 'Node', name: 'node-3' } }),
    record({
      uid: 'x1',
      at: at('10:03:30'),
      reason: 'ScalingReplicaSet',
      message: 'Scaled up replica set web-58b to 3',
      object: { kind: 'Deployment', name: 'web', namespace: 'staging' },
    }),
    record({ uid: 'x2', at: at('10:04:30'), type: 'Warning', reason: 'FailedToUpdateEndpointSlices', message: 'web-api slice', object: shop('EndpointSlice', 'web-api-x1y2z') }),
    record({ uid: 'x3', at: at('09:59:50'), reason: 'Started', object: shop('Pod', 'web-api-1a2-ccccc'), host: 'node-1', enrichment: webApiPod }),
  ];
}
