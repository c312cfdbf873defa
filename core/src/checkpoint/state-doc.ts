/**
 * The saved resume state: small, versioned JSON, the same in a file and in the Lease
 * annotation. It names the API server it belongs to, so a kubeconfig pointing at another
 * cluster never resumes from a foreign resourceVersion.
 */
import type { Delivery } from '../config/types.js';
import type { ResumePoint } from './position.js';
import { rvNumber } from './position.js';

export interface ResumeState {
  version: 1;
  /** The API server URL the resourceVersions belong to. */
  server: string;
  delivery: Delivery;
  /** One resourceVersion per watch (collection path). */
  watches: ResumePoint;
  /** ISO time of the save. */
  savedAt: string;
}

export function encodeState(state: ResumeState): string {
  return JSON.stringify(state);
}

/** Parses a saved state; returns a reason string when it is not one (never throws). */
export function decodeState(text: string): ResumeState | string {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return 'not JSON';
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return 'not a JSON object';
  const s = v as Record<string, unknown>;
  if (s['version'] !== 1) return `unknown version ${JSON.stringify(s['version'])}`;
  if (typeof s['server'] !== 'string') return 'no server';
  if (s['delivery'] !== 'at-least-once' && s['delivery'] !== 'at-most-once') return 'no delivery mode';
  const watches = s['watches'];
  if (watches === null || typeof watches !== 'object' || Array.isArray(watches)) return 'no watches';
  const out: ResumePoint = {};
  for (const [key, rv] of Object.entries(watches)) {
    if (typeof rv !== 'string' || rvNumber(rv) === null) return `watch ${key}: resourceVersion ${JSON.stringify(rv)} is not an integer`;
    out[key] = rv;
  }
  return { version: 1, server: s['server'], delivery: s['delivery'], watches: out, savedAt: typeof s['savedAt'] === 'string' ? s['savedAt'] : '' };
}
