/**
 * Request routing: turns a method and URL into discovery routes or a resource request
 * (verb, type, namespace, name, subresource), like the real server's RequestInfo resolver.
 */
import type { RequestInfo, Verb } from './faults.js';
import { findResource, resourceId } from './resources.js';

/** Where a request goes. */
export type Route =
  | { kind: 'version' }
  | { kind: 'health' }
  | { kind: 'api' }
  | { kind: 'apis' }
  | { kind: 'group'; group: string }
  | { kind: 'resourceList'; group: string; version: string }
  | { kind: 'resource'; info: RequestInfo }
  | { kind: 'methodNotAllowed'; info: RequestInfo }
  | { kind: 'notFound' };

function isWatchQuery(q: URLSearchParams): boolean {
  const w = q.get('watch');
  return w === 'true' || w === '1';
}

function verbFor(method: string, hasName: boolean, watch: boolean): Verb | undefined {
  switch (method) {
    case 'GET':
    case 'HEAD':
      return watch ? 'watch' : hasName ? 'get' : 'list';
    case 'POST':
      return hasName ? undefined : 'create';
    case 'PUT':
      return hasName ? 'update' : undefined;
    case 'PATCH':
      return hasName ? 'patch' : undefined;
    case 'DELETE':
      return hasName ? 'delete' : undefined;
    default:
      return undefined;
  }
}

/** Resolves a request. */
export function route(method: string, url: URL): Route {
  let segs: string[];
  try {
    segs = url.pathname
      .split('/')
      .filter((s) => s !== '')
      .map(decodeURIComponent);
  } catch {
    return { kind: 'notFound' };
  }
  const [root, ...rest] = segs;
  if (root === 'version' && rest.length === 0) return { kind: 'version' };
  if ((root === 'healthz' || root === 'livez' || root === 'readyz') && rest.length === 0) return { kind: 'health' };
  let group: string;
  let version: string;
  let tail: string[];
  if (root === 'api') {
    if (rest.length === 0) return { kind: 'api' };
    group = '';
    version = rest[0]!;
    tail = rest.slice(1);
  } else if (root === 'apis') {
    if (rest.length === 0) return { kind: 'apis' };
    if (rest.length === 1) return { kind: 'group', group: rest[0]! };
    group = rest[0]!;
    version = rest[1]!;
    tail = rest.slice(2);
  } else return { kind: 'notFound' };
  if (tail.length === 0) return { kind: 'resourceList', group, version };

  let watch = isWatchQuery(url.searchParams);
  if (tail[0] === 'watch') {
    watch = true;
    tail = tail.slice(1);
  }
  let namespace: string | undefined;
  let plural: string;
  let name: string | undefined;
  let subresource: string | undefined;
  const nsType = tail[0] === 'namespaces' && tail.length >= 3 ? findResource(group, version, tail[2]!) : undefined;
  if (nsType?.namespaced) {
    namespace = tail[1]!;
    plural = tail[2]!;
    name = tail[3];
    subresource = tail[4];
    if (tail.length > 5) return { kind: 'notFound' };
  } else {
    plural = tail[0]!;
    name = tail[1];
    subresource = tail[2];
    if (tail.length > 3) return { kind: 'notFound' };
  }
  const type = findResource(group, version, plural);
  if (!type) return { kind: 'notFound' };
  if (!type.namespaced && namespace !== undefined) return { kind: 'notFound' };
  if (subresource !== undefined && subresource !== 'status') return { kind: 'notFound' };
  const verb = verbFor(method, name !== undefined, watch);
  const info: RequestInfo = {
    verb: verb ?? 'get',
    method,
    path: url.pathname,
    query: url.searchParams,
    type,
    resource: resourceId(type),
  };
  if (namespace !== undefined) info.namespace = namespace;
  if (name !== undefined) info.name = name;
  if (subresource !== undefined) info.subresource = subresource;
  if (verb === undefined) return { kind: 'methodNotAllowed', info };
  return { kind: 'resource', info };
}
