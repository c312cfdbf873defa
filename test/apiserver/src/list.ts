/**
 * List semantics: `resourceVersion` / `resourceVersionMatch`, `limit` + `continue` pagination
 * over a consistent snapshot (the continue token encodes the snapshot revision and the next
 * key, like the real server's), and the 410 for a continue token whose revision was compacted.
 */
import type { ResourceType } from './resources.js';
import type { Predicate } from './selectors.js';
import { ApiError, badRequest, status } from './status.js';
import type { Store, StoredObject } from './store.js';

/** What a list request asks for. */
export interface ListQuery {
  /** Only objects in this namespace (namespaced resources). */
  namespace?: string;
  predicate?: Predicate;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: string;
}

/** One page of a list. */
export interface ListPage {
  /** The revision the page was read at (list `metadata.resourceVersion`). */
  rv: number;
  items: StoredObject[];
  continue?: string;
  remainingItemCount?: number;
}

interface ContinueToken {
  v: 'meta.k8s.io/v1';
  /** Snapshot revision; -1 means "latest" (the inconsistent continuation offered after a 410). */
  rv: number;
  start: string;
}

/** Encodes a continue token (base64url JSON, like the real server's). */
export function encodeContinue(rv: number, start: string): string {
  const t: ContinueToken = { v: 'meta.k8s.io/v1', rv, start };
  return Buffer.from(JSON.stringify(t)).toString('base64url');
}

/** Decodes a continue token, or throws 400. */
export function decodeContinue(token: string): ContinueToken {
  try {
    const t = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Partial<ContinueToken>;
    if (t.v === 'meta.k8s.io/v1' && typeof t.rv === 'number' && typeof t.start === 'string') {
      return { v: t.v, rv: t.rv, start: t.start };
    }
  } catch {
    // fall through
  }
  throw badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
}

function lowerBoundKey(items: readonly StoredObject[], key: string): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (items[mid]!.key < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function parseRv(raw: string, what: string): number {
  if (!/^\d+$/.test(raw)) throw badRequest(`invalid ${what}: "${raw}" is not a valid resource version`);
  return Number(raw);
}

function tooLarge(requested: number, current: number): ApiError {
  return new ApiError(
    status(504, 'Timeout', `Too large resource version: ${requested}, current: ${current}`, {
      causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
      retryAfterSeconds: 1,
    }),
  );
}

/** Chooses the revision a list is served at, per the real server's rules. */
function listRevision(store: Store, q: ListQuery): number {
  const current = store.resourceVersion;
  const raw = q.resourceVersion ?? '';
  const match = q.resourceVersionMatch ?? '';
  if (match !== '' && match !== 'Exact' && match !== 'NotOlderThan') {
    throw badRequest(`resourceVersionMatch: Unsupported value: "${match}": supported values: "Exact", "NotOlderThan"`);
  }
  if (raw === '' || raw === '0') {
    if (match === 'Exact') throw badRequest('resourceVersionMatch "Exact" is forbidden for resourceVersion "0"');
    return current;
  }
  const rv = parseRv(raw, 'resourceVersion');
  if (rv > current) throw tooLarge(rv, current);
  const exact = match === 'Exact' || (match === '' && q.limit !== undefined && q.limit > 0);
  if (!exact) return current;
  store.assertNotCompacted(rv);
  return rv;
}

/** Serves one page of a list. Throws 400/410/504 Status errors as the real server does. */
export function listPage(store: Store, type: ResourceType, q: ListQuery): ListPage {
  let rv: number;
  let start = '';
  if (q.continue !== undefined && q.continue !== '') {
    if (q.resourceVersion !== undefined && q.resourceVersion !== '' && q.resourceVersion !== '0') {
      throw badRequest('specifying resource version is not allowed when using continue');
    }
    const tok = decodeContinue(q.continue);
    start = tok.start;
    rv = tok.rv === -1 ? store.resourceVersion : tok.rv;
    if (rv < store.compactedRevision) {
      const err = new ApiError(
        status(
          410,
          'Expired',
          'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.',
        ),
      );
      err.status.metadata = { continue: encodeContinue(-1, start) };
      throw err;
    }
  } else {
    rv = listRevision(store, q);
  }
  const snap = store.snapshot(type, rv);
  const prefix = type.namespaced && q.namespace !== undefined ? `${q.namespace}/` : '';
  let i = lowerBoundKey(snap, start > prefix ? start : prefix);
  const limit = q.limit !== undefined && q.limit > 0 ? q.limit : Infinity;
  const items: StoredObject[] = [];
  for (; i < snap.length; i++) {
    const s = snap[i]!;
    if (prefix !== '' && !s.key.startsWith(prefix)) break;
    if (items.length >= limit) break;
    if (q.predicate && !q.predicate(store.view(s, type).obj)) continue;
    items.push(s);
  }
  const page: ListPage = { rv, items };
  const more = i < snap.length && (prefix === '' || snap[i]!.key.startsWith(prefix));
  if (more && items.length > 0) {
    page.continue = encodeContinue(rv, `${items[items.length - 1]!.key}\u0000`);
    if (!q.predicate) {
      let end = snap.length;
      if (prefix !== '') end = lowerBoundKey(snap, `${prefix.slice(0, -1)}0`); // '0' sorts right after '/'
      page.remainingItemCount = end - i;
    }
  }
  return page;
}
