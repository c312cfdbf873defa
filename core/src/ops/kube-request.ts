/**
 * Names a Kubernetes API request for the `k8stream_kube_requests_total{verb,resource,code}`
 * counter. Only bounded values come out: the verb from the method (and `watch`), the resource
 * plural from the path (never a namespace or object name), the HTTP status or "error".
 */

export type KubeVerb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'delete' | 'other';

/** One answered (or failed) request, as the Kubernetes client reports it. */
export interface KubeResponseInfo {
  method: string;
  /** Path without the query string (`/api/v1/namespaces/shop/events`). */
  path: string;
  query: Record<string, string | number | boolean | undefined>;
  /** HTTP status, or null when no answer came (network error, timeout, abort). */
  status: number | null;
}

export interface KubeRequestLabels {
  verb: KubeVerb;
  resource: string;
  code: string;
}

const PLURAL = /^[a-z][a-z0-9-]*(\.[a-z0-9-]+)*$/;

/** Splits an API path into the resource plural and whether it names one object. */
function parsePath(path: string): { resource: string; named: boolean; watchPath: boolean } {
  const segs = path.split('/').filter((s) => s !== '');
  let rest: string[];
  if (segs[0] === 'api' && segs.length >= 2) rest = segs.slice(2);
  else if (segs[0] === 'apis' && segs.length >= 3) rest = segs.slice(3);
  else return { resource: 'other', named: false, watchPath: false };
  let watchPath = false;
  if (rest[0] === 'watch') {
    watchPath = true;
    rest = rest.slice(1);
  }
  // `namespaces/{ns}/{resource}…` is namespaced; `namespaces` and `namespaces/{name}` are the namespaces themselves.
  if (rest[0] === 'namespaces' && rest.length >= 3) rest = rest.slice(2);
  const resource = rest[0];
  if (resource === undefined || !PLURAL.test(resource)) return { resource: 'other', named: false, watchPath };
  return { resource, named: rest.length >= 2, watchPath };
}

/** The labels of one request. */
export function kubeRequestLabels(info: KubeResponseInfo): KubeRequestLabels {
  const { resource, named, watchPath } = parsePath(info.path);
  const watch = info.query['watch'];
  let verb: KubeVerb;
  switch (info.method.toUpperCase()) {
    case 'GET':
      verb = watchPath || watch === true || watch === 'true' || watch === '1' || watch === 1 ? 'watch' : named ? 'get' : 'list';
      break;
    case 'POST':
      verb = 'create';
      break;
    case 'PUT':
    case 'PATCH':
      verb = 'update';
      break;
    case 'DELETE':
      verb = 'delete';
      break;
    default:
      verb = 'other';
  }
  return { verb, resource, code: info.status === null ? 'error' : String(info.status) };
}
